//! Each provider's protocol against a scripted provider: the requests this server sends
//! (endpoints, client authentication, PKCE, `appsecret_proof`, Apple's client secret JWT)
//! and what it believes of the answers (GitHub's primary address and its verification,
//! Facebook's unasserted one, Apple's string `email_verified` and first-login name).

use std::cell::RefCell;
use std::collections::HashMap;

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use pollster::block_on;
use serde_json::{json, Value};

use super::{Answer, Callback};
use crate::engine::crypto::jose::{b64url, b64url_decode};
use crate::engine::federation::flow::{self, Flow};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, ErrorResponse, InternalError};
use crate::engine::platform::ports::{HttpClient, HttpReply, SystemRandom, UnixTime};
use crate::engine::test_support::fixtures::config_with;
use crate::native::NativeSigner;

const NOW: UnixTime = 1_800_000_000;

/// A request the provider saw: method, URL, form body, Bearer token or Basic user.
#[derive(Debug, Clone)]
struct Seen {
    method: &'static str,
    url: String,
    body: String,
    bearer: Option<String>,
}

/// Answers by URL without its query; records every request.
#[derive(Default)]
struct Scripted {
    replies: RefCell<HashMap<String, (u16, Value)>>,
    seen: RefCell<Vec<Seen>>,
}

impl Scripted {
    fn on(&self, url: &str, status: u16, body: Value) {
        self.replies.borrow_mut().insert(url.into(), (status, body));
    }

    fn reply(&self, url: &str) -> HttpReply {
        let path = url.split('?').next().unwrap_or_default();
        match self.replies.borrow().get(path) {
            Some((status, body)) => HttpReply { status: *status, body: body.to_string(), cache_control: None },
            None => HttpReply { status: 404, body: "{}".into(), cache_control: None },
        }
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen.borrow().iter().filter(|s| s.url.split('?').next() == Some(path)).cloned().collect()
    }
}

impl HttpClient for Scripted {
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<HttpReply, InternalError> {
        let seen = Seen { method: "GET", url: url.into(), body: String::new(), bearer: bearer.map(String::from) };
        self.seen.borrow_mut().push(seen);
        Ok(self.reply(url))
    }

