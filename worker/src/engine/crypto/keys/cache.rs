//! The per-isolate caches in front of the signing keys: the imported signers (one per
//! algorithm), the imported public keys for verifying presented tokens, and a TTL cell for
//! the served JWKS and discovery bodies.

use super::ActiveSigningKey;
use crate::engine::platform::ports::{SigningAlg, UnixTime};

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

/// How long the JWKS may be cached by whoever fetches it (its HTTP `max-age`).
pub const JWKS_MAX_AGE_SECONDS: UnixTime = 300;
/// How long an isolate serves the same JWKS body (well under the max-age, so a key
/// published by a rotation reaches verifiers as fast as the max-age allows anyway).
pub const JWKS_ISOLATE_CACHE_SECONDS: UnixTime = 60;

/// The imported signing keys, one per algorithm, each refreshed every
/// [`SIGNER_CACHE_SECONDS`].
pub struct SignerCache<K> {
    rs256: TtlCache<ActiveSigningKey<K>>,
    es256: TtlCache<ActiveSigningKey<K>>,
    eddsa: TtlCache<ActiveSigningKey<K>>,
}

impl<K: Clone> SignerCache<K> {
    pub const fn new() -> Self {
        SignerCache {
            rs256: TtlCache::new(SIGNER_CACHE_SECONDS),
            es256: TtlCache::new(SIGNER_CACHE_SECONDS),
            eddsa: TtlCache::new(SIGNER_CACHE_SECONDS),
        }
    }

    fn slot(&mut self, alg: SigningAlg) -> &mut TtlCache<ActiveSigningKey<K>> {
        match alg {
            SigningAlg::Rs256 => &mut self.rs256,
            SigningAlg::Es256 => &mut self.es256,
            SigningAlg::EdDsa => &mut self.eddsa,
        }
    }

    pub fn get(&self, alg: SigningAlg, now: UnixTime) -> Option<ActiveSigningKey<K>> {
        match alg {
            SigningAlg::Rs256 => self.rs256.get(now),
            SigningAlg::Es256 => self.es256.get(now),
            SigningAlg::EdDsa => self.eddsa.get(now),
        }
    }

    pub fn put(&mut self, key: ActiveSigningKey<K>, now: UnixTime) {
        self.slot(key.alg).put(key, now);
    }

    /// Forgets every signer (after a rotation made through this isolate).
    pub fn clear(&mut self) {
        for alg in SigningAlg::ALL {
            self.slot(alg).clear();
        }
    }
}

impl<K: Clone> Default for SignerCache<K> {
    fn default() -> Self {
        Self::new()
    }
}

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
