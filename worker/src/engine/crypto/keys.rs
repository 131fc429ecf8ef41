//! Signing keys: created on first need, sealed at rest, cached per isolate.
//!
//! One key is `active` and signs; after a rotation older keys stay `verify` (in the JWKS,
//! never signing) until the tokens they signed have expired. The schema and the store
//! already carry that, so rotation needs no migration.

use crate::engine::crypto::jose::{rsa_thumbprint, Jwk, JwkSet};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::platform::config::Secret;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyStatus, KeyStore, Random, RsaSigner, StoredSigningKey, UnixTime};

/// The key that signs, imported and ready.
#[derive(Clone)]
pub struct ActiveSigningKey<K> {
    pub kid: String,
    pub key: K,
}

/// How long an isolate signs with its cached key before reading D1 again, so that a
/// rotation made through another isolate is picked up within this many seconds.
pub const SIGNER_CACHE_SECONDS: UnixTime = 300;

/// A value kept per isolate for at most `ttl` seconds: the imported signer (importing
/// costs a D1 read, an AES-GCM open and a WebCrypto import), the served JWKS and discovery
/// documents. A clock that goes backwards empties it rather than keeping a stale value.
pub struct TtlCache<T> {
    entry: Option<(T, UnixTime)>,
    ttl: UnixTime,
}

impl<T: Clone> TtlCache<T> {
    pub const fn new(ttl: UnixTime) -> Self {
        TtlCache { entry: None, ttl }
    }

    pub fn get(&self, now: UnixTime) -> Option<T> {
        match &self.entry {
            Some((value, stored_at)) if now >= *stored_at && now - stored_at < self.ttl => Some(value.clone()),
            _ => None,
        }
    }

    pub fn put(&mut self, value: T, now: UnixTime) {
        self.entry = Some((value, now));
    }

    /// Forgets the value: the next `get` misses.
    pub fn clear(&mut self) {
        self.entry = None;
    }
}

/// The imported signing key, refreshed every [`SIGNER_CACHE_SECONDS`].
pub type SignerCache<K> = TtlCache<ActiveSigningKey<K>>;

/// The per-isolate cache of imported public keys, by kid, for verifying presented tokens.
pub struct VerifierCache<PK> {
    keys: Vec<(String, PK)>,
    loaded_at: Option<UnixTime>,
}

/// What the cache knows about a kid.
pub enum KeyLookup<PK> {
    Found(PK),
    /// Not among the keys loaded a moment ago: a forged or foreign kid. Answering from the
    /// cache keeps garbage tokens from costing a database read each.
    Unknown,
    /// The cache is stale, or the kid may be a key published since: read the store.
    Reload,
}

/// An unknown kid triggers at most one reload per this many seconds.
pub const UNKNOWN_KID_RELOAD_SECONDS: UnixTime = 10;

impl<PK: Clone> VerifierCache<PK> {
    pub const fn new() -> Self {
        VerifierCache { keys: Vec::new(), loaded_at: None }
    }

    pub fn lookup(&self, kid: &str, now: UnixTime) -> KeyLookup<PK> {
        let Some(loaded_at) = self.loaded_at else { return KeyLookup::Reload };
        let age = now - loaded_at;
        if !(0..SIGNER_CACHE_SECONDS).contains(&age) {
            return KeyLookup::Reload;
        }
        match self.keys.iter().find(|(k, _)| k == kid) {
            Some((_, key)) => KeyLookup::Found(key.clone()),
            None if age < UNKNOWN_KID_RELOAD_SECONDS => KeyLookup::Unknown,
            None => KeyLookup::Reload,
        }
    }

    pub fn replace(&mut self, keys: Vec<(String, PK)>, now: UnixTime) {
        self.keys = keys;
        self.loaded_at = Some(now);
    }
}

impl<PK: Clone> Default for VerifierCache<PK> {
    fn default() -> Self {
        Self::new()
    }
}

/// Key management over the platform's store, signer and randomness.
pub struct KeyRing<'a, S, C, R> {
    pub store: &'a S,
    pub signer: &'a C,
    pub rng: &'a R,
    pub secret: &'a Secret,
}

