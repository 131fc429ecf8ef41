//! Key rotation without a moment in which a verifier lacks a key (RFC 7517 §5 sets keep
//! old and new keys side by side; OIDC Core §10.1.1 asks signers to publish a new key
//! before using it):
//!
//! 1. `rotate` adds a `pending` key, published at once, that signs from `activate_at` =
//!    now + [`ROTATION_LEAD_SECONDS`] — by then every JWKS copy fetched before the
//!    rotation has expired (the HTTP max-age plus this server's own isolate cache).
//! 2. From `activate_at` the pending key signs (`KeyStore::signing_key_for` prefers it).
//! 3. `maintain` (the hourly Cron Trigger, and every rotation) completes due rotations:
//!    the replaced key turns `verify` and stays published until the last token it could
//!    have signed expires — `activate_at`, plus the time an isolate may keep signing with
//!    its cached signer, plus the longest token lifetime — then turns `retired`.
//! 4. With `KEY_ROTATION_DAYS`, `rotate_due` starts step 1 for every key that old.

use super::cache::{JWKS_ISOLATE_CACHE_SECONDS, JWKS_MAX_AGE_SECONDS, SIGNER_CACHE_SECONDS};
use super::KeyRing;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, KeyStatus, KeyStore, Random, SigningAlg, StoredSigningKey, UnixTime};

/// How long a new key is published before it signs.
pub const ROTATION_LEAD_SECONDS: UnixTime = JWKS_MAX_AGE_SECONDS + JWKS_ISOLATE_CACHE_SECONDS;

/// Until when a key replaced at `activate_at` stays published, when tokens live at most
/// `max_token_ttl` seconds.
pub fn publish_until(activate_at: UnixTime, max_token_ttl: UnixTime) -> UnixTime {
    activate_at + SIGNER_CACHE_SECONDS + max_token_ttl
}

/// What `maintain` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Rotations completed: the algorithm, the key now active, the key now `verify`-only
    /// and when it leaves the JWKS.
    pub activated: Vec<(SigningAlg, String, UnixTime)>,
    /// Keys that left the JWKS.
    pub retired: Vec<String>,
}

impl<S: KeyStore, C: JwsSigner, R: Random> KeyRing<'_, S, C, R> {
    /// Starts a rotation of `alg`: a pending key that signs from now +
    /// [`ROTATION_LEAD_SECONDS`]. `None` when a rotation of `alg` is pending already.
    pub async fn rotate(&self, alg: SigningAlg, now: UnixTime) -> Result<Option<StoredSigningKey>, InternalError> {
        // The algorithm's current key exists first, so the new one always replaces one.
        self.ensure_active_key(alg, now).await?;
        let live = self.store.live_signing_keys().await?;
        if live.iter().any(|k| k.alg == alg && k.status == KeyStatus::Pending) {
            return Ok(None);
        }
        let key = self.new_key(alg, KeyStatus::Pending, now, Some(now + ROTATION_LEAD_SECONDS)).await?;
        Ok(self.store.insert_pending_signing_key(&key).await?.then_some(key))
    }

    /// Completes due rotations and retires keys whose tokens have all expired.
    pub async fn maintain(&self, now: UnixTime, max_token_ttl: UnixTime) -> Result<Maintenance, InternalError> {
        let mut done = Maintenance::default();
        for key in self.store.live_signing_keys().await? {
            let due = key.status == KeyStatus::Pending && key.activate_at.is_some_and(|at| at <= now);
            if let (true, Some(at)) = (due, key.activate_at) {
                let until = publish_until(at, max_token_ttl);
                self.store.complete_rotation(key.alg, &key.kid, until).await?;
                done.activated.push((key.alg, key.kid, until));
            }
        }
        done.retired = self.store.retire_expired_keys(now).await?;
        Ok(done)
    }

    /// `KEY_ROTATION_DAYS`: starts a rotation for each algorithm whose signing key is at
    /// least `days` old and has no rotation pending; the keys started.
    pub async fn rotate_due(&self, days: u32, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
        if days == 0 {
            return Ok(Vec::new());
        }
        let live = self.store.live_signing_keys().await?;
        let mut started = Vec::new();
        for alg in SigningAlg::ALL {
            let pending = live.iter().any(|k| k.alg == alg && k.status == KeyStatus::Pending);
            let old = live
                .iter()
                .find(|k| k.alg == alg && k.status == KeyStatus::Active)
                .is_some_and(|k| now - k.created_at >= i64::from(days) * 86_400);
            if old && !pending {
                if let Some(key) = self.rotate(alg, now).await? {
                    started.push(key);
                }
            }
        }
        Ok(started)
    }
}
