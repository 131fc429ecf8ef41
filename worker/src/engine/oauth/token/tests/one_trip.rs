//! The guard of the one-trip refresh (docs/storage.md, "One trip per grant"): the SQL
//! conditions of the rotation written in the batch that reads the token, against the
//! real schema. The guard must never be looser than the checks in Rust: each case here
//! is one the grant refuses, and the rotation must not land for it.

use super::*;
use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::Credentials;
use crate::engine::oauth::refresh::Rotation;
use crate::engine::oauth::token::TokenLookups;
use crate::engine::platform::ports::SqlRunner;

const ALICE: &str = "8d6f0c1e-0000-4000-8000-000000000001";
const SUCCESSOR: &str = "the-successor-plaintext-0123456789abcdefghi";

fn credentials(secret: &str) -> Credentials {
    Credentials::Basic { client_id: "svc".into(), secret: secret.into() }
}

fn rotation(presented: &str, credentials: &Credentials, scopes: &str, origin: Option<&str>) -> Rotation {
    Rotation {
        parent_hash: hash_token(presented),
        successor_plaintext: SUCCESSOR.into(),
        successor_hash: hash_token(SUCCESSOR),
        successor_sealed: "sealed".into(),
        now: NOW + 10,
        dpop_jkt: None,
        scopes_json: scopes.into(),
        rotation_default: true,
        refresh_ttl_default: 3600,
        gate: ClientGate::new(credentials, false, origin, true),
        proof: None,
    }
}

/// Whether the guarded rotation of `r` landed, and the successor row if one was stored.
fn attempt(f: &Fixture, r: &Rotation) -> (bool, Option<crate::engine::oauth::refresh::RefreshToken>) {
    let read = pollster::block_on(f.store.refresh_in_one_trip(r)).unwrap();
    assert!(read.client.is_some() && read.token.is_some(), "the batch reads the client and the token");
    (read.rotated, pollster::block_on(f.store.refresh_token(&r.successor_hash)).unwrap())
}

fn sql(f: &Fixture, statement: &str) {
    pollster::block_on(f.store.execute(statement, &[])).unwrap();
}