    async fn post_form(&self, url: &str, body: &str, basic: Option<(&str, &str)>) -> Result<HttpReply, InternalError> {
        assert!(basic.is_none(), "these providers take the secret in the form");
        self.seen.borrow_mut().push(Seen { method: "POST", url: url.into(), body: body.into(), bearer: None });
        Ok(self.reply(url))
    }
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

fn config(apple_key: Option<&SigningKey>) -> Config {
    config_with(|v| {
        for name in ["GITHUB", "FACEBOOK"] {
            v.insert(Box::leak(format!("{name}_OAUTH_ENABLED").into_boxed_str()), "true".into());
            v.insert(Box::leak(format!("{name}_CLIENT_ID").into_boxed_str()), format!("{name}-id"));
            v.insert(Box::leak(format!("{name}_CLIENT_SECRET").into_boxed_str()), format!("{name}-secret"));
        }
        if let Some(key) = apple_key {
            use base64::Engine;
            use p256::pkcs8::EncodePrivateKey;
            let der = p256::SecretKey::from(key.as_nonzero_scalar()).to_pkcs8_der().unwrap();
            let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
            v.insert("APPLE_OAUTH_ENABLED", "true".into());
            v.insert("APPLE_CLIENT_ID", "com.example.web".into());
            v.insert("APPLE_TEAM_ID", "TEAM123456".into());
            v.insert("APPLE_KEY_ID", "KEY1234567".into());
            v.insert("APPLE_PRIVATE_KEY", format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----"));
        }
    })
}

fn start(config: &Config, http: &Scripted, name: &str) -> (Flow, String) {
    let provider = flow::provider(config, name).unwrap();
    let (location, cookie) =
        block_on(flow::start(config, http, &SystemRandom, provider, "/account".into(), None, NOW)).unwrap();
    (Flow::open(config, &cookie, NOW).unwrap(), location)
}

fn finish(config: &Config, http: &Scripted, flow: &Flow, user: Option<&str>) -> Result<Answer, ApiError> {
    let callback = Callback { code: "the-code", user };
    block_on(flow::finish(config, http, &NativeSigner, flow, &callback, &flow.state, NOW))
}

#[test]
fn github_the_primary_address_and_its_verification_come_from_user_emails() {
    let config = config(None);
    let http = Scripted::default();
    let (flow, location) = start(&config, &http, "github");
    assert!(location.starts_with("https://github.com/login/oauth/authorize?"));
    let q = query(&location);
    assert_eq!((q["scope"].as_str(), q["state"].as_str()), ("read:user user:email", flow.state.as_str()));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:8787/auth/github/callback");

    http.on(
        "https://github.com/login/oauth/access_token",
        200,
        json!({ "access_token": "gho_1", "token_type": "bearer" }),
    );
    http.on(
        "https://api.github.com/user",
        200,
        json!({ "id": 583231, "login": "octocat", "name": null, "email": "public@example.com" }),
    );
    http.on(
        "https://api.github.com/user/emails",
        200,
        json!([
            { "email": "old@example.com", "primary": false, "verified": true },
            { "email": "octo@example.com", "primary": true, "verified": false }
        ]),
    );
    let answer = finish(&config, &http, &flow, None).unwrap();
    assert_eq!(answer.claims.sub, "583231");
    assert_eq!(answer.claims.email.as_deref(), Some("octo@example.com"), "the primary, not the public one");
    assert_eq!(answer.claims.email_verified, Some(false), "GitHub's unverified primary stays unverified");
    assert_eq!(answer.claims.name.as_deref(), Some("octocat"), "the login when no name is set");
    let posted = &http.seen("https://github.com/login/oauth/access_token")[0];
    assert_eq!(posted.method, "POST");
    let form: HashMap<String, String> = url::form_urlencoded::parse(posted.body.as_bytes()).into_owned().collect();
    assert_eq!((form["client_secret"].as_str(), form["code"].as_str()), ("GITHUB-secret", "the-code"));
    assert_eq!(form["code_verifier"], flow.verifier);
    assert_eq!(http.seen("https://api.github.com/user")[0].bearer.as_deref(), Some("gho_1"));

    // GitHub answers a bad code with 200 and an `error` member.
    http.on("https://github.com/login/oauth/access_token", 200, json!({ "error": "bad_verification_code" }));
    let err = finish(&config, &http, &flow, None).unwrap_err();
    assert!(err.description().unwrap_or_default().contains("bad_verification_code"), "{err:?}");
    http.on("https://github.com/login/oauth/access_token", 200, json!({ "access_token": "gho_1" }));
    http.on("https://api.github.com/user/emails", 200, json!([]));
    assert_eq!(finish(&config, &http, &flow, None).unwrap_err().code(), "social_login_failed");
}

#[test]
fn facebook_me_is_read_with_appsecret_proof_and_its_address_is_not_taken_as_verified() {
    let config = config(None);
    let http = Scripted::default();
    let (flow, location) = start(&config, &http, "facebook");
    assert!(location.starts_with("https://www.facebook.com/v23.0/dialog/oauth?"));
    assert_eq!(query(&location)["scope"], "email,public_profile");
    http.on(
        "https://graph.facebook.com/v23.0/oauth/access_token",
        200,
        json!({ "access_token": "EAAB", "token_type": "bearer", "expires_in": 5183944 }),
    );
    http.on(
        "https://graph.facebook.com/v23.0/me",
        200,
        json!({ "id": "10158", "name": "Fay Book", "email": "fay@example.com" }),
    );
    let answer = finish(&config, &http, &flow, None).unwrap();
    assert_eq!((answer.claims.sub.as_str(), answer.claims.email_verified), ("10158", None));
    assert_eq!(answer.tokens.expires_in, Some(5183944));
    let exchange = &http.seen("https://graph.facebook.com/v23.0/oauth/access_token")[0];
    assert_eq!(exchange.method, "GET", "Facebook's documented exchange is a GET");
    let exchange = query(&exchange.url);
    assert_eq!(
        (exchange["client_secret"].as_str(), exchange["code_verifier"].as_str()),
        ("FACEBOOK-secret", flow.verifier.as_str())
    );
    let me = &http.seen("https://graph.facebook.com/v23.0/me")[0];
    // HMAC-SHA256("FACEBOOK-secret", "EAAB"), computed independently (Python's hmac).
    assert_eq!(query(&me.url)["appsecret_proof"], "421022cd7c2603be6b20ec973ef65a90120f6ceb1f26ac4e47d3b215be3964a7");
    assert_eq!(me.bearer.as_deref(), Some("EAAB"));
}

#[test]
fn apple_signs_its_client_secret_with_the_team_key_and_reads_the_name_once() {
    let team_key = SigningKey::random(&mut rand_core::OsRng);
    let config = config(Some(&team_key));
    let http = Scripted::default();
    let (flow, location) = start(&config, &http, "apple");
    let q = query(&location);
    assert!(location.starts_with("https://appleid.apple.com/auth/authorize?"));
    assert_eq!((q["response_mode"].as_str(), q["scope"].as_str()), ("form_post", "name email"));
    assert_eq!(q["nonce"], flow.nonce);
    assert!(flow::answers_by_form_post(flow::provider(&config, "apple").unwrap()));

    // Apple's ID token (ES256 here; the verifier takes RS256 and ES256 alike).
    let apple_key = SigningKey::random(&mut rand_core::OsRng);
    let point = apple_key.verifying_key().to_encoded_point(false);
    http.on(
        "https://appleid.apple.com/auth/keys",
        200,
        json!({ "keys": [{ "kty": "EC", "crv": "P-256", "kid": "A1",
        "x": b64url(point.x().unwrap()), "y": b64url(point.y().unwrap()) }] }),
    );
    let claims = json!({ "iss": "https://appleid.apple.com", "aud": "com.example.web", "sub": "001234.abcd",
        "exp": NOW + 600, "iat": NOW, "nonce": flow.nonce, "email": "x7@privaterelay.appleid.com",
        "email_verified": "true", "is_private_email": "true" });
    let input = format!("{}.{}", b64url(br#"{"alg":"ES256","kid":"A1"}"#), b64url(claims.to_string().as_bytes()));
    let signature: Signature = apple_key.sign(input.as_bytes());
    let id_token = format!("{input}.{}", b64url(&signature.to_bytes()));
    http.on(
        "https://appleid.apple.com/auth/token",
        200,
        json!({ "access_token": "a1", "token_type": "Bearer",
        "refresh_token": "r1", "id_token": id_token }),
    );
    let user = r#"{"name":{"firstName":"Ada","lastName":"Apple"},"email":"x7@privaterelay.appleid.com"}"#;
    let answer = finish(&config, &http, &flow, Some(user)).unwrap();
    assert_eq!(answer.claims.email_verified, Some(true), "Apple's \"true\" string");
    assert_eq!(answer.claims.name.as_deref(), Some("Ada Apple"));
    assert_eq!(answer.tokens.refresh_token.as_deref(), Some("r1"));
    // Later sign-ins carry no `user`: no name, still the same person.
    let again = finish(&config, &http, &flow, None).unwrap();
    assert_eq!((again.claims.sub.as_str(), again.claims.name.as_deref()), ("001234.abcd", None));

    // The client secret: an ES256 JWT by the team's key, as Apple's REST API asks.
    let posted = &http.seen("https://appleid.apple.com/auth/token")[0];
    let form: HashMap<String, String> = url::form_urlencoded::parse(posted.body.as_bytes()).into_owned().collect();
    let jwt: Vec<&str> = form["client_secret"].split('.').collect();
    let header: Value = serde_json::from_slice(&b64url_decode(jwt[0]).unwrap()).unwrap();
    let body: Value = serde_json::from_slice(&b64url_decode(jwt[1]).unwrap()).unwrap();
    assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some("ES256"), Some("KEY1234567")));
    assert_eq!(body["iss"], "TEAM123456");
    assert_eq!(body["sub"], "com.example.web");
    assert_eq!(body["aud"], "https://appleid.apple.com");
    assert!(body["exp"].as_i64().unwrap() > NOW && body["exp"].as_i64().unwrap() <= NOW + 15_777_000);
    let signature = Signature::from_slice(&b64url_decode(jwt[2]).unwrap()).unwrap();
    let team_public: &VerifyingKey = team_key.verifying_key();
    assert!(team_public.verify(format!("{}.{}", jwt[0], jwt[1]).as_bytes(), &signature).is_ok());
    assert_eq!((form["grant_type"].as_str(), form["code"].as_str()), ("authorization_code", "the-code"));

    // A token for another Apple client is refused.
    let other = json!({ "iss": "https://appleid.apple.com", "aud": "com.other.app", "sub": "001234.abcd",
        "exp": NOW + 600, "nonce": flow.nonce });
    let input = format!("{}.{}", b64url(br#"{"alg":"ES256","kid":"A1"}"#), b64url(other.to_string().as_bytes()));
    let signature: Signature = apple_key.sign(input.as_bytes());
    http.on(
        "https://appleid.apple.com/auth/token",
        200,
        json!({ "access_token": "a1",
        "id_token": format!("{input}.{}", b64url(&signature.to_bytes())) }),
    );
    let err = finish(&config, &http, &flow, None).unwrap_err();
    assert!(err.description().unwrap_or_default().contains("another client"), "{err:?}");
}

#[test]
fn linkedin_takes_the_client_secret_in_the_body_as_its_discovery_document_says() {
    let config = config_with(|v| {
        v.insert("LINKEDIN_OAUTH_ENABLED", "true".into());
        v.insert("LINKEDIN_CLIENT_ID", "li-id".into());
        v.insert("LINKEDIN_CLIENT_SECRET", "li-secret-16char".into());
    });
    let issuer = "https://www.linkedin.com/oauth";
    let key = SigningKey::random(&mut rand_core::OsRng);
    let point = key.verifying_key().to_encoded_point(false);
    let http = Scripted::default();
    http.on(
        &format!("{issuer}/.well-known/openid-configuration"),
        200,
        json!({ "issuer": issuer,
        "authorization_endpoint": "https://www.linkedin.com/oauth/v2/authorization",
        "token_endpoint": "https://www.linkedin.com/oauth/v2/accessToken",
        "jwks_uri": "https://www.linkedin.com/oauth/openid/jwks",
        "token_endpoint_auth_methods_supported": ["client_secret_post"] }),
    );
    http.on(
        "https://www.linkedin.com/oauth/openid/jwks",
        200,
        json!({ "keys": [{ "kty": "EC", "crv": "P-256",
        "x": b64url(point.x().unwrap()), "y": b64url(point.y().unwrap()) }] }),
    );
    let (flow, location) = start(&config, &http, "linkedin");
    assert!(location.starts_with("https://www.linkedin.com/oauth/v2/authorization?"));
    let claims = json!({ "iss": issuer, "aud": "li-id", "sub": "li-7", "exp": NOW + 60, "nonce": flow.nonce,
        "email": "lin@example.com", "email_verified": true });
    let input = format!("{}.{}", b64url(br#"{"alg":"ES256"}"#), b64url(claims.to_string().as_bytes()));
    let signature: Signature = key.sign(input.as_bytes());
    http.on(
        "https://www.linkedin.com/oauth/v2/accessToken",
        200,
        json!({ "access_token": "li-at", "id_token": format!("{input}.{}", b64url(&signature.to_bytes())) }),
    );
    // `Scripted::post_form` refuses HTTP Basic: the secret must travel in the form.
    let answer = finish(&config, &http, &flow, None).unwrap();
    assert_eq!(answer.claims.sub, "li-7");
    let posted = &http.seen("https://www.linkedin.com/oauth/v2/accessToken")[0];
    let form: HashMap<String, String> = url::form_urlencoded::parse(posted.body.as_bytes()).into_owned().collect();
    assert_eq!((form["client_id"].as_str(), form["client_secret"].as_str()), ("li-id", "li-secret-16char"));
}
