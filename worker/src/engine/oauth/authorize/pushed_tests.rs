//! Pushed authorization requests (RFC 9126), request objects (RFC 9101), `dpop_jkt`
//! (RFC 9449 §10) and the FAPI 2.0 profile's rules at the authorization endpoint,
//! natively: what the PAR endpoint accepts and stores, and what `/authorize` takes once.

use pollster::block_on;
use serde_json::{json, Value};
use shared::oauth::PAR_REQUEST_URI_PREFIX;

use super::pushed::{resolve, PushedRequest};
use super::request::{self, Via};
use super::AuthorizeError;
use crate::engine::clients::{ClientSecret, ClientStore};
use crate::engine::crypto::jose::b64url;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::token::TokenError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{JwsSigner, SigningAlg, UnixTime};
use crate::engine::test_support::{
    code_flow, credentials_of, query, token_endpoint, web_app, web_auth, CodeFlow, CHALLENGE, NOW, REDIRECT,
};
use crate::native::NativeSigner;

const PKCE: &str = "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

fn push(f: &CodeFlow, auth: Option<&str>, body: &str, jkt: Option<&str>) -> Result<PushedRequest, TokenError> {
    let mut endpoint = token_endpoint(&f.config, &f.store, &f.keys, NOW);
    endpoint.dpop_jkt = jkt;
    let form = Form::parse(body.as_bytes()).unwrap();
    block_on(endpoint.push_authorization_request(&credentials_of(auth, &form), &form))
}

fn take(f: &CodeFlow, client_id: &str, uri: &str, now: UnixTime) -> Result<(Form, Via), AuthorizeError> {
    let rc = token_endpoint(&f.config, &f.store, &f.keys, now).rc;
    let q = format!("client_id={client_id}&request_uri={}", crate::engine::test_support::urlencode(uri));
    block_on(resolve(&rc, query(&q)))
}

fn page_error(result: Result<(Form, Via), AuthorizeError>) -> &'static str {
    match result {
        Err(AuthorizeError::Page { error, .. }) => error,
        other => panic!("expected an error page, got {other:?}"),
    }
}

fn pushed_code_request() -> String {
    format!(
        "response_type=code&scope=openid&state=s&redirect_uri={}{PKCE}",
        crate::engine::test_support::urlencode(REDIRECT)
    )
}

#[test]
fn rfc9126_2_a_pushed_request_is_taken_once_by_its_client_within_60_seconds() {
    let f = code_flow();
    let pushed = push(&f, Some(&web_auth()), &pushed_code_request(), None).unwrap();
    assert_eq!(pushed.expires_in, 60);
    assert!(pushed.request_uri.starts_with(PAR_REQUEST_URI_PREFIX));
    // Another client cannot take it (and does not spend it).
    assert_eq!(page_error(take(&f, "spa", &pushed.request_uri, NOW)), "invalid_request_uri");
    let (params, via) = take(&f, "web", &pushed.request_uri, NOW + 59).unwrap();
    assert_eq!(via, Via::Pushed);
    assert_eq!(params.get("state"), Some("s"));
    assert_eq!(params.get("client_id"), Some("web"));
    assert!(params.get("client_secret").is_none());
    let request = request::parse(&params, Some(&web_app()), &[], &f.config, NOW * 1000, via).unwrap();
    assert!(request.pushed);
    assert_eq!(page_error(take(&f, "web", &pushed.request_uri, NOW)), "invalid_request_uri", "used twice");
    let late = push(&f, Some(&web_auth()), &pushed_code_request(), None).unwrap();
    assert_eq!(page_error(take(&f, "web", &late.request_uri, NOW + 61)), "invalid_request_uri", "after 60 s");
    assert_eq!(page_error(take(&f, "web", "https://elsewhere.example/req", NOW)), "invalid_request_uri");
}

