//! The refresh token grant (RFC 6749 §6): rotation, the reuse grace period, family
//! revocation (RFC 9700 §4.14.2) and binding to client and user.

use super::*;

#[test]
fn refresh_tokens_come_with_offline_access_and_not_when_disabled() {
    let f = password_fixture(&[]);
    let r = password_login(&f, "openid+offline_access").unwrap();
    assert_eq!(r.refresh_token.as_ref().map(String::len), Some(43), "256 bits, base64url");
    let f = password_fixture(&[("REFRESH_TOKEN_TTL", "0")]);
    assert!(password_login(&f, "openid+offline_access").unwrap().refresh_token.is_none());
}

#[test]
fn rfc6749_6_refresh_rotates_and_may_narrow_but_never_widen_scope() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "openid+read+offline_access").unwrap().refresh_token.unwrap();
    let wider = refresh_at(&f, NOW + 10, &first, "&scope=openid+profile");
    assert!(matches!(wider, Err(TokenError::InvalidScope(_))), "{wider:?}");
    let narrowed = refresh_at(&f, NOW + 10, &first, "&scope=read").unwrap();
    assert_eq!(narrowed.scope, "read");
    assert!(narrowed.id_token.is_none());
    let second = narrowed.refresh_token.unwrap();
    assert_ne!(second, first, "rotated");
    // The successor keeps the original scope (RFC 6749 §6).
    let full = refresh_at(&f, NOW + 20, &second, "").unwrap();
    assert_eq!(full.scope, "openid read offline_access");
    let id = verify_id_token(&f, full.id_token.as_deref().unwrap());
    assert_eq!(id["auth_time"], NOW, "auth_time is the original sign-in");
}

#[test]
fn refresh_reuse_within_grace_returns_the_same_successor() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let a = refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap();
    let b = refresh_at(&f, NOW + 12, &first, "").unwrap().refresh_token.unwrap();
    assert_eq!(a, b, "a retry gets the same successor");
    let late = refresh_at(&f, NOW + 10 + 290, &first, "").unwrap().refresh_token.unwrap();
    assert_eq!(late, a, "REFRESH_REUSE_GRACE_SECONDS=300: a retry minutes later, the successor unused");
    assert!(refresh_at(&f, NOW + 301, &a, "").is_ok(), "the successor works");
}

#[test]
fn a_rotated_token_used_after_its_successor_was_used_revokes_the_family_at_once() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let second = refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap();
    let third = refresh_at(&f, NOW + 11, &second, "").unwrap().refresh_token.unwrap();
    let reuse = refresh_at(&f, NOW + 12, &first, "").unwrap_err();
    assert!(matches!(reuse, TokenError::InvalidGrant(_)), "within the grace period, but the successor was used");
    assert!(matches!(refresh_at(&f, NOW + 13, &third, ""), Err(TokenError::InvalidGrant(_))), "the family is gone");
}

