//! What the engine's native test suites share: a migrated SQLite store's signing key,
//! as the token endpoints and the authorization endpoint both need it, an independent
//! verifier (jwt-compact) for what they sign, and direct writes to the database for
//! arranging a test (through the same SQL port the stores use).

use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use serde_json::Value;

use crate::engine::crypto::jose::b64url_decode;
use crate::engine::crypto::keys::{ActiveSigningKey, KeyRing};
use crate::engine::identity::user_store::USER_COLUMNS;
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::{import_published_keys, VerificationKeySource};
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{count, SqlArg, SqlRunner, UnixTime};
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

/// Arranging and inspecting the database directly, for tests.
impl SqliteStore {
    fn run(&self, sql: &str, args: &[SqlArg]) -> u64 {
        pollster::block_on(self.execute(sql, args)).unwrap()
    }

    fn rows(&self, sql: &str, args: &[SqlArg]) -> Vec<Value> {
        pollster::block_on(self.query(sql, args)).unwrap()
    }

    fn count_of(&self, sql: &str, args: &[SqlArg]) -> i64 {
        pollster::block_on(async { count(self.query(sql, args).await?) }).unwrap() as i64
    }

    pub fn count_signing_keys(&self) -> Result<i64, InternalError> {
        Ok(self.count_of("SELECT COUNT(*) AS total FROM signing_keys", &[]))
    }

    /// What a rotation does to the old key: stop signing, stay published until `publish_until`.
    pub fn demote_to_verify(&self, kid: &str, publish_until: UnixTime) -> Result<(), InternalError> {
        let sql = "UPDATE signing_keys SET status = 'verify', publish_until = ?2 WHERE kid = ?1 AND status = 'active'";
        match self.run(sql, &[kid.into(), publish_until.into()]) {
            1 => Ok(()),
            _ => Err(InternalError::new(format!("no active key {kid} to demote"))),
        }
    }

    pub fn count_family(&self, family_id: &str) -> Result<i64, InternalError> {
        Ok(self.count_of("SELECT COUNT(*) AS total FROM refresh_tokens WHERE family_id = ?1", &[family_id.into()]))
    }

    /// Audit events recorded so far, oldest first.
    pub fn audit_events(&self) -> Result<Vec<Value>, InternalError> {
        Ok(self.rows("SELECT * FROM audit_log ORDER BY timestamp, rowid", &[]))
    }

    pub fn deactivate_user(&self, id: &str) -> Result<(), InternalError> {
        self.run("UPDATE users SET active = 0 WHERE id = ?1", &[id.into()]);
        Ok(())
    }

    pub fn change_email(&self, id: &str, email: &str) -> Result<(), InternalError> {
        self.run("UPDATE users SET email = ?2, email_verified = 0 WHERE id = ?1", &[id.into(), email.into()]);
        Ok(())
    }

    pub fn insert_user(&self, user: &User) -> Result<(), InternalError> {
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        );
        let args = [
            (&user.id).into(),
            (&user.email).into(),
            user.password_hash.as_deref().into(),
            user.name.as_deref().into(),
            user.given_name.as_deref().into(),
            user.family_name.as_deref().into(),
            user.picture.as_deref().into(),
            user.locale.as_deref().into(),
            user.phone_number.as_deref().into(),
            user.phone_number_verified.into(),
            user.address.as_deref().into(),
            user.email_verified.into(),
            user.role.as_str().into(),
            user.active.into(),
            user.locked_until.into(),
            user.created_at.into(),
            user.updated_at.into(),
        ];
        self.run(&sql, &args);
        Ok(())
    }
}
