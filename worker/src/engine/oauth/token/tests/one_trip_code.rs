//! The guard of the one-trip code exchange (docs/storage.md, "One trip per grant"): the
//! SQL conditions of the consume written in the batch that reads the code, against the
//! real schema. Each case is one the grant refuses (RFC 6749 §4.1.3, RFC 7636 §4.6,
//! RFC 9449 §10), and the consume must not land for it; the right request consumes once.

use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::Credentials;
use crate::engine::crypto::pkce;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::codes::OneTripRedemption;
use crate::engine::oauth::token::TokenLookups;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::test_support::*;

fn code(f: &CodeFlow, pkce: &str) -> String {
    let q = format!("{BASE}&response_type=code&scope=openid+offline_access{pkce}");
    param(&authorize(f, &web_app(), &q, NOW), "code").unwrap().to_owned()
}

/// A code with a `plain` challenge (the server's /authorize refuses to issue one; codes
/// stored before that rule, or under another configuration, may have it).
fn plain_code(f: &CodeFlow) -> String {
    let c = code(f, &with_s256());
    let sql =
        "UPDATE authorization_codes SET code_challenge = ?2, code_challenge_method = 'plain' WHERE code_hash = ?1";
    pollster::block_on(f.store.execute(sql, &[hash_token(&c).into(), VERIFIER.into()])).unwrap();
    c
}

fn with_s256() -> String {
    format!("&code_challenge={CHALLENGE}&code_challenge_method=S256")
}

fn redemption(code: &str, credentials: &Credentials, verifier: Option<&str>) -> OneTripRedemption {
    let valid = verifier.filter(|v| pkce::valid_challenge(v));
    OneTripRedemption {
        code_hash: hash_token(code),
        now: NOW + 5,
        jti: "jti-1".into(),
        family_id: "family-1".into(),
        refresh_plaintext: "refresh-plaintext".into(),
        refresh_hash: hash_token("refresh-plaintext"),
        redirect_uri: Some(REDIRECT.into()),
        verifier: valid.map(str::to_owned),
        verifier_sent: verifier.is_some(),
        s256: valid.map(pkce::s256_challenge),
        dpop_jkt: None,
        access_ttl_default: 3600,
        refresh_ttl_default: 86_400,
        max_lifetime: 0,
        gate: ClientGate::new(credentials, false, None, true),
        proof: None,
    }
}

fn web() -> Credentials {
    Credentials::Basic { client_id: "web".into(), secret: "web-secret".into() }
}

/// Whether the consume landed, and whether the refresh token was stored with it.
fn attempt(f: &CodeFlow, r: &OneTripRedemption) -> (bool, bool) {
    let read = pollster::block_on(f.store.code_in_one_trip(r)).unwrap();
    (read.consumed, read.refresh_stored)
}

#[test]
fn the_guarded_consume_lands_once_for_the_right_request_with_its_refresh_token() {
    let f = code_flow();
    let c = code(&f, &with_s256());
    let r = redemption(&c, &web(), Some(VERIFIER));
    assert_eq!(attempt(&f, &r), (true, true), "offline_access: the refresh token in the same batch");
    let mut again = redemption(&c, &web(), Some(VERIFIER));
    (again.jti, again.refresh_hash) = ("jti-2".into(), hash_token("another-refresh"));
    assert_eq!(attempt(&f, &again), (false, false), "once");
    let rows = f.store.rows("SELECT issued_jti, issued_family_id, issued_jti_expires_at FROM authorization_codes", &[]);
    assert_eq!(
        (rows[0]["issued_jti"].as_str(), rows[0]["issued_family_id"].as_str()),
        (Some("jti-1"), Some("family-1"))
    );
    assert_eq!(rows[0]["issued_jti_expires_at"], NOW + 5 + 3600, "ACCESS_TOKEN_TTL, the client having none");
    let token = f.store.rows("SELECT family_id, user_id, scope, expires_at FROM refresh_tokens", &[]);
    assert_eq!(token[0]["family_id"], "family-1");
    assert_eq!(
        (token[0]["scope"].as_str(), token[0]["expires_at"].clone()),
        (Some("openid offline_access"), (NOW + 5 + 86_400).into())
    );
}

#[test]
fn the_guard_refuses_what_the_grant_refuses() {
    let f = code_flow();
    let refused = |r: OneTripRedemption, why: &str| assert_eq!(attempt(&f, &r), (false, false), "{why}");
    refused(redemption(&code(&f, &with_s256()), &web(), Some(&"a".repeat(43))), "a verifier that does not match");
    refused(redemption(&code(&f, &with_s256()), &web(), None), "no verifier for a code with a challenge");
    refused(redemption(&code(&f, &with_s256()), &web(), Some("short")), "a malformed verifier");
    refused(redemption(&code(&f, ""), &web(), Some(VERIFIER)), "a verifier for a code issued without a challenge");
    refused(redemption(&plain_code(&f), &web(), Some(&"b".repeat(43))), "plain: another verifier");
    let wrong = Credentials::Basic { client_id: "web".into(), secret: "nope".into() };
    refused(redemption(&code(&f, &with_s256()), &wrong, Some(VERIFIER)), "a wrong client secret");
    let public = Credentials::IdOnly { client_id: "spa".into() };
    refused(redemption(&code(&f, &with_s256()), &public, Some(VERIFIER)), "another client's code");
    let mut other_uri = redemption(&code(&f, &with_s256()), &web(), Some(VERIFIER));
    other_uri.redirect_uri = Some(format!("{REDIRECT}/other"));
    refused(other_uri, "another redirect_uri");
    let mut late = redemption(&code(&f, &with_s256()), &web(), Some(VERIFIER));
    late.now = NOW + 10 * 60;
    refused(late, "an expired code");
    let bound = code(&f, &with_s256());
    pollster::block_on(f.store.execute(
        "UPDATE authorization_codes SET dpop_jkt = 'jkt-1' WHERE code_hash = ?1",
        &[hash_token(&bound).into()],
    ))
    .unwrap();
    refused(redemption(&bound, &web(), Some(VERIFIER)), "a code bound to a DPoP key, without its proof");
    let named = code(&f, &with_s256());
    pollster::block_on(f.store.execute(
        "UPDATE authorization_codes SET resources = '[\"https://api.example\"]' \
        WHERE code_hash = ?1",
        &[hash_token(&named).into()],
    ))
    .unwrap();
    refused(redemption(&named, &web(), Some(VERIFIER)), "RFC 8707 resources, which only Rust resolves");
    let c = code(&f, &with_s256());
    f.store.deactivate_user(&alice().id).unwrap();
    refused(redemption(&c, &web(), Some(VERIFIER)), "a deactivated user");
    let counted = f.store.rows("SELECT COUNT(*) AS n FROM authorization_codes WHERE consumed_at IS NOT NULL", &[]);
    assert_eq!(counted[0]["n"], 0, "no code was spent by a refused request");
}

#[test]
fn plain_pkce_and_an_undone_consume_leave_the_code_redeemable() {
    let f = code_flow();
    let plain = plain_code(&f);
    let r = redemption(&plain, &web(), Some(VERIFIER));
    assert_eq!(attempt(&f, &r), (true, true));
    pollster::block_on(crate::engine::oauth::codes::CodeStore::undo_consume(&f.store, &r)).unwrap();
    assert!(f.store.rows("SELECT token_hash FROM refresh_tokens", &[]).is_empty(), "its refresh token deleted");
    assert!(redeem(&f, &plain, &format!("&code_verifier={VERIFIER}"), NOW + 6).is_ok(), "the code redeems after all");
}
