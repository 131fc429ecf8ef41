//! The authorization endpoint, natively: parameter handling (RFC 6749 §4.1.2.1), PKCE
//! (RFC 7636), prompt/max_age (OIDC Core §3.1.2.1), codes redeemed once with replay
//! revocation (RFC 6749 §10.5), hybrid `c_hash`/`at_hash` (OIDC Core §3.3.2.11).

use serde_json::Value;

use super::issue::Issuer;
use super::*;
use crate::engine::clients::{AuthMethod, Client, ClientSecret, ClientStore, ClientType};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::users::tests::alice;
use crate::engine::oauth::id_token::half_hash;
use crate::engine::oauth::token::{TokenEndpoint, TokenError};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::tests::dev_vars;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::test_support::{test_keys, TestKeys};
use crate::native::{NativeRsaSigner, SqliteStore};

const NOW: UnixTime = 1_800_000_000;
const REDIRECT: &str = "https://app.example.com/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
static META: RequestMeta = RequestMeta { ip_address: None, user_agent: None };

fn config_with(change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>)) -> Config {
    let mut vars = dev_vars();
    change(&mut vars);
    Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap()
}

fn web_app() -> Client {
    Client {
        client_id: "web".into(),
        client_name: "Web App".into(),
        client_type: ClientType::Confidential,
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: vec![REDIRECT.into(), "http://127.0.0.1/native".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into(), "implicit".into()],
        response_types: ["code", "code id_token", "id_token token", "code id_token token", "id_token"]
            .map(String::from)
            .to_vec(),
        scopes: ["openid", "profile", "email", "offline_access"].map(String::from).to_vec(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        refresh_token_rotation: None,
        first_party: false,
        logo_uri: None,
        post_logout_redirect_uris: vec![],
    }
}

fn public_app() -> Client {
    let mut client = web_app();
    client.client_id = "spa".into();
    client.client_type = ClientType::Public;
    client.auth_method = AuthMethod::None;
    client
}

fn query(q: &str) -> Form {
    Form::parse(q.as_bytes()).unwrap()
}

fn parse_with(client: &Client, config: &Config, q: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    request::parse(&query(q), Some(client), config, NOW)
}

fn parse(q: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    parse_with(&web_app(), &config_with(|_| {}), q)
}

const BASE: &str = "client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb";

fn redirect_error(result: Result<AuthorizationRequest, AuthorizeError>) -> (&'static str, ResponseTarget) {
    match result {
        Err(AuthorizeError::Redirect { error, target, .. }) => (error, target),
        other => panic!("expected a redirect error, got {other:?}"),
    }
}

#[test]
fn rfc6749_4_1_2_1_client_and_redirect_uri_errors_never_redirect() {
    let config = config_with(|_| {});
    let page = |r: Result<AuthorizationRequest, AuthorizeError>| matches!(r, Err(AuthorizeError::Page { .. }));
    assert!(page(request::parse(&query("response_type=code"), None, &config, NOW)), "no client_id");
    assert!(page(request::parse(&query("client_id=nobody&response_type=code"), None, &config, NOW)), "unknown");
    assert!(page(parse("client_id=web&response_type=code")), "no redirect_uri");
    for bad in [
        "https://app.example.com/cb/",
        "https://app.example.com/cb?x=1",
        "https://evil.example.com/cb",
        "https://app.example.com/CB",
        "http://app.example.com/cb",
    ] {
        let q = format!("client_id=web&response_type=code&redirect_uri={}", urlencode(bad));
        assert!(page(parse(&q)), "{bad} must not match");
    }
    // Even with every other parameter broken, an unverified redirect_uri is not used.
    let q = "client_id=web&redirect_uri=https%3A%2F%2Fevil.example.com&response_type=bogus&prompt=bogus";
    assert!(page(parse(q)));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn rfc8252_7_3_loopback_redirects_match_any_port() {
    let q = |uri: &str| format!("client_id=web&response_type=code&redirect_uri={}", urlencode(uri));
    assert!(parse(&q("http://127.0.0.1:51234/native")).is_ok());
    assert!(parse(&q("http://127.0.0.1/native")).is_ok());
    assert!(parse(&q("http://127.0.0.1:51234/other")).is_err(), "the path still matches exactly");
    assert!(parse(&q("http://localhost:51234/native")).is_err(), "localhost is not a loopback IP (§8.3)");
    assert!(parse(&q("http://127.0.0.1:abc/native")).is_err());
    assert!(!request::redirect_uri_matches("https://app.example.com/cb", "https://app.example.com:8443/cb"));
}

#[test]
fn rfc6749_4_1_2_1_errors_after_verification_redirect_with_state_and_iss() {
    let (error, target) = redirect_error(parse(&format!("{BASE}&state=xyz")));
    assert_eq!(error, "invalid_request", "response_type missing");
    assert_eq!(target.state.as_deref(), Some("xyz"));
    let config = config_with(|_| {});
    let err = parse(&format!("{BASE}&state=xyz&response_type=bogus")).unwrap_err();
    let location = err.response(&config).unwrap().location();
    assert!(location.starts_with("https://app.example.com/cb?error=unsupported_response_type"), "{location}");
    assert!(location.contains("&state=xyz&iss=http%3A%2F%2F127.0.0.1%3A8787"), "RFC 9207 iss: {location}");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&scope=openid+admin"))).0, "invalid_scope");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=token"))).0, "unauthorized_client");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&request=eyJ"))).0, "request_not_supported");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&response_mode=jwt"))).0, "invalid_request");
}

