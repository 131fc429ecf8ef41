//! A migrated SQLite store's signing key, as the token and authorization endpoints both
//! need it, and an independent verifier (jwt-compact) for what they sign.

use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use serde_json::Value;

use crate::engine::crypto::jose::b64url_decode;
use crate::engine::crypto::keys::{ActiveSigningKey, KeyRing};
use crate::engine::oauth::access_token::{import_published_keys, VerificationKeySource};
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{RsaSigner, SystemRandom};
use crate::native::{NativeRsaSigner, SqliteStore};

pub type NativeKey = <NativeRsaSigner as RsaSigner>::Key;
pub type NativePublic = <NativeRsaSigner as RsaSigner>::PublicKey;

/// The store's active key, for signing, and its published keys, for verifying.
pub struct TestKeys {
    pub key: ActiveSigningKey<NativeKey>,
    /// The same public key for jwt-compact, the independent check.
    pub public: RsaPublicKey,
    pub verifiers: Vec<(String, NativePublic)>,
}

impl SigningKeySource<NativeKey> for TestKeys {
    async fn signing_key(&self) -> Result<ActiveSigningKey<NativeKey>, InternalError> {
        Ok(self.key.clone())
    }
}

impl VerificationKeySource<NativePublic> for TestKeys {
    async fn verification_key(&self, kid: &str) -> Result<Option<NativePublic>, InternalError> {
        Ok(self.verifiers.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone()))
    }
}

/// Creates the store's first key and returns it ready for both directions.
pub fn test_keys(store: &SqliteStore, config: &Config) -> TestKeys {
    let ring = KeyRing { store, signer: &NativeRsaSigner, rng: &SystemRandom, secret: &config.secret_key };
    let key = pollster::block_on(ring.load_active_signer(0)).unwrap();
    let jwk = &pollster::block_on(ring.jwks(0)).unwrap().keys[0];
    let public = RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap()),
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap()),
    )
    .unwrap();
    let verifiers = pollster::block_on(import_published_keys(store, &NativeRsaSigner, 0)).unwrap();
    TestKeys { key, public, verifiers }
}

/// Verifies `token` with jwt-compact; returns its `typ` and claims (with `exp`/`iat`,
/// which jwt-compact keeps apart from the custom claims).
pub fn verify_jwt(keys: &TestKeys, token: &str) -> (String, Value) {
    let untrusted = UntrustedToken::new(token).unwrap();
    let typ = untrusted.header().token_type.clone().unwrap_or_default();
    let verified = Rsa::rs256().validator::<Value>(&keys.public).validate(&untrusted).unwrap();
    let mut claims = verified.claims().custom.clone();
    claims["exp"] = verified.claims().expiration.map(|t| t.timestamp()).into();
    claims["iat"] = verified.claims().issued_at.map(|t| t.timestamp()).into();
    (typ, claims)
}
