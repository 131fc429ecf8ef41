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
    assert_eq!(
        id["at_hash"],
        crate::engine::test_support::expected_half_hash(
            crate::engine::platform::ports::SigningAlg::Rs256,
            &r.access_token
        )
    );
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["name"], "Alice Liddell");
    // RFC 8176: a password, one factor (OIDC Core §2 acr).
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["acr"], "urn:authority:loa:1");
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

/// Alice's password grant at `now` from `ip`: the right password or a wrong one.
fn attempt(f: &Fixture, now: UnixTime, right: bool, ip: Option<&'static str>) -> Result<TokenResponse, TokenError> {
    let password = if right { "wonderland-rabbit-hole" } else { "nope" };
    let body = format!("grant_type=password&username=alice%40example.com&password={password}&scope=read");
    let meta = RequestMeta { ip_address: ip.map(str::to_owned), user_agent: None, location: None };
    let mut endpoint = endpoint(f, now);
    endpoint.rc.meta = &meta;
    pollster::block_on(endpoint.handle_form(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()))
}

#[test]
fn lockout_after_threshold_failures_refuses_even_the_right_password_until_it_expires() {
    // LOCKOUT_DURATION=30 (minutes) in the dev values.
    let f = password_fixture(&[("LOCKOUT_THRESHOLD", "3")]);
    let (wrong, right) = (|now| attempt(&f, now, false, None), |now| attempt(&f, now, true, None));
    // Two failures, then a success: the count starts again.
    assert!(wrong(NOW).is_err());
    assert!(wrong(NOW).is_err());
    assert!(right(NOW).is_ok());
    let wrong_answer = wrong(NOW + 1).unwrap_err();
    assert!(wrong(NOW + 1).is_err());
    // The third consecutive failure locks the account...
    assert!(wrong(NOW + 1).is_err());
    // ...and the locked answer is the wrong-password answer: a lock reveals nothing.
    assert_eq!(right(NOW + 2).unwrap_err(), wrong_answer);
    assert!(right(NOW + 1 + 30 * 60 - 1).is_err(), "still locked a second before the end");
    // ...for LOCKOUT_DURATION minutes.
    assert!(right(NOW + 1 + 30 * 60).is_ok());
    let events = f.store.audit_events().unwrap();
    let named = |name: &str| events.iter().filter(|e| e["event"] == name).count();
    assert_eq!(named("user.locked"), 1, "{events:?}");
    let locked = events.iter().find(|e| e["event"] == "user.locked").unwrap();
    let metadata: serde_json::Value = serde_json::from_str(locked["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata, serde_json::json!({ "failed_attempts": 3, "locked_until": NOW + 1 + 30 * 60 }));
    assert_eq!(named("user.login"), 2, "{events:?}");
    assert!(events.iter().any(|e| e["metadata"].as_str().is_some_and(|m| m.contains(r#""reason":"locked""#))));
}

#[test]
fn progressive_lockout_doubles_each_lock_until_a_sign_in_succeeds() {
    let f =
        password_fixture(&[("LOCKOUT_THRESHOLD", "1"), ("LOCKOUT_DURATION", "10"), ("PROGRESSIVE_LOCKOUT", "true")]);
    let minutes = |m: i64| m * 60;
    let mut at = NOW;
    for (lock, expected) in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 80)] {
        assert!(attempt(&f, at, false, None).is_err(), "lock {lock}");
        assert!(attempt(&f, at + minutes(expected) - 1, true, None).is_err(), "lock {lock} lasts {expected} min");
        at += minutes(expected);
    }
    assert!(attempt(&f, at, true, None).is_ok());
    // The success forgot the earlier lockouts: the next lasts LOCKOUT_DURATION again.
    assert!(attempt(&f, at, false, None).is_err());
    assert!(attempt(&f, at + minutes(10), true, None).is_ok());
}

#[test]
fn without_auto_unlock_a_lock_stays_until_it_is_lifted() {
    let f = password_fixture(&[("LOCKOUT_THRESHOLD", "1"), ("ENABLE_AUTO_UNLOCK", "false")]);
    assert!(attempt(&f, NOW, false, None).is_err());
    assert!(attempt(&f, NOW + 365 * 86_400, true, None).is_err(), "a year later, still locked");
}

#[test]
fn lockout_whitelist_addresses_are_neither_refused_nor_counted() {
    let f = password_fixture(&[("LOCKOUT_THRESHOLD", "2"), ("LOCKOUT_WHITELIST", "10.0.0.0/8, 192.168.1.0/24")]);
    // Failures from the office never lock...
    for _ in 0..5 {
        assert!(attempt(&f, NOW, false, Some("10.1.2.3")).is_err());
    }
    assert!(attempt(&f, NOW, true, Some("198.51.100.1")).is_ok(), "the office's failures did not count");
    // ...and an attacker's lock does not keep the office out.
    assert!(attempt(&f, NOW, false, Some("198.51.100.1")).is_err());
    assert!(attempt(&f, NOW, false, Some("198.51.100.1")).is_err());
    assert!(attempt(&f, NOW + 1, true, Some("198.51.100.1")).is_err(), "locked elsewhere");
    assert!(attempt(&f, NOW + 1, true, Some("192.168.1.20")).is_ok(), "not from the office");
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

#[test]
fn the_password_grant_refuses_an_account_with_a_second_factor_it_cannot_carry() {
    let f = password_fixture(&[]);
    let alice = alice();
    let config = &f.config;
    pollster::block_on(crate::engine::identity::mfa::begin_totp(&f.store, config, &alice, &SystemRandom, NOW))
        .unwrap()
        .unwrap();
    // Unconfirmed, the app does not count yet.
    assert!(password_login(&f, "openid").is_ok());
    let confirm = "UPDATE mfa_totp SET confirmed_at = 1";
    pollster::block_on(crate::engine::platform::ports::SqlRunner::execute(&f.store, confirm, &[])).unwrap();
    let err = password_login(&f, "openid").unwrap_err();
    assert!(matches!(&err, TokenError::InvalidGrant(d) if d.contains("second factor")), "{err:?}");
    let required = password_fixture(&[("REQUIRE_MFA", "true")]);
    assert!(matches!(password_login(&required, "openid"), Err(TokenError::InvalidGrant(_))), "required, not enrolled");
}

#[test]
fn the_password_grant_refuses_an_expired_password() {
    // Alice's account dates from 1970 in the fixture: her password is long expired.
    let f = password_fixture(&[("PASSWORD_EXPIRY_DAYS", "90")]);
    let err = password_login(&f, "openid").unwrap_err();
    assert!(matches!(&err, TokenError::InvalidGrant(d) if d.contains("expired")), "{err:?}");
    assert!(password_login(&password_fixture(&[]), "openid").is_ok(), "expiry is off by default");
}

/// `LOCKOUT_BY_IP` holds for the password grant as for browser sign-in: an address's wrong
/// passwords up to `IP_LOCKOUT_THRESHOLD` pause it (429, even with the right password),
/// other addresses and whitelisted ones go on, and right passwords count nothing.
#[test]
fn lockout_by_ip_pauses_an_address_on_the_password_grant() {
    let f = password_fixture(&[
        ("LOCKOUT_BY_IP", "true"),
        ("IP_LOCKOUT_THRESHOLD", "2"),
        ("LOCKOUT_THRESHOLD", "100"),
        ("LOCKOUT_WHITELIST", "10.0.0.9"),
    ]);
    let kv = MemoryKv::default();
    let from = |ip: &'static str, right: bool| {
        let password = if right { "wonderland-rabbit-hole" } else { "nope" };
        let body = format!("grant_type=password&username=alice%40example.com&password={password}&scope=read");
        let meta = RequestMeta { ip_address: Some(ip.into()), user_agent: None, location: None };
        let mut endpoint = endpoint(&f, NOW);
        endpoint.rc.meta = &meta;
        endpoint.rc.kv = &kv;
        pollster::block_on(endpoint.handle_form(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()))
    };
    assert!(from("203.0.113.1", true).is_ok(), "a right password counts nothing");
    for _ in 0..2 {
        assert!(matches!(from("203.0.113.1", false), Err(TokenError::InvalidGrant(_))));
    }
    let paused = from("203.0.113.1", true).unwrap_err();
    assert!(matches!(paused, TokenError::RateLimited { .. }), "{paused:?}");
    assert!(from("203.0.113.2", true).is_ok(), "another address goes on");
    for _ in 0..3 {
        assert!(matches!(from("10.0.0.9", false), Err(TokenError::InvalidGrant(_))));
    }
    assert!(from("10.0.0.9", true).is_ok(), "a whitelisted address is never paused");
}
