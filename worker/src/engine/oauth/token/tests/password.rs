//! The resource owner password credentials grant (RFC 6749 §4.3), its ID token and the
//! account lockout it shares with browser sign-in.

use super::*;

#[test]
fn rfc6749_4_3_password_grant_with_openid_issues_a_verifiable_id_token() {
    let f = password_fixture(&[]);
    let r = password_login(&f, "openid+profile+email").unwrap();
    assert_eq!(r.scope, "openid profile email");
    assert!(r.refresh_token.is_none(), "no offline_access, no refresh token");
    let (_, access) = verify(&f, &r.access_token);
    let alice = alice();
    assert_eq!(access["sub"], alice.id.as_str());
    assert_eq!(access["auth_time"], NOW);
    let id = verify_id_token(&f, r.id_token.as_deref().unwrap());
    assert_eq!(id["iss"], "http://127.0.0.1:8787");
    assert_eq!(id["sub"], alice.id.as_str());
    assert_eq!(id["aud"], "svc");
    assert_eq!(id["auth_time"], NOW);
    assert_eq!(id["at_hash"], crate::engine::oauth::id_token::half_hash(&r.access_token));
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["name"], "Alice Liddell");
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, vec!["user.login"]);
}

#[test]
fn rfc6749_4_3_wrong_password_and_unknown_user_are_the_same_invalid_grant() {
    let f = password_fixture(&[]);
    let wrong =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=alice%40example.com&password=nope")
            .unwrap_err();
    let unknown =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=bob%40example.com&password=nope")
            .unwrap_err();
    assert_eq!(wrong, unknown);
    assert!(matches!(wrong, TokenError::InvalidGrant(_)));
    let events = f.store.audit_events().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["event"] == "user.login_failed"));
    let missing = request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=alice%40example.com");
    assert!(matches!(missing, Err(TokenError::InvalidRequest(_))));
}

#[test]
fn lockout_after_threshold_failures_refuses_even_the_right_password_until_it_expires() {
    // LOCKOUT_THRESHOLD=5, LOCKOUT_DURATION=30 (minutes) in the dev values.
    let f = password_fixture(&[("LOCKOUT_THRESHOLD", "3")]);
    let wrong = |now: UnixTime| {
        let body = "grant_type=password&username=alice%40example.com&password=nope";
        pollster::block_on(
            endpoint(&f, now).handle(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()),
        )
    };
    let right = |now: UnixTime| {
        let body = "grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole&scope=read";
        pollster::block_on(
            endpoint(&f, now).handle(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()),
        )
    };
    // Two failures, then a success: the count starts again.
    assert!(wrong(NOW).is_err());
    assert!(wrong(NOW).is_err());
    assert!(right(NOW).is_ok());
    for _ in 0..2 {
        assert!(matches!(wrong(NOW + 1), Err(TokenError::InvalidGrant(ref d)) if d.contains("incorrect")));
    }
    // The third consecutive failure locks the account...
    assert!(wrong(NOW + 1).is_err());
    let locked = right(NOW + 2).unwrap_err();
    assert!(matches!(locked, TokenError::InvalidGrant(ref d) if d.contains("locked")), "{locked:?}");
    assert!(right(NOW + 1 + 30 * 60 - 1).is_err(), "still locked a second before the end");
    // ...for LOCKOUT_DURATION minutes.
    assert!(right(NOW + 1 + 30 * 60).is_ok());
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events.iter().filter(|e| *e == "user.locked").count(), 1, "{events:?}");
    assert_eq!(events.iter().filter(|e| *e == "user.login").count(), 2, "{events:?}");
}

#[test]
fn password_grant_needs_the_switch_and_the_allow_list() {
    let f = fixture_with(password_client(), |_| {});
    // Disabled: not even a supported grant type.
    assert!(matches!(password_login(&f, "openid"), Err(TokenError::UnsupportedGrantType(_))));
    let f = fixture_with(password_client(), |v| {
        v.insert("ENABLE_PASSWORD_GRANT", "true".into());
        v.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "someone-else".into());
    });
    assert!(matches!(password_login(&f, "openid"), Err(TokenError::UnauthorizedClient(_))));
}