#[test]
fn multiple_response_types_default_modes_and_no_tokens_in_the_query() {
    let code = parse(&format!("{BASE}&response_type=code")).unwrap();
    assert_eq!(code.response_mode, ResponseMode::Query);
    let hybrid = parse(&format!("{BASE}&response_type=id_token+code&scope=openid&nonce=n")).unwrap();
    assert_eq!(hybrid.response_type.as_str(), "code id_token", "order does not matter");
    assert_eq!(hybrid.response_mode, ResponseMode::Fragment);
    let (error, target) =
        redirect_error(parse(&format!("{BASE}&response_type=id_token&scope=openid&nonce=n&response_mode=query")));
    assert_eq!(error, "invalid_request");
    assert_eq!(target.mode, ResponseMode::Query, "the error itself may use the query");
    let posted = parse(&format!("{BASE}&response_type=code&response_mode=form_post")).unwrap();
    assert_eq!(posted.response_mode, ResponseMode::FormPost);
}

#[test]
fn oidc_core_3_2_2_1_nonce_is_required_when_an_id_token_comes_from_authorize() {
    let (error, target) = redirect_error(parse(&format!("{BASE}&response_type=id_token+token&scope=openid")));
    assert_eq!(error, "invalid_request");
    assert_eq!(target.mode, ResponseMode::Fragment);
    assert!(parse(&format!("{BASE}&response_type=id_token+token&scope=openid&nonce=abc")).is_ok());
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=id_token&scope=email&nonce=n"))).0, "invalid_scope");
    assert!(parse(&format!("{BASE}&response_type=code&scope=openid")).is_ok(), "optional for the code flow");
}

#[test]
fn rfc7636_pkce_s256_always_plain_only_when_allowed_required_for_public_clients() {
    let config = config_with(|_| {});
    let ok = parse(&format!("{BASE}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256"));
    assert_eq!(ok.unwrap().code_challenge_method, Some(crate::engine::crypto::pkce::Method::S256));
    // §4.3: no method means plain, which is off by default.
    let plain = format!("{BASE}&response_type=code&code_challenge={CHALLENGE}");
    assert_eq!(redirect_error(parse(&plain)).0, "invalid_request");
    let allowed = config_with(|v| {
        v.insert("ALLOW_PLAIN_PKCE", "true".into());
    });
    assert!(parse_with(&web_app(), &allowed, &plain).is_ok());
    assert_eq!(
        redirect_error(parse(&format!("{BASE}&response_type=code&code_challenge=short&code_challenge_method=S256"))).0,
        "invalid_request"
    );
    assert_eq!(
        redirect_error(parse(&format!("{BASE}&response_type=code&code_challenge_method=S256"))).0,
        "invalid_request"
    );
    let spa = "client_id=spa&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code";
    assert_eq!(redirect_error(parse_with(&public_app(), &config, spa)).0, "invalid_request");
    let with_pkce = format!("{spa}&code_challenge={CHALLENGE}&code_challenge_method=S256");
    assert!(parse_with(&public_app(), &config, &with_pkce).is_ok());
}