#[test]
fn refresh_reuse_after_grace_revokes_the_family_and_is_audited() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let second = refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap();
    let reuse = refresh_at(&f, NOW + 10 + 301, &first, "").unwrap_err();
    assert!(matches!(reuse, TokenError::InvalidGrant(_)));
    // The thief's and the owner's tokens are both dead now.
    assert!(matches!(refresh_at(&f, NOW + 14, &second, ""), Err(TokenError::InvalidGrant(_))));
    let events = f.store.audit_events().unwrap();
    let reuse_event = events.iter().find(|e| e["event"] == "token.refresh_reuse_detected").unwrap();
    assert_eq!(reuse_event["actor_id"], "svc");
    let metadata: Value = serde_json::from_str(reuse_event["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["revoked_tokens"], 2);
}

#[test]
fn refresh_without_rotation_keeps_the_token() {
    let f = password_fixture(&[("REFRESH_TOKEN_ROTATION", "false")]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    assert_eq!(refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap(), first);
    assert_eq!(refresh_at(&f, NOW + 100, &first, "").unwrap().refresh_token.unwrap(), first);
}

#[test]
fn refresh_tokens_are_bound_to_their_client_and_expire() {
    let f = password_fixture(&[("REFRESH_TOKEN_TTL", "100")]);
    add_client(&f, "other", "other-secret");
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    let stolen = pollster::block_on(
        endpoint(&f, NOW + 1)
            .handle_form(Some(&basic("other", "other-secret")), &Form::parse(body.as_bytes()).unwrap()),
    );
    assert!(stolen.is_err(), "another client cannot use it");
    assert!(matches!(refresh_at(&f, NOW + 100, &first, ""), Err(TokenError::InvalidGrant(_))), "expired");
    assert!(matches!(refresh_at(&f, NOW + 1, "made-up", ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn rfc6749_6_the_client_is_authenticated_before_the_refresh_token_is_used() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    let wrong = pollster::block_on(
        endpoint(&f, NOW + 1).handle_form(Some(&basic("svc", "wrong")), &Form::parse(body.as_bytes()).unwrap()),
    );
    assert_eq!(wrong.unwrap_err(), TokenError::InvalidClient { basic: true });
    let missing = pollster::block_on(
        endpoint(&f, NOW + 1)
            .handle_form(Some(&basic("svc", "wrong")), &Form::parse(b"grant_type=refresh_token").unwrap()),
    );
    assert_eq!(missing.unwrap_err(), TokenError::InvalidClient { basic: true }, "invalid_client outranks the rest");
    // The failed attempts did not rotate it.
    let next = refresh_at(&f, NOW + 2, &first, "").unwrap().refresh_token.unwrap();
    assert_ne!(next, first);
}

#[test]
fn refresh_stops_working_when_the_user_is_deactivated() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    f.store.deactivate_user(&alice().id).unwrap();
    assert!(matches!(refresh_at(&f, NOW + 1, &first, ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn rfc6749_5_2_refresh_tokens_only_for_clients_allowed_the_refresh_grant() {
    let mut client = password_client();
    client.grant_types.retain(|g| g != "refresh_token");
    let f = fixture_with(client, |vars| {
        vars.insert("ENABLE_PASSWORD_GRANT", "true".into());
        vars.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "svc".into());
    });
    let mut alice = alice();
    alice.password_hash =
        Some(crate::engine::crypto::passwords::hash_password("wonderland-rabbit-hole", &SystemRandom).unwrap());
    f.store.insert_user(&alice).unwrap();
    let login = password_login(&f, "read+offline_access").unwrap();
    assert!(login.refresh_token.is_none(), "offline_access alone does not make a refresh token");
    let refresh = refresh_at(&f, NOW + 1, "anything", "");
    assert!(matches!(refresh, Err(TokenError::UnauthorizedClient(_))), "{refresh:?}");
}

/// Two isolates refresh the same token at once: one rotation wins, the other answers with
/// the winner's successor, and the family does not fork.
#[test]
fn parallel_refreshes_with_one_token_produce_one_successor() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let row = pollster::block_on(f.store.refresh_token(&hash_token(&first))).unwrap().unwrap();
    // The loser's view: it read the row before the winner rotated it.
    let winner = refresh_at(&f, NOW + 5, &first, "").unwrap().refresh_token.unwrap();
    let endpoint = endpoint(&f, NOW + 5);
    let loser = pollster::block_on(endpoint.rotate(&password_client(), &row)).unwrap();
    assert_eq!(loser, winner);
    let family: i64 = f.store.count_family(&row.family_id).unwrap();
    assert_eq!(family, 2, "the original and exactly one successor");
}

#[test]
fn rfc9700_4_14_2_a_public_clients_refresh_tokens_always_rotate() {
    use crate::engine::oauth::token::refresh::rotates;
    use crate::engine::test_support::{config_with, public_app, web_app};
    let config = config_with(|v| {
        v.insert("REFRESH_TOKEN_ROTATION", "false".into());
    });
    let mut public = public_app();
    public.refresh_token_rotation = Some(false);
    assert!(rotates(&public, &config), "whatever the client or the server says");
    let mut confidential = web_app();
    assert!(!rotates(&confidential, &config));
    confidential.refresh_token_rotation = Some(true);
    assert!(rotates(&confidential, &config));
}

#[test]
fn rfc9700_4_14_2_a_family_ends_at_refresh_token_max_lifetime_however_often_it_rotates() {
    let f = password_fixture(&[("REFRESH_TOKEN_TTL", "100"), ("REFRESH_TOKEN_MAX_LIFETIME", "250")]);
    let mut token = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    // Each refresh within the TTL rotates and would extend the chain forever without the cap.
    for at in [90, 180, 240] {
        token = refresh_at(&f, NOW + at, &token, "").unwrap().refresh_token.unwrap();
    }
    let row = pollster::block_on(f.store.refresh_token(&hash_token(&token))).unwrap().unwrap();
    assert_eq!(row.family_expires_at, Some(NOW + 250));
    assert_eq!(row.expires_at, NOW + 250, "cut at the family's end, not 240 + 100");
    assert!(matches!(refresh_at(&f, NOW + 250, &token, ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn the_refresh_grant_honours_an_expired_password_and_a_newly_required_second_factor() {
    let day = 86_400;
    let f = password_fixture(&[("PASSWORD_EXPIRY_DAYS", "30"), ("PASSWORD_EXPIRY_GRACE_DAYS", "0")]);
    f.store.rows("UPDATE users SET password_changed_at = ?1", &[NOW.into()]);
    let token = password_login(&f, "openid+offline_access").unwrap().refresh_token.unwrap();
    let fresh = refresh_at(&f, NOW + day, &token, "").unwrap().refresh_token.unwrap();
    let expired = refresh_at(&f, NOW + 31 * day, &fresh, "").unwrap_err();
    assert!(matches!(&expired, TokenError::InvalidGrant(m) if m.contains("expired")), "{expired:?}");

    // REQUIRE_MFA turned on after the sign-in (no grace): the password-only family stops.
    let f = password_fixture(&[]);
    let token = password_login(&f, "openid+offline_access").unwrap().refresh_token.unwrap();
    let strict = crate::engine::test_support::config_with(|v| {
        v.insert("ENABLE_PASSWORD_GRANT", "true".into());
        v.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "svc".into());
        v.insert("REQUIRE_MFA", "true".into());
        v.insert("MFA_GRACE_PERIOD_DAYS", "0".into());
    });
    let body = format!("grant_type=refresh_token&refresh_token={token}");
    let endpoint = crate::engine::test_support::token_endpoint(&strict, &f.store, &f.keys, NOW + 10);
    let refused =
        pollster::block_on(endpoint.handle_form(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()));
    assert!(matches!(&refused, Err(TokenError::InvalidGrant(m)) if m.contains("second factor")), "{refused:?}");
    assert!(refresh_at(&f, NOW + 11, &token, "").is_ok(), "nothing was revoked: the rule, not the token, refused");
}