impl<S: KeyStore, C: RsaSigner, R: Random> KeyRing<'_, S, C, R> {
    /// The active key's row, generating the first key if there is none.
    ///
    /// Two isolates may both find no key and both generate one. The store inserts with
    /// `ON CONFLICT DO NOTHING` against a unique index on the active status, so only one
    /// insert lands; everyone then reads back and uses the same winner.
    pub async fn ensure_active_key(&self, now: UnixTime) -> Result<StoredSigningKey, InternalError> {
        if let Some(key) = self.store.active_signing_key().await? {
            return Ok(key);
        }
        let generated = self.signer.generate_rsa_2048().await?;
        let kid = rsa_thumbprint(&generated.public.n, &generated.public.e);
        let private_key_sealed =
            sealed::seal(self.secret, Purpose::SigningKey, kid.as_bytes(), &generated.private_pkcs8_der, self.rng)?;
        let candidate = StoredSigningKey {
            kid,
            alg: "RS256".into(),
            status: KeyStatus::Active,
            public_n: generated.public.n,
            public_e: generated.public.e,
            private_key_sealed,
            created_at: now,
            publish_until: None,
        };
        self.store.insert_active_signing_key_if_none(&candidate).await?;
        self.store
            .active_signing_key()
            .await?
            .ok_or_else(|| InternalError::new("no active signing key right after inserting one"))
    }

    /// The active key, unsealed and imported for signing.
    pub async fn load_active_signer(&self, now: UnixTime) -> Result<ActiveSigningKey<C::Key>, InternalError> {
        let row = self.ensure_active_key(now).await?;
        let der = sealed::open(self.secret, Purpose::SigningKey, row.kid.as_bytes(), &row.private_key_sealed)?;
        let key = self.signer.import_private_pkcs8(&der).await?;
        Ok(ActiveSigningKey { kid: row.kid, key })
    }

    /// The JWK Set (RFC 7517 §5): every key that may still verify a live token. The first
    /// call on a fresh database creates the first key, so resource servers that fetch the
    /// JWKS before any token exists already see the key that will sign.
    pub async fn jwks(&self, now: UnixTime) -> Result<JwkSet, InternalError> {
        let mut published = self.store.published_signing_keys(now).await?;
        if !published.iter().any(|k| k.status == KeyStatus::Active) {
            self.ensure_active_key(now).await?;
            published = self.store.published_signing_keys(now).await?;
        }
        Ok(JwkSet { keys: published.iter().map(Jwk::from).collect() })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use jwt_compact::alg::{Rsa, RsaPublicKey};
    use jwt_compact::{AlgorithmExt, UntrustedToken};

    use super::*;
    use crate::engine::crypto::jose::{b64url_decode, sign_jwt};
    use crate::engine::platform::ports::SystemRandom;
    use crate::native::{NativeRsaSigner, SqliteStore};

    fn secret() -> Secret {
        Secret::for_tests("0123456789abcdef0123456789abcdef-test-only")
    }

    fn key_ring<'a, S: KeyStore>(store: &'a S, secret: &'a Secret) -> KeyRing<'a, S, NativeRsaSigner, SystemRandom> {
        KeyRing { store, signer: &NativeRsaSigner, rng: &SystemRandom, secret }
    }

    fn public_key(jwk: &Jwk) -> RsaPublicKey {
        let n = rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap());
        let e = rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap());
        RsaPublicKey::new(n, e).unwrap()
    }

    #[test]
    fn first_need_creates_one_sealed_active_key_and_reuses_it() {
        let store = SqliteStore::open_in_memory().unwrap();
        let secret = secret();
        let ring = key_ring(&store, &secret);
        let first = pollster::block_on(ring.ensure_active_key(1_000)).unwrap();
        let again = pollster::block_on(ring.ensure_active_key(2_000)).unwrap();
        assert_eq!(first.kid, again.kid);
        assert_eq!(first.status, KeyStatus::Active);
        assert_eq!(first.kid, rsa_thumbprint(&first.public_n, &first.public_e));
        // Sealed at rest: the stored text is not DER (PKCS#8 DER starts 0x30 0x82).
        assert!(first.private_key_sealed.starts_with("v1."));
        assert_eq!(store.count_signing_keys().unwrap(), 1);
    }

    #[test]
    fn a_stored_key_only_opens_with_the_secret_that_sealed_it() {
        let store = SqliteStore::open_in_memory().unwrap();
        let secret = secret();
        let ring = key_ring(&store, &secret);
        pollster::block_on(ring.load_active_signer(1)).unwrap();
        let other = Secret::for_tests("a-different-secret-key-of-sufficient-length");
        let ring = key_ring(&store, &other);
        let err = pollster::block_on(ring.load_active_signer(2)).err().unwrap();
        assert!(err.detail().contains("SECRET_KEY"), "{err}");
    }

    #[test]
    fn signed_jwt_verifies_with_the_published_jwk() {
        let store = SqliteStore::open_in_memory().unwrap();
        let secret = secret();
        let ring = key_ring(&store, &secret);
        let signer = pollster::block_on(ring.load_active_signer(10)).unwrap();
        let claims = serde_json::json!({"iss": "http://127.0.0.1:8787", "sub": "x"});
        let token = pollster::block_on(sign_jwt(&NativeRsaSigner, &signer, "JWT", &claims)).unwrap();

        let jwks = pollster::block_on(ring.jwks(10)).unwrap();
        assert_eq!(jwks.keys.len(), 1);
        let jwk = &jwks.keys[0];
        assert_eq!(jwk.kid, signer.kid);

        let untrusted = UntrustedToken::new(&token).unwrap();
        assert_eq!(untrusted.header().key_id.as_deref(), Some(jwk.kid.as_str()));
        let verified = Rsa::rs256().validator::<serde_json::Value>(&public_key(jwk)).validate(&untrusted).unwrap();
        assert_eq!(verified.claims().custom, claims);
    }

    #[test]
    fn jwks_on_a_fresh_database_creates_the_first_key() {
        let store = SqliteStore::open_in_memory().unwrap();
        let secret = secret();
        let ring = key_ring(&store, &secret);
        let jwks = pollster::block_on(ring.jwks(5)).unwrap();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(
            (jwks.keys[0].kty.as_str(), jwks.keys[0].use_.as_str(), jwks.keys[0].alg.as_str()),
            ("RSA", "sig", "RS256")
        );
        assert_eq!(jwks.keys[0].e, "AQAB");
        // 2048-bit modulus: 256 bytes.
        assert_eq!(b64url_decode(&jwks.keys[0].n).unwrap().len(), 256);
    }

    #[test]
    fn verify_only_keys_stay_published_until_their_tokens_expire() {
        let store = SqliteStore::open_in_memory().unwrap();
        let secret = secret();
        let ring = key_ring(&store, &secret);
        let old = pollster::block_on(ring.ensure_active_key(100)).unwrap();
        // What a rotation will do: demote the old key, then a new one becomes active.
        store.demote_to_verify(&old.kid, 500).unwrap();
        let new = pollster::block_on(ring.ensure_active_key(200)).unwrap();
        assert_ne!(old.kid, new.kid);
        let kids =
            |now| pollster::block_on(ring.jwks(now)).unwrap().keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert_eq!(kids(499), vec![old.kid.clone(), new.kid.clone()]);
        assert_eq!(kids(500), vec![new.kid.clone()]);
        let signer = pollster::block_on(ring.load_active_signer(300)).unwrap();
        assert_eq!(signer.kid, new.kid);
    }

    /// Two isolates see no key at the same moment; both generate; one insert wins.
    #[test]
    fn concurrent_first_requests_create_exactly_one_active_key() {
        let dir = std::env::temp_dir().join(format!("authority-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("race.sqlite");
        let _ = std::fs::remove_file(&path);
        SqliteStore::open_file(&path).unwrap(); // applies the migrations once
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                let path = path.clone();
                std::thread::spawn(move || {
                    // Each "isolate" has its own connection, like two D1 clients.
                    let store =
                        RacingStore { inner: SqliteStore::open_file(&path).unwrap(), barrier, waited: false.into() };
                    let secret = secret();
                    let ring = key_ring(&store, &secret);
                    pollster::block_on(ring.load_active_signer(1)).unwrap().kid
                })
            })
            .collect();
        let kids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(kids[0], kids[1], "both requests must sign with the same key");
        let store = SqliteStore::open_file(&path).unwrap();
        assert_eq!(store.count_signing_keys().unwrap(), 1, "the losing key must not be stored");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Makes both threads read "no active key" before either inserts.
    struct RacingStore {
        inner: SqliteStore,
        barrier: Arc<Barrier>,
        waited: std::cell::Cell<bool>,
    }

    impl KeyStore for RacingStore {
        async fn active_signing_key(&self) -> Result<Option<StoredSigningKey>, InternalError> {
            let result = self.inner.active_signing_key().await;
            if !self.waited.replace(true) {
                self.barrier.wait();
            }
            result
        }
        async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
            self.inner.published_signing_keys(now).await
        }
        async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
            self.inner.insert_active_signing_key_if_none(key).await
        }
        async fn ping(&self) -> Result<(), InternalError> {
            self.inner.ping().await
        }
    }

    #[test]
    fn verifier_cache_reloads_when_stale_and_rate_limits_unknown_kids() {
        let mut cache = VerifierCache::new();
        assert!(matches!(cache.lookup("a", 0), KeyLookup::Reload));
        cache.replace(vec![("a".into(), 1u8)], 100);
        assert!(matches!(cache.lookup("a", 100), KeyLookup::Found(1)));
        assert!(matches!(cache.lookup("zz", 100 + UNKNOWN_KID_RELOAD_SECONDS - 1), KeyLookup::Unknown));
        assert!(matches!(cache.lookup("zz", 100 + UNKNOWN_KID_RELOAD_SECONDS), KeyLookup::Reload));
        assert!(matches!(cache.lookup("a", 100 + SIGNER_CACHE_SECONDS), KeyLookup::Reload));
        assert!(matches!(cache.lookup("a", 99), KeyLookup::Reload), "clock went backwards");
    }

    #[test]
    fn signer_cache_expires_so_rotations_are_picked_up() {
        let mut cache = SignerCache::new(SIGNER_CACHE_SECONDS);
        assert!(cache.get(0).is_none());
        cache.put(ActiveSigningKey { kid: "a".into(), key: 1u8 }, 1_000);
        assert_eq!(cache.get(1_000).map(|k| k.kid), Some("a".into()));
        assert_eq!(cache.get(1_000 + SIGNER_CACHE_SECONDS - 1).map(|k| k.kid), Some("a".into()));
        assert!(cache.get(1_000 + SIGNER_CACHE_SECONDS).is_none());
        // A clock that went backwards does not keep a stale key forever.
        assert!(cache.get(999).is_none());
    }
}
