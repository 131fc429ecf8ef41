use super::*;
use crate::engine::clients::AuthMethod;
use crate::engine::test_support::confidential;

fn resource(identifier: &str, scopes: &[&str], ttl: Option<u32>, alg: Option<SigningAlg>) -> TargetResource {
    TargetResource {
        identifier: identifier.into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        access_token_ttl: ttl,
        signing_alg: alg,
    }
}

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap()
}

#[test]
fn rfc8707_2_resource_values_are_absolute_uris_named_once() {
    assert_eq!(
        requested(&form("resource=https://a.example/&resource=https://a.example/&resource=urn:x:y")).unwrap(),
        ["https://a.example/", "urn:x:y"]
    );
    assert!(requested(&form("resource=/relative")).unwrap_err().contains("absolute URI"));
    assert!(requested(&form("resource=https%3A%2F%2Fa.example%2F%23f")).unwrap_err().contains("fragment"));
    let many: Vec<String> = (0..11).map(|i| format!("resource=https://r{i}.example/")).collect();
    assert!(requested(&form(&many.join("&"))).unwrap_err().contains("at most"));
    assert!(requested(&form("scope=x")).unwrap().is_empty());
}

#[test]
fn rfc8707_2_unknown_and_forbidden_resources_are_invalid_target() {
    let found =
        [resource("https://a.example/", &["read"], None, None), resource("https://b.example/", &[], None, None)];
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    let ok = resolve(&["https://b.example/".into(), "https://a.example/".into()], &found, &client).unwrap();
    assert_eq!(
        ok.iter().map(|r| r.identifier.as_str()).collect::<Vec<_>>(),
        ["https://b.example/", "https://a.example/"]
    );
    assert!(resolve(&["https://c.example/".into()], &found, &client).unwrap_err().contains("not registered"));
    client.allowed_resources = vec!["https://a.example/".into()];
    assert!(resolve(&["https://a.example/".into()], &found, &client).is_ok());
    assert!(resolve(&["https://b.example/".into()], &found, &client).unwrap_err().contains("may not ask"));
}

#[test]
fn rfc8707_2_2_a_later_request_narrows_never_widens() {
    let granted = [resource("https://a.example/", &[], None, None), resource("https://b.example/", &[], None, None)];
    assert_eq!(narrow(&[], &granted).unwrap().len(), 2);
    assert_eq!(narrow(&["https://b.example/".into()], &granted).unwrap()[0].identifier, "https://b.example/");
    assert!(narrow(&["https://c.example/".into()], &granted).unwrap_err().contains("not part of this grant"));
}

#[test]
fn the_audience_scope_lifetime_and_algorithm_follow_the_resources() {
    let a = resource("https://a.example/", &["read", "write"], Some(600), Some(SigningAlg::Es256));
    let b = resource("https://b.example/", &["admin:b"], Some(300), None);
    let scope: Vec<String> = ["openid", "read", "admin:b", "other"].iter().map(|s| (*s).to_owned()).collect();
    let both = audience(&[a.clone(), b], &scope).unwrap();
    assert_eq!(both.aud, ["https://a.example/", "https://b.example/"]);
    assert_eq!(both.scope, ["read", "admin:b"], "the granted scope within what the resources accept");
    assert_eq!((both.ttl, both.alg), (Some(300), Some(SigningAlg::Es256)));
    let c = resource("https://c.example/", &[], None, Some(SigningAlg::Rs256));
    assert!(audience(&[a, c], &scope).unwrap_err().contains("different algorithms"));
}

#[test]
fn stored_identifiers_round_trip() {
    assert_eq!(identifiers(Some(r#"["https://a.example/"]"#)), ["https://a.example/"]);
    assert!(identifiers(None).is_empty());
    let decoded = decode_list(Some(
        r#"[{"identifier":"https://a.example/","scopes":["r"],"access_token_ttl":60,"signing_alg":"ES256"}]"#,
    ))
    .unwrap();
    assert_eq!(decoded, [resource("https://a.example/", &["r"], Some(60), Some(SigningAlg::Es256))]);
}
