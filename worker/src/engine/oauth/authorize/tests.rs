//! The authorization endpoint, natively: parameter handling (RFC 6749 §4.1.2.1), PKCE
//! (RFC 7636), prompt/max_age (OIDC Core §3.1.2.1), remembered consent, sealed requests
//! and response locations. The code's redemption is in `oauth/token/tests/`.

use super::*;
use crate::engine::clients::Client;
use crate::engine::oauth::consent::Consent;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::test_support::*;

fn parse_with(client: &Client, config: &Config, q: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    request::parse(&query(q), Some(client), &[], config, NOW * 1000, request::Via::FrontChannel)
}

fn parse(q: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    parse_with(&web_app(), &all_flows_config(), q)
}

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
    assert!(
        page(request::parse(&query("response_type=code"), None, &[], &config, NOW * 1000, request::Via::FrontChannel)),
        "no client_id"
    );
    assert!(
        page(request::parse(
            &query("client_id=nobody&response_type=code"),
            None,
            &[],
            &config,
            NOW * 1000,
            request::Via::FrontChannel
        )),
        "unknown"
    );
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

#[test]
fn rfc9700_2_1_defaults_pkce_for_every_client_and_no_implicit_flow() {
    let defaults = config_with(|_| {});
    let web = |q: &str| parse_with(&web_app(), &defaults, q);
    // A confidential client needs PKCE too...
    let (error, _) = redirect_error(web(&format!("{BASE}&response_type=code")));
    assert_eq!(error, "invalid_request");
    assert!(web(&format!("{BASE}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256")).is_ok());
    // ...unless the operator relaxes it for confidential clients; public ones always need it.
    let relaxed = config_with(|v| {
        v.insert("REQUIRE_PKCE", "false".into());
    });
    assert!(parse_with(&web_app(), &relaxed, &format!("{BASE}&response_type=code")).is_ok());
    let spa = format!("client_id=spa&redirect_uri={}&response_type=code", urlencode(REDIRECT));
    assert_eq!(redirect_error(parse_with(&public_app(), &relaxed, &spa)).0, "invalid_request");
    // No access token (or code-less ID token) from /authorize by default.
    let pkce = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256&nonce=n&scope=openid");
    for implicit in ["token", "id_token", "id_token+token", "code+token", "code+id_token+token"] {
        let (error, _) = redirect_error(web(&format!("{BASE}&response_type={implicit}{pkce}")));
        assert_eq!(error, "unsupported_response_type", "{implicit}");
    }
    assert!(web(&format!("{BASE}&response_type=code+id_token{pkce}")).is_ok(), "hybrid with an ID token only");
}

#[test]
fn rfc8252_7_3_native_public_clients_get_any_loopback_port() {
    let config = config_with(|_| {});
    let native = native_app();
    let q = |uri: &str| {
        format!(
            "client_id=native&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256&redirect_uri={}",
            urlencode(uri)
        )
    };
    let parse_native = |uri: &str| parse_with(&native, &config, &q(uri));
    assert!(parse_native("http://127.0.0.1:51234/native").is_ok());
    assert!(parse_native("http://127.0.0.1/native").is_ok());
    assert!(parse_native("http://127.0.0.1:51234/other").is_err(), "the path still matches exactly");
    assert!(parse_native("http://localhost:51234/native").is_err(), "localhost is not a loopback IP (§8.3)");
    assert!(parse_native("http://127.0.0.1:abc/native").is_err());
    assert!(!request::redirect_uri_matches("https://app.example.com/cb", "https://app.example.com:8443/cb", true));
    // §7.1: a private-use scheme matches exactly.
    assert!(parse_native("com.example.app:/callback").is_ok());
    assert!(parse_native("com.example.app:/callback2").is_err());
}