#[test]
fn oidc_core_3_1_2_1_prompt_and_max_age_syntax() {
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&prompt=none+login"))).0, "invalid_request");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&prompt=sometimes"))).0, "invalid_request");
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&max_age=-1"))).0, "invalid_request");
    let r = parse(&format!("{BASE}&response_type=code&prompt=login+consent&max_age=0&login_hint=a%40b&ui_locales=de"))
        .unwrap();
    assert!(r.prompt.login && r.prompt.consent && !r.prompt.none);
    assert_eq!(r.max_age, Some(0));
    assert_eq!(r.login_hint.as_deref(), Some("a@b"));
    assert_eq!(r.ui_locales.as_deref(), Some("de"));
    // No scope: DEFAULT_SCOPES (openid) within the client's.
    assert_eq!(r.scope, vec!["openid"]);
}

fn session(auth_time: UnixTime) -> Session {
    Session {
        id_hash: "session-hash".into(),
        user_id: alice().id,
        auth_time,
        created_at: auth_time,
        last_seen_at: auth_time,
        expires_at: auth_time + 86_400,
        ip_address: None,
        user_agent: None,
    }
}

fn situation<'a>(session: Option<&'a Session>, consent: Option<&'a Consent>) -> Situation<'a> {
    Situation { session, consent, first_party: false, account_selected: false }
}

#[test]
fn oidc_core_3_1_2_3_sign_in_prompt_login_and_max_age() {
    let r = parse(&format!("{BASE}&response_type=code&scope=openid")).unwrap();
    let consent = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    assert_eq!(decide(&r, &situation(None, None), NOW), Ok(Next::SignIn));
    let old = session(NOW - 3600);
    assert_eq!(decide(&r, &situation(Some(&old), Some(&consent)), NOW), Ok(Next::Issue), "SSO");
    let login = parse(&format!("{BASE}&response_type=code&scope=openid&prompt=login")).unwrap();
    assert_eq!(decide(&login, &situation(Some(&old), Some(&consent)), NOW), Ok(Next::SignIn));
    let fresh = session(NOW);
    assert_eq!(decide(&login, &situation(Some(&fresh), Some(&consent)), NOW + 5), Ok(Next::Issue));
    let max_age = parse(&format!("{BASE}&response_type=code&scope=openid&max_age=600")).unwrap();
    assert_eq!(decide(&max_age, &situation(Some(&old), Some(&consent)), NOW), Ok(Next::SignIn));
    let recent = session(NOW - 300);
    assert_eq!(decide(&max_age, &situation(Some(&recent), Some(&consent)), NOW), Ok(Next::Issue));
    // max_age=0 is satisfied by a sign-in made for this request, however long ago it was.
    let zero = parse(&format!("{BASE}&response_type=code&scope=openid&max_age=0")).unwrap();
    assert_eq!(decide(&zero, &situation(Some(&fresh), Some(&consent)), NOW + 30), Ok(Next::Issue));
}

#[test]
fn oidc_core_3_1_2_6_prompt_none_errors() {
    let none = parse(&format!("{BASE}&response_type=code&scope=openid+email&prompt=none&state=s")).unwrap();
    let err = decide(&none, &situation(None, None), NOW).unwrap_err();
    assert!(matches!(err, AuthorizeError::Redirect { error: "login_required", .. }));
    let s = session(NOW - 10);
    let partial = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    let err = decide(&none, &situation(Some(&s), Some(&partial)), NOW).unwrap_err();
    assert!(matches!(err, AuthorizeError::Redirect { error: "consent_required", .. }));
    let full = Consent { scopes: vec!["openid".into(), "email".into()], updated_at: NOW - 100 };
    assert_eq!(decide(&none, &situation(Some(&s), Some(&full)), NOW), Ok(Next::Issue));
}

