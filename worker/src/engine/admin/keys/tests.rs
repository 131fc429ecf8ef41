//! Algorithm agility and rotation against the real schema and a test clock: every
//! algorithm's tokens verify with an independent library (jwt-compact); a rotation
//! publishes first and signs later; the replaced key verifies until its tokens have
//! expired, then leaves the JWKS; only a super_admin rotates; `KEY_ROTATION_DAYS`.

use pollster::block_on;
use serde_json::json;
use shared::admin::KeyRotation;

use super::*;
use crate::engine::crypto::jose::sign_jwt;
/// docs/scaling.md: a new key is published 360 s before it signs (the JWKS's 300-s
/// `max-age` plus the isolates' 60-s copy), and a replaced key stays published for the
/// signer cache (300 s) and the longest token after it stops signing. The numbers, not
/// the production constants, so a changed constant fails here.
const ROTATION_LEAD_SECONDS: i64 = 360;
fn publish_until(activate_at: i64, max_token_ttl: i64) -> i64 {
    activate_at + 300 + max_token_ttl
}
use crate::engine::identity::users::Role;
use crate::engine::oauth::access_token::import_published_keys;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::{KeyStatus, SystemRandom};
use crate::engine::test_support::{alice, config_with, verify_with_jwks};
use crate::native::{NativeSigner, SqliteStore};

fn ring<'a>(store: &'a SqliteStore, config: &'a Config) -> KeyRing<'a, SqliteStore, NativeSigner, SystemRandom> {
    KeyRing { store, signer: &NativeSigner, rng: &SystemRandom, secret: &config.secret_key }
}

fn admin(role: Role) -> AdminPrincipal {
    let mut user = alice();
    user.role = role;
    AdminPrincipal::user(user)
}

#[test]
fn rfc7518_and_rfc8037_every_algorithm_signs_tokens_an_independent_library_verifies() {
    let store = SqliteStore::open_in_memory().unwrap();
    let config = config_with(|_| {});
    let ring = ring(&store, &config);
    let jwks = block_on(ring.jwks(10)).unwrap().keys;
    let mut kinds: Vec<(&str, &str, &str)> =
        jwks.iter().map(|k| (k.alg.as_str(), k.kty.as_str(), k.crv.as_str())).collect();
    kinds.sort();
    assert_eq!(kinds, [("ES256", "EC", "P-256"), ("EdDSA", "OKP", "Ed25519"), ("RS256", "RSA", "")]);
    for alg in SigningAlg::ALL {
        let key = block_on(ring.load_active_signer(alg, 11)).unwrap();
        let claims = json!({ "iss": config.issuer, "sub": "someone", "alg_used": alg.as_str() });
        let token = block_on(sign_jwt(&NativeSigner, &key, "JWT", &claims)).unwrap();
        assert_eq!(verify_with_jwks(&token, &jwks), claims, "{alg:?}");
    }
}