#[test]
fn rfc8252_7_3_web_and_first_party_clients_match_loopback_ports_exactly() {
    let config = config_with(|_| {});
    let web = |uri: &str| format!("client_id=web&response_type=code&redirect_uri={}", urlencode(uri));
    assert!(parse(&web("http://127.0.0.1/native")).is_ok());
    assert!(parse(&web("http://127.0.0.1:51234/native")).is_err(), "a web client's port is part of its URI");
    let mut spa = public_app();
    spa.redirect_uris = vec!["http://127.0.0.1/native".into()];
    let pkce = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
    let q = |uri: &str| format!("client_id=spa&response_type=code&redirect_uri={}{pkce}", urlencode(uri));
    assert!(parse_with(&spa, &config, &q("http://127.0.0.1:51234/native")).is_err(), "a browser app is not native");
    let mut first_party = native_app();
    first_party.first_party = true;
    let q = |uri: &str| format!("client_id=native&response_type=code&redirect_uri={}{pkce}", urlencode(uri));
    assert!(parse_with(&first_party, &config, &q("http://127.0.0.1:51234/native")).is_err(), "first-party");
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
    // A request object left after resolution (pushed::resolve takes them first) is one nested.
    assert_eq!(redirect_error(parse(&format!("{BASE}&response_type=code&request=eyJ"))).0, "invalid_request");
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

fn situation<'a>(session: Option<&'a Session>, consent: Option<&'a Consent>) -> Situation<'a> {
    Situation { session, consent, first_party: false, account_selected: false }
}

#[test]
fn oidc_core_3_1_2_1_prompt_login_and_max_age_need_a_sign_in_after_the_request() {
    let r = parse(&format!("{BASE}&response_type=code&scope=openid")).unwrap();
    let consent = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    assert_eq!(decide(&r, &situation(None, None), NOW), Ok(Next::SignIn));
    let old = session(NOW - 3600);
    assert_eq!(decide(&r, &situation(Some(&old), Some(&consent)), NOW), Ok(Next::Issue), "SSO");
    let login = parse(&format!("{BASE}&response_type=code&scope=openid&prompt=login")).unwrap();
    assert_eq!(decide(&login, &situation(Some(&old), Some(&consent)), NOW), Ok(Next::SignIn));
    let fresh = session(NOW + 1);
    assert_eq!(decide(&login, &situation(Some(&fresh), Some(&consent)), NOW + 5), Ok(Next::Issue));
    // In the second the request arrived: a sign-in just before it is not one made for it
    // (it would let an old session answer prompt=login), one just after it is.
    let mut arrived = login.clone();
    arrived.received_at_ms = Some(NOW * 1000 + 500);
    let (mut before, mut after) = (session(NOW), session(NOW));
    before.auth_time_ms = Some(NOW * 1000 + 200);
    after.auth_time_ms = Some(NOW * 1000 + 800);
    assert_eq!(decide(&arrived, &situation(Some(&before), Some(&consent)), NOW), Ok(Next::SignIn));
    assert_eq!(decide(&arrived, &situation(Some(&after), Some(&consent)), NOW), Ok(Next::Issue));
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
fn oidc_core_3_1_2_1_acr_values_multi_factor_makes_a_password_session_show_a_second_factor() {
    let q = format!("{BASE}&response_type=code&scope=openid&acr_values=urn%3Aauthority%3Aloa%3A2");
    let step_up = parse(&q).unwrap();
    assert_eq!(step_up.acr_values, vec!["urn:authority:loa:2"]);
    let consent = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    let password_only = session(NOW - 60);
    assert_eq!(decide(&step_up, &situation(Some(&password_only), Some(&consent)), NOW), Ok(Next::SecondFactor));
    assert_eq!(decide(&step_up, &situation(None, None), NOW), Ok(Next::SignIn), "signing in comes first");
    let mut two_factors = session(NOW - 60);
    two_factors.amr = vec!["pwd".into(), "otp".into(), "mfa".into()];
    assert_eq!(decide(&step_up, &situation(Some(&two_factors), Some(&consent)), NOW), Ok(Next::Issue));
    // The single-factor level asks for nothing more.
    let weak = parse(&format!("{BASE}&response_type=code&scope=openid&acr_values=urn%3Aauthority%3Aloa%3A1")).unwrap();
    assert_eq!(decide(&weak, &situation(Some(&password_only), Some(&consent)), NOW), Ok(Next::Issue));
    // §3.1.2.6: a step-up cannot happen silently.
    let silent = parse(&format!("{q}&prompt=none&state=s")).unwrap();
    let err = decide(&silent, &situation(Some(&password_only), Some(&consent)), NOW).unwrap_err();
    assert!(matches!(err, AuthorizeError::Redirect { error: "interaction_required", .. }));
}

#[test]
fn consent_is_remembered_until_scopes_grow_and_prompt_consent_asks_again() {
    let s = session(NOW - 10);
    let wide = parse(&format!("{BASE}&response_type=code&scope=openid+email")).unwrap();
    let narrow = Consent { scopes: vec!["openid".into()], updated_at: NOW - 100 };
    assert_eq!(decide(&wide, &situation(Some(&s), Some(&narrow)), NOW), Ok(Next::Consent));
    let both = Consent { scopes: crate::engine::oauth::consent::merged(Some(&narrow), &wide.scope), updated_at: NOW };
    assert_eq!(decide(&wide, &situation(Some(&s), Some(&both)), NOW), Ok(Next::Issue));
    // prompt=consent: only an Allow on the screen for this request answers it, not a
    // consent stored in the same second the request arrived.
    let mut again = parse(&format!("{BASE}&response_type=code&scope=openid&prompt=consent")).unwrap();
    let just_now = Consent { scopes: vec!["openid".into()], updated_at: NOW };
    assert_eq!(decide(&again, &situation(Some(&s), Some(&just_now)), NOW), Ok(Next::Consent));
    again.consented_by = Some(s.user_id.clone());
    assert_eq!(decide(&again, &situation(Some(&s), Some(&just_now)), NOW), Ok(Next::Issue));
    let other = Session { user_id: "someone-else".into(), ..s.clone() };
    assert_eq!(decide(&again, &situation(Some(&other), Some(&just_now)), NOW), Ok(Next::Consent), "another person");
    assert_eq!(decide(&again, &situation(Some(&s), None), NOW), Ok(Next::Consent), "the consent was revoked since");
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

#[test]
fn a_sealed_request_is_checked_again_against_the_registration_as_it_is_when_it_comes_back() {
    let config = all_flows_config();
    let q = format!(
        "{BASE}&response_type=code+id_token&response_mode=form_post&scope=openid+email&state=s&nonce=n\
         &code_challenge={CHALLENGE}&code_challenge_method=S256&prompt=login+consent&max_age=60&login_hint=a%40b&ui_locales=fr"
    );
    let request = parse(&q).unwrap();
    assert!(request.recheck(&web_app(), &[], &config, NOW + 5).is_ok(), "nothing changed");
    // Every field survives the round trip through its parameters.
    let again = parse_with(&web_app(), &config, &request.to_params()).unwrap();
    assert_eq!(again, request);
    // The redirect URI was removed: the error page, never a redirect to it.
    let mut client = web_app();
    client.redirect_uris.retain(|r| r != REDIRECT);
    assert!(matches!(request.recheck(&client, &[], &config, NOW), Err(AuthorizeError::Page { .. })));
    // A scope was taken away: the app hears invalid_scope.
    let mut client = web_app();
    client.scopes.retain(|s| s != "email");
    assert_eq!(
        redirect_error(request.recheck(&client, &[], &config, NOW).map(|()| request.clone())).0,
        "invalid_scope"
    );
    // The response type is no longer registered.
    let mut client = web_app();
    client.response_types = vec!["code".into()];
    assert_eq!(
        redirect_error(request.recheck(&client, &[], &config, NOW).map(|()| request.clone())).0,
        "unauthorized_client"
    );
}
