use std::sync::{Arc, Barrier};

use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};

use super::*;
use crate::engine::crypto::jose::{b64url_decode, sign_jwt, thumbprint};
use crate::engine::platform::ports::SystemRandom;
use crate::native::{NativeSigner, SqliteStore};

fn secret() -> Secret {
    Secret::for_tests("0123456789abcdef0123456789abcdef-test-only")
}

fn key_ring<'a, S: KeyStore>(store: &'a S, secret: &'a Secret) -> KeyRing<'a, S, NativeSigner, SystemRandom> {
    KeyRing { store, signer: &NativeSigner, rng: &SystemRandom, secret }
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
    let first = pollster::block_on(ring.ensure_active_key(SigningAlg::Rs256, 1_000)).unwrap();
    let again = pollster::block_on(ring.ensure_active_key(SigningAlg::Rs256, 2_000)).unwrap();
    assert_eq!(first.kid, again.kid);
    assert_eq!(first.status, KeyStatus::Active);
    assert_eq!(first.kid, thumbprint(&first.public));
    // Sealed at rest: the stored text is not DER (PKCS#8 DER starts 0x30 0x82).
    assert!(first.private_key_sealed.starts_with("v1."));
    assert_eq!(store.count_signing_keys().unwrap(), 1);
}

#[test]
fn a_stored_key_only_opens_with_the_secret_that_sealed_it() {
    let store = SqliteStore::open_in_memory().unwrap();
    let secret = secret();
    let ring = key_ring(&store, &secret);
    pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 1)).unwrap();
    let other = Secret::for_tests("a-different-secret-key-of-sufficient-length");
    let ring = key_ring(&store, &other);
    let err = pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 2)).err().unwrap();
    assert!(err.detail().contains("SECRET_KEY"), "{err}");
}

#[test]
fn signed_jwt_verifies_with_the_published_jwk() {
    let store = SqliteStore::open_in_memory().unwrap();
    let secret = secret();
    let ring = key_ring(&store, &secret);
    let signer = pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 10)).unwrap();
    let claims = serde_json::json!({"iss": "http://127.0.0.1:8787", "sub": "x"});
    let token = pollster::block_on(sign_jwt(&NativeSigner, &signer, "JWT", &claims)).unwrap();

    let jwks = pollster::block_on(ring.jwks(10)).unwrap();
    let jwk = jwks.keys.iter().find(|k| k.kid == signer.kid).unwrap();

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
    assert_eq!(jwks.keys.len(), 3, "one key per algorithm");
    let by_alg = |alg: &str| jwks.keys.iter().find(|k| k.alg == alg).unwrap();
    let rsa = by_alg("RS256");
    assert_eq!((rsa.kty.as_str(), rsa.use_.as_str()), ("RSA", "sig"));
    assert_eq!(rsa.e, "AQAB");
    // 2048-bit modulus: 256 bytes.
    assert_eq!(b64url_decode(&rsa.n).unwrap().len(), 256);
    // P-256 coordinates and the Ed25519 key: 32 bytes each.
    let (ec, okp) = (by_alg("ES256"), by_alg("EdDSA"));
    assert_eq!((ec.kty.as_str(), ec.crv.as_str(), b64url_decode(&ec.y).unwrap().len()), ("EC", "P-256", 32));
    assert_eq!((okp.kty.as_str(), okp.crv.as_str(), b64url_decode(&okp.x).unwrap().len()), ("OKP", "Ed25519", 32));
}

#[test]
fn verify_only_keys_stay_published_until_their_tokens_expire() {
    let store = SqliteStore::open_in_memory().unwrap();
    let secret = secret();
    let ring = key_ring(&store, &secret);
    let old = pollster::block_on(ring.ensure_active_key(SigningAlg::Rs256, 100)).unwrap();
    // What a rotation will do: demote the old key, then a new one becomes active.
    store.demote_to_verify(&old.kid, 500).unwrap();
    let new = pollster::block_on(ring.ensure_active_key(SigningAlg::Rs256, 200)).unwrap();
    assert_ne!(old.kid, new.kid);
    let kids = |now| {
        let published = pollster::block_on(store.published_signing_keys(now)).unwrap();
        published.into_iter().filter(|k| k.alg == SigningAlg::Rs256).map(|k| k.kid).collect::<Vec<_>>()
    };
    assert_eq!(kids(499), vec![old.kid.clone(), new.kid.clone()]);
    assert_eq!(kids(500), vec![new.kid.clone()]);
    let signer = pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 300)).unwrap();
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
                pollster::block_on(ring.load_active_signer(SigningAlg::Rs256, 1)).unwrap().kid
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
    async fn signing_key_for(&self, alg: SigningAlg, now: UnixTime) -> Result<Option<StoredSigningKey>, InternalError> {
        let result = self.inner.signing_key_for(alg, now).await;
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
    async fn insert_pending_signing_key(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        self.inner.insert_pending_signing_key(key).await
    }
    async fn complete_rotation(&self, alg: SigningAlg, kid: &str, until: UnixTime) -> Result<(), InternalError> {
        self.inner.complete_rotation(alg, kid, until).await
    }
    async fn retire_expired_keys(&self, now: UnixTime) -> Result<Vec<String>, InternalError> {
        self.inner.retire_expired_keys(now).await
    }
    async fn live_signing_keys(&self) -> Result<Vec<StoredSigningKey>, InternalError> {
        self.inner.live_signing_keys().await
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
    let mut cache = SignerCache::new();
    let rs = SigningAlg::Rs256;
    assert!(cache.get(rs, 0).is_none());
    cache.put(ActiveSigningKey { kid: "a".into(), alg: rs, key: 1u8 }, 1_000);
    assert_eq!(cache.get(rs, 1_000).map(|k| k.kid), Some("a".into()));
    assert!(cache.get(SigningAlg::Es256, 1_000).is_none(), "one signer per algorithm");
    assert_eq!(cache.get(rs, 1_000 + SIGNER_CACHE_SECONDS - 1).map(|k| k.kid), Some("a".into()));
    assert!(cache.get(rs, 1_000 + SIGNER_CACHE_SECONDS).is_none());
    // A clock that went backwards does not keep a stale key forever.
    assert!(cache.get(rs, 999).is_none());
}