#[test]
fn a_rotation_publishes_first_signs_later_and_keeps_the_old_key_until_its_tokens_expire() {
    let store = SqliteStore::open_in_memory().unwrap();
    let config = config_with(|_| {});
    let ring = ring(&store, &config);
    let root = admin(Role::SuperAdmin);
    let meta = RequestMeta::default();
    let old = block_on(ring.load_active_signer(SigningAlg::Es256, 1_000)).unwrap();
    let old_token = block_on(sign_jwt(&NativeSigner, &old, "JWT", &json!({ "sub": "before" }))).unwrap();

    let request = KeyRotation { alg: Some("ES256".into()) };
    let started = block_on(rotate(&ring, &config, &root, &request, &meta, 2_000)).unwrap();
    assert_eq!(started.len(), 1);
    let (new_kid, activate_at) = (started[0].kid.clone(), started[0].activate_at.unwrap());
    assert_eq!(activate_at, 2_000 + ROTATION_LEAD_SECONDS);
    let kids = |now| block_on(ring.jwks(now)).unwrap().keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
    // Published at once, but not signing until every cached JWKS has seen it.
    assert!(kids(2_000).contains(&new_kid) && kids(2_000).contains(&old.kid));
    assert_eq!(block_on(ring.load_active_signer(SigningAlg::Es256, activate_at - 1)).unwrap().kid, old.kid);
    assert_eq!(block_on(ring.load_active_signer(SigningAlg::Es256, activate_at)).unwrap().kid, new_kid);
    // A second rotation while one is pending is refused.
    let again = block_on(rotate(&ring, &config, &root, &request, &meta, 2_001)).unwrap_err();
    assert_eq!((again.status(), again.code()), (409, "rotation_pending"));

    // The Cron Trigger completes it; the old key verifies until its tokens have expired.
    block_on(scheduled(&ring, &config, activate_at + 10)).unwrap();
    let until = publish_until(activate_at, max_token_ttl(&config));
    let jwks = block_on(ring.jwks(until - 1)).unwrap().keys;
    assert_eq!(verify_with_jwks(&old_token, &jwks)["sub"], "before");
    let verifiers = block_on(import_published_keys(&store, &NativeSigner, until - 1)).unwrap();
    assert!(verifiers.iter().any(|(kid, _)| *kid == old.kid), "introspection still knows the old key");
    assert!(!kids(until).contains(&old.kid), "gone once the last token it signed has expired");
    block_on(scheduled(&ring, &config, until)).unwrap();
    let statuses: Vec<(String, KeyStatus)> = block_on(store.live_signing_keys())
        .unwrap()
        .into_iter()
        .filter(|k| k.alg == SigningAlg::Es256)
        .map(|k| (k.kid, k.status))
        .collect();
    assert_eq!(statuses, [(new_kid.clone(), KeyStatus::Active)], "the old key is retired");
    let events: Vec<String> =
        store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    for event in ["key.rotated", "key.activated", "key.retired"] {
        assert!(events.contains(&event.to_owned()), "{event} in {events:?}");
    }
}

#[test]
fn only_a_super_admin_rotates_and_an_unknown_algorithm_is_refused() {
    let store = SqliteStore::open_in_memory().unwrap();
    let config = config_with(|_| {});
    let ring = ring(&store, &config);
    let meta = RequestMeta::default();
    let all = KeyRotation::default();
    for who in [admin(Role::Admin), AdminPrincipal::Client("svc".into())] {
        let err = block_on(rotate(&ring, &config, &who, &all, &meta, 5)).unwrap_err();
        assert_eq!((err.status(), err.code()), (403, "super_admin_required"));
    }
    let bad = KeyRotation { alg: Some("HS256".into()) };
    assert_eq!(block_on(rotate(&ring, &config, &admin(Role::SuperAdmin), &bad, &meta, 5)).unwrap_err().status(), 422);
    let every = block_on(rotate(&ring, &config, &admin(Role::SuperAdmin), &all, &meta, 5)).unwrap();
    assert_eq!(every.iter().map(|k| k.alg.as_str()).collect::<Vec<_>>(), ["RS256", "ES256", "EdDSA"]);
}

#[test]
fn key_rotation_days_starts_a_rotation_of_keys_that_old() {
    let store = SqliteStore::open_in_memory().unwrap();
    let config = config_with(|v| {
        v.insert("KEY_ROTATION_DAYS", "30".into());
    });
    let ring = ring(&store, &config);
    block_on(ring.jwks(0)).unwrap();
    let day = 86_400;
    assert_eq!(block_on(scheduled(&ring, &config, 29 * day)).unwrap()["keys_rotated"], 0);
    assert_eq!(block_on(scheduled(&ring, &config, 30 * day)).unwrap()["keys_rotated"], 3);
    assert_eq!(block_on(scheduled(&ring, &config, 30 * day + 60)).unwrap()["keys_rotated"], 0, "one at a time");
    let done = block_on(scheduled(&ring, &config, 30 * day + ROTATION_LEAD_SECONDS)).unwrap();
    assert_eq!(done["keys_activated"], 3);
    let off = config_with(|v| {
        v.insert("KEY_ROTATION_DAYS", "0".into());
    });
    assert_eq!(block_on(scheduled(&ring, &off, 400 * day)).unwrap()["keys_rotated"], 0);
}
