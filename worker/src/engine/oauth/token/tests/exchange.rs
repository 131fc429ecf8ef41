//! Token exchange (RFC 8693) at the token endpoint: delegation with `act` (nested when
//! the subject already had one), the new audience and a narrower scope, and the refusals:
//! a foreign or revoked subject token, a forbidden audience, a wider scope, a client not
//! registered for the grant.

use super::*;
use crate::engine::platform::ports::SqlRunner;

const API: &str = "https://api.example.com/";
const EXCHANGE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange";
const ACCESS: &str = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token";

fn exchanging_fixture() -> Fixture {
    let f = password_fixture(&[]);
    pollster::block_on(f.store.execute(
        "UPDATE clients SET grant_types = json_insert(grant_types, '$[#]', 'urn:ietf:params:oauth:grant-type:token-exchange') \
         WHERE client_id = 'svc'",
        &[],
    ))
    .unwrap();
    pollster::block_on(f.store.execute(
        "INSERT INTO resources (id, identifier, name, scopes, created_at, updated_at, client_id) \
         VALUES ('r1', ?1, 'API', '[\"read\"]', 0, 0, 'rs')",
        &[API.into()],
    ))
    .unwrap();
    f
}

fn exchange(f: &Fixture, client: (&str, &str), subject: &str, extra: &str) -> Result<TokenResponse, TokenError> {
    request(
        f,
        Some(&basic(client.0, client.1)),
        &format!("grant_type={EXCHANGE}&subject_token={subject}&subject_token_type={ACCESS}{extra}"),
    )
}

#[test]
fn rfc8693_2_delegation_carries_act_the_new_audience_and_a_narrower_scope() {
    let f = exchanging_fixture();
    let user = password_login(&f, "openid+read").unwrap();
    let out = exchange(&f, ("svc", "s3cret"), &user.access_token, &format!("&resource={API}&scope=read")).unwrap();
    assert_eq!(out.issued_token_type.as_deref(), Some("urn:ietf:params:oauth:token-type:access_token"));
    assert!(out.refresh_token.is_none());
    let (_, claims) = verify(&f, &out.access_token);
    assert_eq!(claims["sub"], crate::engine::test_support::alice().id);
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["act"], serde_json::json!({ "sub": "svc", "client_id": "svc" }), "§4.1: no impersonation");
    // An actor token names who acts; the subject's own act is nested (§4.1).
    add_client(&f, "agent", "agent-secret");
    let agent = request(&f, Some(&basic("agent", "agent-secret")), "grant_type=client_credentials").unwrap();
    let again = exchange(
        &f,
        ("svc", "s3cret"),
        &out.access_token,
        &format!("&actor_token={}&actor_token_type={ACCESS}", agent.access_token),
    );
    // The first exchange's token is for the API, not svc: svc still issued it, so it may.
    let (_, nested) = verify(&f, &again.unwrap().access_token);
    assert_eq!(nested["act"]["sub"], "agent");
    assert_eq!(nested["act"]["act"], serde_json::json!({ "sub": "svc", "client_id": "svc" }));
    assert!(nested["exp"].as_i64() <= claims["exp"].as_i64(), "never outlives the subject token");
}

#[test]
fn rfc8693_a_resource_server_exchanges_the_tokens_issued_for_its_resource() {
    let f = exchanging_fixture();
    add_client(&f, "rs", "rs-secret");
    pollster::block_on(f.store.execute(
        "UPDATE clients SET grant_types = '[\"urn:ietf:params:oauth:grant-type:token-exchange\"]', scopes = '[\"read\"]' \
         WHERE client_id = 'rs'",
        &[],
    ))
    .unwrap();
    let for_api = request(
        &f,
        Some(&basic("svc", "s3cret")),
        &format!("grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole&scope=read&resource={API}"),
    )
    .unwrap();
    let out = exchange(&f, ("rs", "rs-secret"), &for_api.access_token, "").unwrap();
    let (_, claims) = verify(&f, &out.access_token);
    assert_eq!(
        (claims["sub"].as_str(), claims["aud"].as_str()),
        (Some(crate::engine::test_support::alice().id.as_str()), Some("rs"))
    );
}

#[test]
fn rfc8693_refusals_foreign_revoked_forbidden_wider_and_unregistered() {
    let f = exchanging_fixture();
    let user = password_login(&f, "openid+read").unwrap();
    add_client(&f, "other", "other-secret");
    let foreign = request(&f, Some(&basic("other", "other-secret")), "grant_type=client_credentials").unwrap();
    assert!(
        matches!(exchange(&f, ("svc", "s3cret"), &foreign.access_token, ""), Err(TokenError::InvalidGrant(d)) if d.contains("not issued to this client"))
    );
    assert!(matches!(
        exchange(&f, ("svc", "s3cret"), &user.access_token, "&audience=https://unknown.example.com/"),
        Err(TokenError::InvalidTarget(_))
    ));
    assert!(matches!(
        exchange(&f, ("svc", "s3cret"), &user.access_token, "&scope=read+offline_access"),
        Err(TokenError::InvalidScope(_))
    ));
    assert!(matches!(
        exchange(&f, ("other", "other-secret"), &user.access_token, ""),
        Err(TokenError::UnauthorizedClient(_))
    ));
    assert!(matches!(
        exchange(
            &f,
            ("svc", "s3cret"),
            &user.access_token,
            "&requested_token_type=urn:ietf:params:oauth:token-type:id_token"
        ),
        Err(TokenError::InvalidRequest(_))
    ));
    revoke(&f, Some(&basic("svc", "s3cret")), &format!("token={}", user.access_token)).unwrap();
    assert!(
        matches!(exchange(&f, ("svc", "s3cret"), &user.access_token, ""), Err(TokenError::InvalidGrant(d)) if d.contains("not an active"))
    );
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(!events.contains(&"token.exchanged".to_owned()), "refusals issue nothing");
}