#[test]
fn rfc9126_2_3_a_push_is_checked_with_the_authorization_endpoints_rules_and_stores_no_secret() {
    let f = code_flow();
    let mut poster = web_app();
    poster.client_id = "poster".into();
    poster.auth_method = crate::engine::clients::AuthMethod::ClientSecretPost;
    let secret = ClientSecret {
        secret_id: "p1".into(),
        secret_hash: hash_token("poster-secret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    block_on(f.store.ensure_client(&poster, Some(&secret), 0)).unwrap();
    let body = format!("{}&client_id=poster&client_secret=poster-secret", pushed_code_request());
    let pushed = push(&f, None, &body, None).unwrap();
    let stored: Vec<Value> = f.store.rows("SELECT params FROM pushed_authorization_requests", &[]);
    assert!(!stored[0]["params"].as_str().unwrap().contains("poster-secret"), "{stored:?}");
    assert!(take(&f, "poster", &pushed.request_uri, NOW).is_ok());
    let bad_scope = pushed_code_request().replace("scope=openid", "scope=openid%20admin");
    match push(&f, Some(&web_auth()), &bad_scope, None) {
        Err(TokenError::Authorization { error: "invalid_scope", .. }) => {}
        other => panic!("{other:?}"),
    }
    let nested = format!("{}&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax", pushed_code_request());
    assert!(matches!(push(&f, Some(&web_auth()), &nested, None), Err(TokenError::InvalidRequest(_))));
    assert!(matches!(
        push(&f, None, &pushed_code_request().replace("response_type", "client_id=web&response_type"), None),
        Err(TokenError::InvalidClient { .. } | TokenError::ClientRefused(_))
    ));
}

#[test]
fn rfc9126_5_a_client_that_must_push_is_refused_at_the_front_channel() {
    let f = code_flow();
    let mut client = web_app();
    client.require_par = true;
    let q = format!(
        "client_id=web&redirect_uri={}&{}",
        crate::engine::test_support::urlencode(REDIRECT),
        pushed_code_request()
    );
    let q = q.replacen(&format!("&redirect_uri={}", crate::engine::test_support::urlencode(REDIRECT)), "", 1);
    match request::parse(&query(&q), Some(&client), &[], &f.config, NOW * 1000, Via::FrontChannel) {
        Err(AuthorizeError::Redirect { error: "invalid_request", description, .. }) => {
            assert!(description.contains("PAR"), "{description}")
        }
        other => panic!("{other:?}"),
    }
    assert!(request::parse(&query(&q), Some(&client), &[], &f.config, NOW * 1000, Via::Pushed).is_ok());
}

#[test]
fn rfc9449_10_dpop_jkt_at_the_push_must_name_the_proofs_key_and_a_proof_alone_binds() {
    let f = code_flow();
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let other = "1ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let pushed = push(&f, Some(&web_auth()), &pushed_code_request(), Some(jkt)).unwrap();
    let (params, _) = take(&f, "web", &pushed.request_uri, NOW).unwrap();
    assert_eq!(params.get("dpop_jkt"), Some(jkt));
    let named = format!("{}&dpop_jkt={other}", pushed_code_request());
    assert!(matches!(push(&f, Some(&web_auth()), &named, Some(jkt)), Err(TokenError::InvalidDpopProof(_))));
    let malformed = format!("{}&dpop_jkt=short", pushed_code_request());
    assert!(matches!(
        push(&f, Some(&web_auth()), &malformed, None),
        Err(TokenError::Authorization { error: "invalid_request", .. })
    ));
}

/// A client `jar` (the web app with its own ES256 key) and that key.
fn jar_client(f: &CodeFlow) -> (crate::engine::clients::Client, Vec<u8>) {
    let generated = block_on(NativeSigner.generate(SigningAlg::Es256)).unwrap();
    let mut client = web_app();
    client.client_id = "jar".into();
    client.jwks = Some(json!({ "keys": [generated.public] }).to_string());
    let secret = ClientSecret {
        secret_id: "j1".into(),
        secret_hash: hash_token("jar-secret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    block_on(f.store.ensure_client(&client, Some(&secret), 0)).unwrap();
    (client, generated.private_pkcs8_der)
}

fn sign(alg: &str, key: &[u8], claims: &Value) -> String {
    let header = json!({ "alg": alg, "typ": "oauth-authz-req+jwt" });
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let key = block_on(NativeSigner.import_private(SigningAlg::Es256, key)).unwrap();
    let signature = block_on(NativeSigner.sign(&key, input.as_bytes())).unwrap();
    format!("{input}.{}", b64url(&signature))
}

fn object_claims(f: &CodeFlow) -> Value {
    json!({
        "iss": "jar", "aud": f.config.issuer, "exp": NOW + 300, "nbf": NOW - 10, "client_id": "jar",
        "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid", "state": "inside",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256", "max_age": 600,
        "resource": ["https://api.example.com/"],
    })
}

fn front(f: &CodeFlow, q: &str) -> Result<(Form, Via), AuthorizeError> {
    let rc = token_endpoint(&f.config, &f.store, &f.keys, NOW).rc;
    block_on(resolve(&rc, query(q)))
}

#[test]
fn rfc9101_5_a_signed_request_object_gives_its_parameters_and_nothing_outside_it() {
    let f = code_flow();
    let (_, key) = jar_client(&f);
    let object = sign("ES256", &key, &object_claims(&f));
    let (params, via) = front(&f, &format!("client_id=jar&state=outside&scope=email&request={object}")).unwrap();
    assert_eq!(via, Via::FrontChannel);
    assert_eq!(params.get("state"), Some("inside"));
    assert_eq!(params.get("scope"), Some("openid"));
    assert_eq!(params.get("max_age"), Some("600"));
    assert_eq!(params.all("resource"), ["https://api.example.com/"]);
    assert!(params.get("iss").is_none() && params.get("exp").is_none());
    // The same object pushed (authenticated with the client's secret).
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("jar:jar-secret"));
    let no_resource = {
        let mut c = object_claims(&f);
        c.as_object_mut().unwrap().remove("resource");
        sign("ES256", &key, &c)
    };
    let pushed = push(&f, Some(&auth), &format!("request={no_resource}&state=outside"), None).unwrap();
    let (params, _) = take(&f, "jar", &pushed.request_uri, NOW).unwrap();
    assert_eq!(params.get("state"), Some("inside"));
}

#[test]
fn rfc9101_request_objects_unsigned_foreign_expired_or_for_another_audience_are_refused() {
    let f = code_flow();
    let (_, key) = jar_client(&f);
    let refused = |object: String| page_error(front(&f, &format!("client_id=jar&request={object}")));
    let none = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(object_claims(&f).to_string().as_bytes()));
    assert_eq!(refused(none), "invalid_request_object", "alg none");
    let hs = sign("HS256", &key, &object_claims(&f));
    assert_eq!(refused(hs), "invalid_request_object", "HMAC");
    let other_key = block_on(NativeSigner.generate(SigningAlg::Es256)).unwrap().private_pkcs8_der;
    assert_eq!(refused(sign("ES256", &other_key, &object_claims(&f))), "invalid_request_object", "another key");
    for (claim, value) in [
        ("aud", json!("https://other.example")),
        ("exp", json!(NOW - 120)),
        ("iss", json!("web")),
        ("client_id", json!("web")),
        ("exp", json!(NOW + 7200)),
    ] {
        let mut claims = object_claims(&f);
        claims[claim] = value;
        assert_eq!(refused(sign("ES256", &key, &claims)), "invalid_request_object", "{claim}");
    }
}

#[test]
fn fapi2_a_profile_clients_codes_live_60_seconds_and_need_s256() {
    let f = code_flow();
    let mut client = web_app();
    client.fapi2 = true;
    let q = format!("{}&response_type=code&scope=openid{PKCE}", crate::engine::test_support::BASE);
    let request = request::parse(&query(&q), Some(&client), &[], &f.config, NOW * 1000, Via::Pushed).unwrap();
    let prepared = super::issue::prepare_code(
        &f.config,
        &request,
        &client,
        &crate::engine::test_support::session(NOW - 60),
        false,
        &crate::engine::platform::ports::SystemRandom,
        NOW,
    )
    .unwrap()
    .unwrap();
    assert_eq!(prepared.row.expires_at - NOW, 60);
    let without = format!("{}&response_type=code&scope=openid", crate::engine::test_support::BASE);
    assert!(matches!(
        request::parse(&query(&without), Some(&client), &[], &f.config, NOW * 1000, Via::Pushed),
        Err(AuthorizeError::Redirect { error: "invalid_request", .. })
    ));
    let hybrid =
        format!("{}&response_type=code%20id_token&nonce=n&scope=openid{PKCE}", crate::engine::test_support::BASE);
    assert!(matches!(
        request::parse(&query(&hybrid), Some(&client), &[], &f.config, NOW * 1000, Via::Pushed),
        Err(AuthorizeError::Redirect { error: "unsupported_response_type", .. })
    ));
}