#[test]
fn consent_is_remembered_until_scopes_grow_and_prompt_consent_asks_again() {
    let s = session(NOW - 10);
    let wide = parse(&format!("{BASE}&response_type=code&scope=openid+email")).unwrap();
    let narrow = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    assert_eq!(decide(&wide, &situation(Some(&s), Some(&narrow)), NOW), Ok(Next::Consent));
    let both = Consent { scopes: crate::engine::oauth::consent::merged(Some(&narrow), &wide.scope), updated_at: NOW };
    assert_eq!(decide(&wide, &situation(Some(&s), Some(&both)), NOW), Ok(Next::Issue));
    let again = parse(&format!("{BASE}&response_type=code&scope=openid&prompt=consent")).unwrap();
    let earlier = Consent { scopes: vec!["openid".into()], updated_at: NOW - 1 };
    assert_eq!(decide(&again, &situation(Some(&s), Some(&earlier)), NOW), Ok(Next::Consent));
    let just_now = Consent { scopes: vec!["openid".into()], updated_at: NOW };
    assert_eq!(decide(&again, &situation(Some(&s), Some(&just_now)), NOW), Ok(Next::Issue));
    // First-party apps skip the screen.
    let first = Situation { session: Some(&s), consent: None, first_party: true, account_selected: false };
    assert_eq!(decide(&wide, &first, NOW), Ok(Next::Issue));
    let mut denied = wide.clone();
    denied.denied = true;
    assert!(matches!(decide(&denied, &first, NOW), Err(AuthorizeError::Redirect { error: "access_denied", .. })));
    let select = parse(&format!("{BASE}&response_type=code&scope=openid&prompt=select_account")).unwrap();
    assert_eq!(decide(&select, &first, NOW), Ok(Next::SelectAccount));
}

#[test]
fn sealed_requests_round_trip_and_refuse_tampering_and_age() {
    let config = config_with(|_| {});
    let r = parse(&format!("{BASE}&response_type=code&state=s")).unwrap();
    let sealed = seal_request(&config, &r, &SystemRandom).unwrap();
    assert!(!sealed.contains("app.example.com"), "the browser cannot read it");
    assert_eq!(open_request(&config, &sealed, NOW + 60).unwrap(), r);
    let mut tampered = sealed.clone();
    tampered.insert(10, 'x');
    assert!(matches!(open_request(&config, &tampered, NOW), Err(AuthorizeError::Page { .. })));
    assert!(open_request(&config, &sealed, NOW + REQUEST_LIFETIME + 1).is_err());
    let other = config_with(|v| {
        v.insert("SECRET_KEY", "another-secret-key-another-secret-key-0000".into());
    });
    assert!(open_request(&other, &sealed, NOW).is_err());
}

#[test]
fn response_locations_keep_the_registered_query_and_use_the_fragment_for_tokens() {
    let config = config_with(|_| {});
    let target =
        ResponseTarget { redirect_uri: "https://a.example/cb?x=1".into(), mode: ResponseMode::Query, state: None };
    let r = AuthorizationResponse::new(&config, &target, vec![("code".into(), "c 1".into())]);
    assert_eq!(r.location(), "https://a.example/cb?x=1&code=c+1&iss=http%3A%2F%2F127.0.0.1%3A8787");
    let target = ResponseTarget {
        redirect_uri: "https://a.example/cb".into(),
        mode: ResponseMode::Fragment,
        state: Some("s".into()),
    };
    let r = AuthorizationResponse::new(&config, &target, vec![("id_token".into(), "t".into())]);
    assert_eq!(r.location(), "https://a.example/cb#id_token=t&state=s&iss=http%3A%2F%2F127.0.0.1%3A8787");
}

// ---- codes through the token endpoint ----

struct Fixture {
    config: Config,
    store: SqliteStore,
    keys: TestKeys,
}

