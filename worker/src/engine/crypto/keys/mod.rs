//! Signing keys: one active key per algorithm (RS256, ES256, EdDSA), created on first
//! need, sealed at rest, cached per isolate (`cache`), rotated by an admin or on schedule
//! (`rotation`): a new key is published before it signs, and the key it replaces stays
//! published until the last token it signed has expired.

pub mod cache;
pub mod rotation;

pub use cache::{
    KeyLookup, SignerCache, TtlCache, VerifierCache, JWKS_ISOLATE_CACHE_SECONDS, JWKS_MAX_AGE_SECONDS,
    SIGNER_CACHE_SECONDS, UNKNOWN_KID_RELOAD_SECONDS,
};

use crate::engine::crypto::jose::{thumbprint, Jwk, JwkSet};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::platform::config::Secret;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, KeyStatus, KeyStore, Random, SigningAlg, StoredSigningKey, UnixTime};

/// The key that signs, imported and ready.
#[derive(Clone)]
pub struct ActiveSigningKey<K> {
    pub kid: String,
    pub alg: SigningAlg,
    pub key: K,
}

/// Key management over the platform's store, signer and randomness.
pub struct KeyRing<'a, S, C, R> {
    pub store: &'a S,
    pub signer: &'a C,
    pub rng: &'a R,
    pub secret: &'a Secret,
}

impl<S: KeyStore, C: JwsSigner, R: Random> KeyRing<'_, S, C, R> {
    /// A new key of `alg`, sealed, as a row to store with `status`.
    pub(crate) async fn new_key(
        &self,
        alg: SigningAlg,
        status: KeyStatus,
        now: UnixTime,
        activate_at: Option<UnixTime>,
    ) -> Result<StoredSigningKey, InternalError> {
        let generated = self.signer.generate(alg).await?;
        let kid = thumbprint(&generated.public);
        let private_key_sealed =
            sealed::seal(self.secret, Purpose::SigningKey, kid.as_bytes(), &generated.private_pkcs8_der, self.rng)?;
        Ok(StoredSigningKey {
            kid,
            alg,
            status,
            public: generated.public,
            private_key_sealed,
            created_at: now,
            activate_at,
            publish_until: None,
        })
    }

    /// The row of the key that signs with `alg`, generating the first key of that
    /// algorithm if there is none.
    ///
    /// Two isolates may both find no key and both generate one. The store inserts with
    /// `ON CONFLICT DO NOTHING` against a unique index on (alg) for active keys, so only
    /// one insert lands; everyone then reads back and uses the same winner.
    pub async fn ensure_active_key(&self, alg: SigningAlg, now: UnixTime) -> Result<StoredSigningKey, InternalError> {
        if let Some(key) = self.store.signing_key_for(alg, now).await? {
            return Ok(key);
        }
        let candidate = self.new_key(alg, KeyStatus::Active, now, None).await?;
        self.store.insert_active_signing_key_if_none(&candidate).await?;
        self.store
            .signing_key_for(alg, now)
            .await?
            .ok_or_else(|| InternalError::new("no active signing key right after inserting one"))
    }

    /// The key that signs with `alg`, unsealed and imported.
    pub async fn load_active_signer(
        &self,
        alg: SigningAlg,
        now: UnixTime,
    ) -> Result<ActiveSigningKey<C::Key>, InternalError> {
        let row = self.ensure_active_key(alg, now).await?;
        let der = sealed::open(self.secret, Purpose::SigningKey, row.kid.as_bytes(), &row.private_key_sealed)?;
        let key = self.signer.import_private(alg, &der).await?;
        Ok(ActiveSigningKey { kid: row.kid, alg, key })
    }

    /// The JWK Set (RFC 7517 §5): every key that may still verify a live token, and keys
    /// about to sign. A missing key of any algorithm is created first, so resource servers
    /// that fetch the JWKS before any token exists already see every key that will sign
    /// (RS256 ID tokens by default, `SIGNING_ALG` access tokens, each client's registered
    /// `id_token_signed_response_alg`).
    pub async fn jwks(&self, now: UnixTime) -> Result<JwkSet, InternalError> {
        let mut published = self.store.published_signing_keys(now).await?;
        let missing: Vec<SigningAlg> = SigningAlg::ALL
            .into_iter()
            .filter(|alg| !published.iter().any(|k| k.alg == *alg && k.status == KeyStatus::Active))
            .collect();
        if !missing.is_empty() {
            for alg in missing {
                self.ensure_active_key(alg, now).await?;
            }
            published = self.store.published_signing_keys(now).await?;
        }
        Ok(JwkSet { keys: published.iter().map(Jwk::from).collect() })
    }
}

#[cfg(test)]
mod tests;
