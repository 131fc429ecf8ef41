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
use crate::engine::platform::ports::{JwsSigner, SigningAlg, SystemRandom};
use crate::native::{NativeSigner, SqliteStore};

pub type NativeKey = <NativeSigner as JwsSigner>::Key;
pub type NativePublic = <NativeSigner as JwsSigner>::PublicKey;

/// The store's active key, for signing, and its published keys, for verifying.
pub struct TestKeys {
    pub key: ActiveSigningKey<NativeKey>,
    /// The ES256 and EdDSA signers (for clients that registered them).
    pub others: Vec<ActiveSigningKey<NativeKey>>,
    /// The same public key for jwt-compact, the independent check.
    pub public: RsaPublicKey,
    pub verifiers: Vec<(String, NativePublic)>,
}

impl SigningKeySource<NativeKey> for TestKeys {
    async fn signing_key(&self, alg: SigningAlg) -> Result<ActiveSigningKey<NativeKey>, InternalError> {
        match alg {
            SigningAlg::Rs256 => Ok(self.key.clone()),
            other => self.others.iter().find(|k| k.alg == other).cloned().ok_or_else(|| InternalError::new("no key")),
        }
    }
}

impl VerificationKeySource<NativePublic> for TestKeys {
    async fn verification_key(&self, kid: &str) -> Result<Option<NativePublic>, InternalError> {
        Ok(self.verifiers.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone()))
    }
}

/// Creates the store's first key and returns it ready for both directions.
pub fn test_keys(store: &SqliteStore, config: &Config) -> TestKeys {
    let ring = KeyRing { store, signer: &NativeSigner, rng: &SystemRandom, secret: &config.secret_key };
    let key = pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 0)).unwrap();
    let others = [SigningAlg::Es256, SigningAlg::EdDsa]
        .map(|alg| pollster::block_on(ring.load_active_signer(alg, 0)).unwrap())
        .to_vec();
    let jwks = pollster::block_on(ring.jwks(0)).unwrap();
    let jwk = jwks.keys.iter().find(|k| k.kid == key.kid).unwrap();
    let public = RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap()),
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap()),
    )
    .unwrap();
    let verifiers = pollster::block_on(import_published_keys(store, &NativeSigner, 0)).unwrap();
    TestKeys { key, others, public, verifiers }
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

/// Verifies `token` with jwt-compact (RS256, ES256 or EdDSA) and the JWK of its `kid`
/// from `jwks`; its claims without `exp`/`iat`.
pub fn verify_with_jwks(token: &str, jwks: &[crate::engine::crypto::jose::Jwk]) -> Value {
    let untrusted = UntrustedToken::new(token).unwrap();
    let kid = untrusted.header().key_id.clone().unwrap();
    let jwk = jwks.iter().find(|k| k.kid == kid).expect("the kid is published");
    let claims = match (untrusted.algorithm(), jwk.kty.as_str()) {
        ("RS256", "RSA") => {
            let n = rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap());
            let e = rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap());
            let key = RsaPublicKey::new(n, e).unwrap();
            Rsa::rs256().validator::<Value>(&key).validate(&untrusted).unwrap().claims().custom.clone()
        }
        ("ES256", "EC") => {
            let mut sec1 = vec![0x04];
            sec1.extend(b64url_decode(&jwk.x).unwrap());
            sec1.extend(b64url_decode(&jwk.y).unwrap());
            let key =
                <p256::ecdsa::VerifyingKey as jwt_compact::alg::VerifyingKey<jwt_compact::alg::Es256>>::from_slice(
                    &sec1,
                )
                .unwrap();
            jwt_compact::alg::Es256.validator::<Value>(&key).validate(&untrusted).unwrap().claims().custom.clone()
        }
        ("EdDSA", "OKP") => {
            let key =
                <ed25519_dalek::VerifyingKey as jwt_compact::alg::VerifyingKey<jwt_compact::alg::Ed25519>>::from_slice(
                    &b64url_decode(&jwk.x).unwrap(),
                )
                .unwrap();
            jwt_compact::alg::Ed25519.validator::<Value>(&key).validate(&untrusted).unwrap().claims().custom.clone()
        }
        other => panic!("unexpected algorithm and key type {other:?}"),
    };
    claims
}

/// The `at_hash`/`c_hash` an OIDC relying party expects (OIDC Core §3.1.3.6), computed
/// here from the rule itself rather than by the production `half_hash`: the left half of
/// the SHA-256 (RS256, ES256) or SHA-512 (EdDSA) of the value, base64url. Pinned to the
/// OIDC Core example and to a Python `hashlib` vector in `oauth/id_token.rs`'s tests.
pub fn expected_half_hash(alg: crate::engine::platform::ports::SigningAlg, value: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest: Vec<u8> = match alg {
        crate::engine::platform::ports::SigningAlg::EdDsa => sha2::Sha512::digest(value.as_bytes()).to_vec(),
        _ => sha2::Sha256::digest(value.as_bytes()).to_vec(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}