fn fixture() -> Fixture {
    let config = config_with(|_| {});
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let secret =
        ClientSecret { secret_id: "w1".into(), secret_hash: hash_token("web-secret"), created_at: 0, expires_at: None };
    pollster::block_on(store.ensure_client(&web_app(), Some(&secret), 0)).unwrap();
    pollster::block_on(store.ensure_client(&public_app(), None, 0)).unwrap();
    store.insert_user(&alice()).unwrap();
    Fixture { config, store, keys }
}

fn authorize(f: &Fixture, client: &Client, q: &str, now: UnixTime) -> AuthorizationResponse {
    let request = request::parse(&query(q), Some(client), &f.config, now).unwrap();
    let issuer =
        Issuer { config: &f.config, store: &f.store, signer: &NativeRsaSigner, keys: &f.keys, rng: &SystemRandom, now };
    pollster::block_on(issuer.issue(&request, client, &alice(), &session(now - 60))).unwrap()
}

fn param<'a>(response: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    response.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn token_request(
    f: &Fixture,
    auth: Option<&str>,
    body: &str,
    now: UnixTime,
) -> Result<shared::oauth::TokenResponse, TokenError> {
    let endpoint = TokenEndpoint {
        config: &f.config,
        store: &f.store,
        signer: &NativeRsaSigner,
        keys: &f.keys,
        rng: &SystemRandom,
        verifier: &f.keys,
        meta: &META,
        now,
    };
    pollster::block_on(endpoint.handle(auth, &Form::parse(body.as_bytes()).unwrap()))
}

fn web_auth() -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("web:web-secret"))
}

fn redeem(f: &Fixture, code: &str, extra: &str, now: UnixTime) -> Result<shared::oauth::TokenResponse, TokenError> {
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={}{extra}", urlencode(REDIRECT));
    token_request(f, Some(&web_auth()), &body, now)
}

fn verify_jwt(f: &Fixture, token: &str) -> Value {
    crate::engine::test_support::verify_jwt(&f.keys, token).1
}

#[test]
fn rfc6749_4_1_code_flow_with_pkce_gives_tokens_with_nonce_and_auth_time() {
    let f = fixture();
    let q = format!("{BASE}&response_type=code&scope=openid+email+offline_access&state=st&nonce=n-1&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert_eq!(param(&response, "state"), Some("st"));
    assert_eq!(param(&response, "iss"), Some("http://127.0.0.1:8787"));
    let code = param(&response, "code").unwrap().to_owned();
    assert_eq!(code.len(), 43);
    let tokens = redeem(&f, &code, &format!("&code_verifier={VERIFIER}"), NOW + 5).unwrap();
    assert!(tokens.refresh_token.is_some(), "offline_access");
    let id = verify_jwt(&f, tokens.id_token.as_deref().unwrap());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["auth_time"], NOW - 60, "the session's sign-in time");
    assert_eq!(id["at_hash"], half_hash(&tokens.access_token));
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["aud"], "web");
    let access = verify_jwt(&f, &tokens.access_token);
    assert_eq!(access["scope"], "openid email offline_access");
    assert_eq!(access["client_id"], "web");
}

#[test]
fn rfc7636_4_6_the_verifier_must_match_and_cannot_be_added_later() {
    let f = fixture();
    let with = format!("{BASE}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let code = param(&authorize(&f, &web_app(), &with, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, "", NOW), Err(TokenError::InvalidGrant(_))), "verifier missing");
    let wrong = "a".repeat(43);
    let code = param(&authorize(&f, &web_app(), &with, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, &format!("&code_verifier={wrong}"), NOW), Err(TokenError::InvalidGrant(_))));
    let without = format!("{BASE}&response_type=code");
    let code = param(&authorize(&f, &web_app(), &without, NOW), "code").unwrap().to_owned();
    let added = redeem(&f, &code, &format!("&code_verifier={VERIFIER}"), NOW);
    assert!(matches!(added, Err(TokenError::InvalidGrant(_))), "{added:?}");
}