#[test]
fn the_guarded_rotation_lands_for_the_client_with_its_secret_and_copies_the_parent() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let (rotated, successor) = attempt(&f, &rotation(&first, &credentials("s3cret"), r#"["read"]"#, None));
    assert!(rotated);
    let successor = successor.unwrap();
    let parent = pollster::block_on(f.store.refresh_token(&hash_token(&first))).unwrap().unwrap();
    assert_eq!(successor.family_id, parent.family_id);
    assert_eq!(successor.parent_hash.as_deref(), Some(parent.token_hash.as_str()));
    assert_eq!((successor.scope.as_str(), successor.user_id.as_deref()), ("read offline_access", Some(ALICE)));
    assert_eq!(successor.expires_at, NOW + 10 + 3600, "REFRESH_TOKEN_TTL from the request's configuration");
    assert_eq!(parent.rotated_at, Some(NOW + 10));
    assert!(parent.successor_unused, "read with the parent: its successor is unused");
}

#[test]
fn the_guard_refuses_what_the_grant_refuses() {
    let f = password_fixture(&[]);
    let fresh = || password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let right = credentials("s3cret");
    let refused = |r: Rotation, why: &str| assert_eq!(attempt(&f, &r), (false, None), "{why}");
    refused(rotation(&fresh(), &credentials("wrong"), "[]", None), "a wrong secret");
    let post = Credentials::Post { client_id: "svc".into(), secret: "s3cret".into() };
    refused(rotation(&fresh(), &post, "[]", None), "a method the client did not register");
    let assertion = Credentials::Assertion { client_id: "svc".into(), assertion: "a.b.c".into() };
    refused(rotation(&fresh(), &assertion, "[]", None), "an assertion, which only Rust verifies");
    refused(rotation(&fresh(), &right, r#"["read","profile"]"#, None), "a scope wider than the token's");
    refused(rotation(&fresh(), &right, "[]", Some("https://app.example")), "an Origin of no redirect URI");
    let mut bound = rotation(&fresh(), &right, "[]", None);
    sql(&f, &format!("UPDATE refresh_tokens SET dpop_jkt = 'jkt-1' WHERE token_hash = '{}'", bound.parent_hash));
    bound.dpop_jkt = Some("jkt-2".into());
    refused(bound, "a family bound to another DPoP key");
    refused(rotation(&fresh(), &right, "[]", None).expired_at(), "an expired token");

    let token = fresh();
    sql(&f, "UPDATE client_secrets SET expires_at = 1 WHERE client_id = 'svc'");
    refused(rotation(&token, &right, "[]", None), "an expired secret");
    sql(&f, "UPDATE client_secrets SET expires_at = NULL WHERE client_id = 'svc'");
    sql(&f, &format!("UPDATE users SET active = 0 WHERE id = '{ALICE}'"));
    refused(rotation(&token, &right, "[]", None), "a deactivated user");
    sql(&f, &format!("UPDATE users SET active = 1 WHERE id = '{ALICE}'"));
    sql(&f, "UPDATE clients SET refresh_token_rotation = 0 WHERE client_id = 'svc'");
    refused(rotation(&token, &right, "[]", None), "a client whose tokens do not rotate");
    sql(&f, "UPDATE clients SET refresh_token_rotation = NULL, security_profile = 'fapi2' WHERE client_id = 'svc'");
    refused(rotation(&token, &right, "[]", None), "a FAPI 2.0 client (FAPI 2.0 §5.3.2.1)");
    sql(&f, "UPDATE clients SET security_profile = NULL, grant_types = '[\"password\"]' WHERE client_id = 'svc'");
    refused(rotation(&token, &right, "[]", None), "a client not allowed the refresh grant");
    sql(&f, "UPDATE clients SET grant_types = '[\"password\",\"refresh_token\"]' WHERE client_id = 'svc'");
    assert!(attempt(&f, &rotation(&token, &right, "[]", None)).0, "and once all of it holds, it lands");
}

#[test]
fn an_origin_matches_only_the_exact_prefix_of_a_redirect_uri() {
    let f = password_fixture(&[]);
    sql(&f, r#"UPDATE clients SET redirect_uris = '["https://app.example/cb"]' WHERE client_id = 'svc'"#);
    let right = credentials("s3cret");
    for lookalike in ["https://app.exampl", "https://app.example.evil", "http://app.example"] {
        let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
        assert!(!attempt(&f, &rotation(&token, &right, "[]", Some(lookalike))).0, "{lookalike}");
    }
    let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    assert!(attempt(&f, &rotation(&token, &right, "[]", Some("https://app.example"))).0);
}

#[test]
fn an_undone_rotation_leaves_the_token_as_it_was_unless_its_successor_was_used() {
    let f = password_fixture(&[]);
    let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let r = rotation(&token, &credentials("s3cret"), "[]", None);
    assert!(attempt(&f, &r).0);
    pollster::block_on(f.store.undo_rotation(&r.parent_hash, &r.successor_hash)).unwrap();
    let parent = pollster::block_on(f.store.refresh_token(&r.parent_hash)).unwrap().unwrap();
    assert_eq!((parent.rotated_at, parent.successor_hash), (None, None));
    assert!(pollster::block_on(f.store.refresh_token(&r.successor_hash)).unwrap().is_none(), "the successor is gone");
    assert!(refresh_at(&f, NOW + 20, &token, "").is_ok(), "the token refreshes as before");

    // Once the successor itself was used, an undo changes nothing: someone holds it.
    let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let r = rotation(&token, &credentials("s3cret"), "[]", None);
    assert!(attempt(&f, &r).0);
    assert!(refresh_at(&f, NOW + 20, SUCCESSOR, "").is_ok());
    pollster::block_on(f.store.undo_rotation(&r.parent_hash, &r.successor_hash)).unwrap();
    let parent = pollster::block_on(f.store.refresh_token(&r.parent_hash)).unwrap().unwrap();
    assert_eq!(parent.successor_hash.as_deref(), Some(r.successor_hash.as_str()));
    assert!(pollster::block_on(f.store.refresh_token(&r.successor_hash)).unwrap().is_some());
}

#[test]
fn a_refusal_after_the_guard_puts_the_token_back_an_expired_password() {
    let f = password_fixture(&[("PASSWORD_EXPIRY_DAYS", "90")]);
    sql(&f, &format!("UPDATE users SET password_changed_at = {NOW} WHERE id = '{ALICE}'"));
    let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    sql(&f, &format!("UPDATE users SET password_changed_at = {} WHERE id = '{ALICE}'", NOW - 400 * 86_400));
    let refused = refresh_at(&f, NOW + 10, &token, "");
    assert!(matches!(&refused, Err(TokenError::InvalidGrant(why)) if why.contains("expired")), "{refused:?}");
    let row = pollster::block_on(f.store.refresh_token(&hash_token(&token))).unwrap().unwrap();
    assert_eq!((row.rotated_at, row.successor_hash), (None, None), "the guard's rotation was undone");
    sql(&f, &format!("UPDATE users SET password_changed_at = {NOW} WHERE id = '{ALICE}'"));
    assert!(refresh_at(&f, NOW + 20, &token, "").is_ok());
}

impl Rotation {
    /// This rotation, attempted after the token's expiry.
    fn expired_at(mut self) -> Self {
        self.now = NOW + 10 * 365 * 86_400;
        self
    }
}

#[test]
fn rfc9449_11_1_the_rotation_lands_only_with_an_unspent_proof_which_the_batch_then_spends() {
    use crate::engine::oauth::dpop::Checked;
    let f = password_fixture(&[]);
    let proof = Checked { jkt: "jkt-1".into(), jti_hash: hash_token("jti-1"), expires_at: NOW + 600 };
    let token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let mut r = rotation(&token, &credentials("s3cret"), "[]", None);
    r.proof = Some(proof.clone());
    let read = pollster::block_on(f.store.refresh_in_one_trip(&r)).unwrap();
    assert_eq!((read.rotated, read.proof_spent), (true, Some(true)), "first use: rotated and spent");
    // The same proof again, on another token: spent already, so nothing lands.
    let other = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let mut again = rotation(&other, &credentials("s3cret"), "[]", None);
    (again.successor_hash, again.proof) = (hash_token("another-successor"), Some(proof));
    let read = pollster::block_on(f.store.refresh_in_one_trip(&again)).unwrap();
    assert_eq!((read.rotated, read.proof_spent), (false, Some(false)), "a replayed proof rotates nothing");
}
