//! Resource indicators (RFC 8707) at the token endpoint: `aud`, scope, lifetime and
//! algorithm from the registered resource, `invalid_target` for unknown and forbidden
//! ones, and a refresh that narrows to one of the grant's resources.

use super::*;
use crate::engine::platform::ports::SqlRunner;

const API: &str = "https://api.example.com/";
const FILES: &str = "https://files.example.com/";

fn register(f: &Fixture, identifier: &str, scopes: &[&str], ttl: Option<i64>, alg: Option<&str>) {
    let scopes = serde_json::Value::from(scopes.to_vec()).to_string();
    pollster::block_on(f.store.execute(
        "INSERT INTO resources (id, identifier, name, scopes, access_token_ttl, signing_alg, created_at, updated_at) \
         VALUES (?1, ?1, 'API', ?2, ?3, ?4, 0, 0)",
        &[identifier.into(), scopes.into(), ttl.into(), alg.into()],
    ))
    .unwrap();
}

fn cc(f: &Fixture, extra: &str) -> Result<TokenResponse, TokenError> {
    request(f, Some(&basic("svc", "s3cret")), &format!("grant_type=client_credentials{extra}"))
}

#[test]
fn rfc8707_2_client_credentials_for_a_resource_has_its_aud_scope_and_lifetime() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.scopes = vec!["read".into(), "write".into(), "other".into()];
    let f = fixture(client);
    register(&f, API, &["read", "write"], Some(600), None);
    let response = cc(&f, "&scope=read+other&resource=https%3A%2F%2Fapi.example.com%2F").unwrap();
    assert_eq!(response.scope, "read", "the granted scope within what the resource accepts");
    assert_eq!(response.expires_in, 600);
    let (_, claims) = verify(&f, &response.access_token);
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["exp"], NOW + 600);
    // Without resource: today's behaviour, the client is the audience.
    let plain = cc(&f, "&scope=read+other").unwrap();
    assert_eq!(verify(&f, &plain.access_token).1["aud"], "svc");
    assert_eq!(plain.scope, "read other");
}

#[test]
fn rfc8707_2_two_resources_make_an_array_audience() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    register(&f, API, &["read"], None, None);
    register(&f, FILES, &["read"], Some(120), None);
    let response = cc(&f, &format!("&scope=read&resource={API}&resource={FILES}")).unwrap();
    let (_, claims) = verify(&f, &response.access_token);
    assert_eq!(claims["aud"], serde_json::json!([API, FILES]));
    assert_eq!(response.expires_in, 120, "the shortest lifetime of the two");
}

#[test]
fn rfc8707_2_unknown_forbidden_and_malformed_resources_are_invalid_target() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.allowed_resources = vec![API.into()];
    let f = fixture(client);
    register(&f, API, &["read"], None, None);
    register(&f, FILES, &["read"], None, None);
    for (extra, says) in [
        ("&resource=https://unknown.example.com/", "not registered"),
        (&format!("&resource={FILES}") as &str, "may not ask"),
        ("&resource=api.example.com", "absolute URI"),
        ("&resource=https://api.example.com/%23x", "fragment"),
    ] {
        match cc(&f, extra) {
            Err(TokenError::InvalidTarget(d)) => assert!(d.contains(says), "{extra}: {d}"),
            other => panic!("{extra}: {other:?}"),
        }
    }
    assert!(cc(&f, &format!("&resource={API}")).is_ok());
}

#[test]
fn rfc8707_a_resources_algorithm_signs_its_tokens() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    register(&f, API, &["read"], None, Some("ES256"));
    let response = cc(&f, &format!("&resource={API}")).unwrap();
    let header = response.access_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&crate::engine::crypto::jose::b64url_decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
}

#[test]
fn rfc8707_2_2_a_refresh_narrows_to_one_of_the_grants_resources_never_another() {
    let f = password_fixture(&[]);
    register(&f, API, &["read"], None, None);
    register(&f, FILES, &["read", "offline_access"], None, None);
    register(&f, "https://third.example.com/", &["read"], None, None);
    let body = format!(
        "grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole\
         &scope=openid+read+offline_access&resource={API}&resource={FILES}"
    );
    let first = request(&f, Some(&basic("svc", "s3cret")), &body).unwrap();
    assert_eq!(verify(&f, &first.access_token).1["aud"], serde_json::json!([API, FILES]));
    let id_token = verify_id_token(&f, first.id_token.as_deref().unwrap());
    assert_eq!(id_token["aud"], "svc", "the ID token is the client's");
    let refresh = first.refresh_token.unwrap();
    let narrowed = refresh_at(&f, NOW + 10, &refresh, &format!("&resource={FILES}")).unwrap();
    let (_, claims) = verify(&f, &narrowed.access_token);
    assert_eq!(claims["aud"], FILES);
    assert_eq!(claims["scope"], "read offline_access");
    // The successor keeps the whole grant: the next refresh may pick the other one.
    let next = narrowed.refresh_token.unwrap();
    let other = refresh_at(&f, NOW + 20, &next, &format!("&resource={API}")).unwrap();
    assert_eq!(verify(&f, &other.access_token).1["aud"], API);
    let wider = refresh_at(&f, NOW + 30, &other.refresh_token.unwrap(), "&resource=https://third.example.com/");
    assert!(matches!(wider, Err(TokenError::InvalidTarget(d)) if d.contains("not part of this grant")));
}

#[test]
fn rfc8707_a_resource_deleted_since_the_grant_is_invalid_target() {
    let f = password_fixture(&[]);
    register(&f, API, &["read"], None, None);
    let body = format!(
        "grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole\
         &scope=read+offline_access&resource={API}"
    );
    let first = request(&f, Some(&basic("svc", "s3cret")), &body).unwrap();
    pollster::block_on(f.store.execute("DELETE FROM resources", &[])).unwrap();
    let refreshed = refresh_at(&f, NOW + 10, &first.refresh_token.unwrap(), "");
    assert!(matches!(refreshed, Err(TokenError::InvalidTarget(d)) if d.contains("not registered")));
}

#[test]
fn rfc7662_introspection_reports_the_resource_audience() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.scopes = vec!["read".into(), "introspection".into()];
    let f = fixture(client);
    register(&f, API, &["read"], None, None);
    let token = cc(&f, &format!("&scope=read&resource={API}")).unwrap().access_token;
    let answer = introspect(&f, NOW, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap();
    assert!(answer.active);
    assert_eq!(answer.aud, Some(shared::oauth::Aud::One(API.into())));
}