#[test]
fn rfc6749_10_5_a_replayed_code_fails_and_revokes_what_the_first_redemption_issued() {
    let f = fixture();
    let q = format!("{BASE}&response_type=code&scope=openid+offline_access");
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    let first = redeem(&f, &code, "", NOW + 1).unwrap();
    let second = redeem(&f, &code, "", NOW + 2);
    assert!(matches!(second, Err(TokenError::InvalidGrant(_))));
    // The first redemption's refresh token and access token are dead now.
    let refresh = format!("grant_type=refresh_token&refresh_token={}", first.refresh_token.unwrap());
    assert!(matches!(token_request(&f, Some(&web_auth()), &refresh, NOW + 3), Err(TokenError::InvalidGrant(_))));
    let endpoint = TokenEndpoint {
        config: &f.config,
        store: &f.store,
        signer: &NativeRsaSigner,
        keys: &f.keys,
        rng: &SystemRandom,
        verifier: &f.keys,
        meta: &META,
        now: NOW + 3,
    };
    let body = format!("token={}", first.access_token);
    let introspected =
        pollster::block_on(endpoint.introspect(Some(&web_auth()), &Form::parse(body.as_bytes()).unwrap())).unwrap();
    assert!(!introspected.active);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "token.code_replayed"));
}

#[test]
fn rfc6749_4_1_3_codes_are_bound_to_client_redirect_uri_and_lifetime() {
    let f = fixture();
    let q = format!("{BASE}&response_type=code");
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fother");
    assert!(matches!(token_request(&f, Some(&web_auth()), &body, NOW), Err(TokenError::InvalidGrant(_))));
    // The public client cannot redeem the web app's code.
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa", urlencode(REDIRECT));
    assert!(matches!(token_request(&f, None, &body, NOW), Err(TokenError::InvalidGrant(_))));
    // CODE_TTL=600.
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    assert!(matches!(redeem(&f, &code, "", NOW + 600), Err(TokenError::InvalidGrant(_))));
    assert!(matches!(redeem(&f, "made-up", "", NOW), Err(TokenError::InvalidGrant(_))));
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    assert!(redeem(&f, &code, "", NOW + 599).is_ok());
}

#[test]
fn public_clients_redeem_with_pkce_and_no_secret() {
    let f = fixture();
    let q = format!(
        "client_id=spa&redirect_uri={}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256",
        urlencode(REDIRECT)
    );
    let code = param(&authorize(&f, &public_app(), &q, NOW), "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id=spa&code_verifier={VERIFIER}",
        urlencode(REDIRECT)
    );
    assert!(token_request(&f, None, &body, NOW).is_ok());
}

#[test]
fn oidc_core_3_3_2_11_hybrid_id_tokens_carry_c_hash_and_at_hash() {
    let f = fixture();
    let q = format!("{BASE}&response_type=code+id_token+token&scope=openid+profile&nonce=hy&state=s");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert_eq!(response.mode, ResponseMode::Fragment);
    let code = param(&response, "code").unwrap();
    let access = param(&response, "access_token").unwrap();
    assert_eq!(param(&response, "token_type"), Some("Bearer"));
    let id = verify_jwt(&f, param(&response, "id_token").unwrap());
    assert_eq!(id["c_hash"], half_hash(code));
    assert_eq!(id["at_hash"], half_hash(access));
    assert_eq!(id["nonce"], "hy");
    assert_eq!(id["name"], "Alice Liddell");
    // Implicit id_token only: no access token, no at_hash.
    let q = format!("{BASE}&response_type=id_token&scope=openid&nonce=im");
    let response = authorize(&f, &web_app(), &q, NOW);
    assert!(param(&response, "access_token").is_none() && param(&response, "code").is_none());
    let id = verify_jwt(&f, param(&response, "id_token").unwrap());
    assert!(id.get("at_hash").is_none() && id.get("c_hash").is_none());
}

// ---- RP-Initiated Logout 1.0 ----

fn logout_parse(f: &Fixture, q: &str) -> Result<crate::engine::oauth::logout::LogoutRequest, AuthorizeError> {
    let mut client = web_app();
    client.post_logout_redirect_uris = vec!["https://app.example.com/bye".into()];
    let lookup = |id: String| {
        let client = client.clone();
        async move { Ok((id == client.client_id).then_some(client)) }
    };
    pollster::block_on(crate::engine::oauth::logout::parse(&query(q), &f.config, &NativeRsaSigner, &f.keys, lookup))
}

#[test]
fn rp_initiated_logout_2_hint_verified_and_only_registered_redirects() {
    use crate::engine::oauth::logout::needs_confirmation;
    let f = fixture();
    let implicit = format!("{BASE}&response_type=id_token&scope=openid&nonce=n");
    let hint = param(&authorize(&f, &web_app(), &implicit, NOW), "id_token").unwrap().to_owned();
    let bye = urlencode("https://app.example.com/bye");
    let ok = logout_parse(&f, &format!("id_token_hint={hint}&post_logout_redirect_uri={bye}&state=s1")).unwrap();
    assert_eq!(ok.client_id.as_deref(), Some("web"), "the hint's audience names the client");
    assert_eq!(ok.hinted_subject.as_deref(), Some(alice().id.as_str()));
    assert_eq!(ok.destination(&f.config), "https://app.example.com/bye?state=s1");
    assert!(!needs_confirmation(&ok, Some(&alice().id)), "the hint names the signed-in person");
    assert!(needs_confirmation(&ok, Some("someone-else")));
    // The seed's form: client_id and a registered URI, no hint: the person confirms.
    let seed = logout_parse(&f, &format!("client_id=web&post_logout_redirect_uri={bye}")).unwrap();
    assert!(needs_confirmation(&seed, Some(&alice().id)));
    assert!(!needs_confirmation(&seed, None), "nobody signed in: nothing to confirm");
    let page = |r: Result<_, AuthorizeError>| matches!(r, Err(AuthorizeError::Page { .. }));
    let evil = urlencode("https://evil.example.com/");
    assert!(page(logout_parse(&f, &format!("client_id=web&post_logout_redirect_uri={evil}"))), "unregistered");
    assert!(page(logout_parse(&f, &format!("post_logout_redirect_uri={bye}"))), "whose URI?");
    assert!(page(logout_parse(&f, &format!("id_token_hint={hint}x"))), "bad signature");
    assert!(page(logout_parse(&f, &format!("id_token_hint={hint}&client_id=spa"))), "client mismatch");
    assert_eq!(logout_parse(&f, "").unwrap().destination(&f.config), "http://127.0.0.1:8787/");
}

#[test]
fn revoke_tokens_on_session_end_revokes_the_refresh_tokens_of_that_session() {
    use crate::engine::identity::sessions;
    use crate::engine::oauth::refresh::RefreshStore;
    let f = fixture();
    let q = format!("{BASE}&response_type=code&scope=openid+offline_access");
    let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
    let refresh = redeem(&f, &code, "", NOW + 1).unwrap().refresh_token.unwrap();
    let row = pollster::block_on(f.store.refresh_token(&hash_token(&refresh))).unwrap().unwrap();
    assert_eq!(row.session_id.as_deref(), Some("session-hash"), "the code's session travels to the token");
    let kv = crate::native::MemoryKv::default();
    let body = |t: &str| format!("grant_type=refresh_token&refresh_token={t}");
    // The default (false): signing out leaves the app's offline access alone.
    pollster::block_on(sessions::end(&kv, &f.store, &f.config, &session(NOW - 60), NOW + 2)).unwrap();
    let rotated = token_request(&f, Some(&web_auth()), &body(&refresh), NOW + 3).unwrap().refresh_token.unwrap();
    let revoking = config_with(|v| {
        v.insert("REVOKE_TOKENS_ON_SESSION_END", "true".into());
    });
    pollster::block_on(sessions::end(&kv, &f.store, &revoking, &session(NOW - 60), NOW + 4)).unwrap();
    let refused = token_request(&f, Some(&web_auth()), &body(&rotated), NOW + 5);
    assert!(matches!(refused, Err(TokenError::InvalidGrant(_))), "the successor kept the session: {refused:?}");
}
