//! Sign-in at another OpenID provider against a provider played here (discovery, token
//! endpoint, JWKS; ID tokens signed with ES256), and the linking rules against the real
//! schema.

use std::cell::RefCell;

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use pollster::block_on;
use serde_json::json;

use super::flow::{self, Flow};
use super::id_token::ProviderClaims;
use super::identities::{Federation, Resolution};
use super::protocols::{Answer, Callback, ProviderTokens};
use crate::engine::crypto::jose::b64url;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, ErrorResponse, InternalError};
use crate::engine::platform::ports::{HttpClient, HttpReply, SqlRunner, SystemRandom, UnixTime};
use crate::engine::test_support::fixtures::{alice, config_with};
use crate::engine::test_support::{context_of, NativePlatform, NO_KV};
use crate::native::{NativeSigner, SqliteStore};

const NOW: UnixTime = 1_800_000_000;
const ISSUER: &str = "https://idp.example.com";
const META: RequestMeta = RequestMeta { ip_address: None, user_agent: None, location: None };

/// The provider: answers discovery, the JWKS, and the token endpoint with `id_token`.
struct Provider {
    key: SigningKey,
    id_token: RefCell<String>,
    posted: RefCell<Vec<String>>,
    fetched: RefCell<Vec<String>>,
}

impl Provider {
    fn new() -> Provider {
        Provider {
            key: SigningKey::random(&mut rand_core::OsRng),
            id_token: RefCell::default(),
            posted: RefCell::default(),
            fetched: RefCell::default(),
        }
    }

    fn sign(&self, claims: serde_json::Value) -> String {
        let header = b64url(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let body = b64url(claims.to_string().as_bytes());
        let input = format!("{header}.{body}");
        let signature: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64url(&signature.to_bytes()))
    }
}

impl HttpClient for Provider {
    async fn get(&self, url: &str, _: Option<&str>) -> Result<HttpReply, InternalError> {
        self.fetched.borrow_mut().push(url.into());
        let body = match url {
            "https://idp.example.com/.well-known/openid-configuration" => json!({
                "issuer": ISSUER, "authorization_endpoint": "https://idp.example.com/authorize",
                "token_endpoint": "https://idp.example.com/token", "jwks_uri": "https://idp.example.com/jwks"
            }),
            "https://idp.example.com/jwks" => {
                let point = self.key.verifying_key().to_encoded_point(false);
                json!({ "keys": [{ "kty": "EC", "crv": "P-256", "kid": "k1",
                    "x": b64url(point.x().unwrap()), "y": b64url(point.y().unwrap()) }] })
            }
            _ => return Ok(HttpReply { status: 404, body: String::new(), cache_control: None }),
        };
        Ok(HttpReply { status: 200, body: body.to_string(), cache_control: None })
    }

    async fn post_form(&self, url: &str, body: &str, basic: Option<(&str, &str)>) -> Result<HttpReply, InternalError> {
        assert_eq!(url, "https://idp.example.com/token");
        assert_eq!(basic, Some(("rp", "rp-secret")), "client_secret_basic");
        self.posted.borrow_mut().push(body.into());
        Ok(HttpReply {
            status: 200,
            body: json!({ "access_token": "at-1", "token_type": "Bearer", "id_token": *self.id_token.borrow() })
                .to_string(),
            cache_control: None,
        })
    }
}

fn config() -> Config {
    config_with(|v| {
        v.insert(
            "OIDC_PROVIDERS",
            json!([{ "name": "corp", "display_name": "Corp", "issuer": ISSUER, "client_id": "rp", "client_secret": "rp-secret" }])
                .to_string(),
        );
    })
}

/// Starts a sign-in; returns the flow the cookie holds and the authorization URL.
fn started(config: &Config, provider: &Provider) -> (Flow, url::Url) {
    let corp = flow::provider(config, "corp").unwrap();
    let (location, cookie) =
        block_on(flow::start(config, provider, &SystemRandom, corp, "/account".into(), None, NOW)).unwrap();
    (Flow::open(config, &cookie, NOW).unwrap(), url::Url::parse(&location).unwrap())
}

fn claims(flow: &Flow, extra: serde_json::Value) -> serde_json::Value {
    let mut claims = json!({ "iss": ISSUER, "aud": "rp", "sub": "u-1", "exp": NOW + 300, "iat": NOW,
        "nonce": flow.nonce, "email": "ann@example.com", "email_verified": true });
    if let (Some(target), Some(more)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            target.insert(k.clone(), v.clone());
        }
    }
    claims
}

fn finish(config: &Config, provider: &Provider, flow: &Flow, state: &str) -> Result<ProviderClaims, ApiError> {
    let answer = Callback { code: "the-code", user: None };
    block_on(flow::finish(config, provider, &NativeSigner, flow, &answer, state, NOW)).map(|a| a.claims)
}

#[test]
fn oidc_core_3_1_the_authorization_request_carries_state_nonce_and_pkce() {
    let config = config();
    let provider = Provider::new();
    let (flow, url) = started(&config, &provider);
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.as_str().split('?').next(), Some("https://idp.example.com/authorize"));
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:8787/auth/corp/callback");
    assert_eq!((q["state"].as_str(), q["nonce"].as_str()), (flow.state.as_str(), flow.nonce.as_str()));
    assert_eq!(q["code_challenge"], crate::engine::crypto::pkce::s256_challenge(&flow.verifier));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "openid email profile");
}

#[test]
fn oidc_core_3_1_3_7_the_id_token_is_checked_before_anything_is_believed() {
    let config = config();
    let provider = Provider::new();
    let (flow, _) = started(&config, &provider);
    *provider.id_token.borrow_mut() = provider.sign(claims(&flow, json!({})));
    let verified = finish(&config, &provider, &flow, &flow.state).unwrap();
    assert_eq!((verified.sub.as_str(), verified.email_verified), ("u-1", Some(true)));
    assert!(provider.posted.borrow()[0].contains(&format!("code_verifier={}", flow.verifier)));
    let discoveries = provider.fetched.borrow().iter().filter(|u| u.ends_with("/openid-configuration")).count();
    assert_eq!(discoveries, 1, "the callback uses the endpoints discovered at the start");

    assert_eq!(finish(&config, &provider, &flow, "another-state").unwrap_err().code(), "social_login_failed");
    for (bad, why) in [
        (json!({ "aud": "someone-else" }), "another client"),
        (json!({ "iss": "https://evil.example.com" }), "another issuer"),
        (json!({ "exp": NOW - 1 }), "expired"),
        (json!({ "nonce": "replayed" }), "nonce"),
    ] {
        *provider.id_token.borrow_mut() = provider.sign(claims(&flow, bad));
        let err = finish(&config, &provider, &flow, &flow.state).unwrap_err();
        assert!(err.description().unwrap_or_default().contains(why), "{why}: {err:?}");
    }
    let other = Provider::new();
    *provider.id_token.borrow_mut() = other.sign(claims(&flow, json!({})));
    let err = finish(&config, &provider, &flow, &flow.state).unwrap_err();
    assert!(err.description().unwrap_or_default().contains("signature"), "signed by another key");
    let unsigned =
        format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims(&flow, json!({})).to_string().as_bytes()));
    *provider.id_token.borrow_mut() = unsigned;
    assert!(finish(&config, &provider, &flow, &flow.state).is_err(), "alg none");
}

#[test]
fn forward_url_is_this_server_only() {
    let config = config();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    assert_eq!(flow::forward_target(&config, None).unwrap(), "/account");
    assert_eq!(
        flow::forward_target(&config, Some(&b64("/authorize/resume?request=x"))).unwrap(),
        "/authorize/resume?request=x"
    );
    assert_eq!(flow::forward_target(&config, Some(&b64("http://127.0.0.1:8787/account"))).unwrap(), "/account");
    for open in ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"] {
        assert!(flow::forward_target(&config, Some(&b64(open))).is_err(), "{open}");
    }
}

fn federation<'a>(config: &'a Config, store: &'a SqliteStore) -> Federation<'a, NativePlatform> {
    Federation { rc: context_of(config, store, &NO_KV, &META, NOW) }
}

fn identity(sub: &str, email: &str, verified: bool) -> Answer {
    Answer {
        claims: ProviderClaims {
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: Some(verified),
            name: None,
        },
        tokens: ProviderTokens { access_token: format!("at-{sub}"), refresh_token: None, expires_in: None },
    }
}

#[test]
fn a_new_identity_links_to_an_account_only_when_both_sides_verified_the_address() {
    let config = config();
    let store = SqliteStore::open_in_memory().unwrap();
    let mut ann = alice();
    ann.email = "ann@example.com".into();
    store.insert_user(&ann).unwrap();
    let fed = federation(&config, &store);
    // The provider does not vouch for the address: no silent link to Ann's account.
    let err = block_on(fed.resolve("corp", &identity("u-1", "ann@example.com", false), None)).unwrap_err();
    assert_eq!(err.code(), "social_login_refused");
    // It does, and Ann's address is verified: linked, and it signs in as Ann from now on.
    let Resolution::SignIn(user) =
        block_on(fed.resolve("corp", &identity("u-2", "ann@example.com", true), None)).unwrap()
    else {
        panic!("expected a sign-in")
    };
    assert_eq!(user.id, ann.id);
    // A new address makes a new account, verified as the provider says.
    let Resolution::SignIn(new) =
        block_on(fed.resolve("corp", &identity("u-3", "bob@example.com", true), None)).unwrap()
    else {
        panic!("expected a sign-in")
    };
    assert!(new.email_verified && new.password_hash.is_none());
    // One identity, one account: linking Bob's identity to Ann is refused.
    let err = block_on(fed.resolve("corp", &identity("u-3", "bob@example.com", true), Some(&ann.id))).unwrap_err();
    assert_eq!(err.description().unwrap_or_default(), "This social account is linked to another user.");
    // Bob's only way in is this provider: it cannot be unlinked.
    assert_eq!(block_on(fed.unlink(&new.id, "corp")).unwrap_err().code(), "cannot_unlink");
    let events: Vec<String> =
        store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(events.contains(&"social_account_linked".to_owned()));
}

#[test]
fn provider_tokens_are_kept_sealed_only_when_configured() {
    let store = SqliteStore::open_in_memory().unwrap();
    let off = config();
    let Resolution::SignIn(ann) =
        block_on(federation(&off, &store).resolve("corp", &identity("u-1", "ann@example.com", true), None)).unwrap()
    else {
        panic!("expected a sign-in")
    };
    let kept = |sub: &str| {
        block_on(store.query("SELECT tokens FROM social_identities WHERE subject = ?1", &[sub.into()])).unwrap()[0]
            ["tokens"]
            .clone()
    };
    assert!(kept("u-1").is_null(), "nothing of the provider's tokens is kept by default");

    let on = config_with(|v| {
        v.insert(
            "OIDC_PROVIDERS",
            json!([{ "name": "corp", "issuer": ISSUER, "client_id": "rp", "client_secret": "rp-secret" }]).to_string(),
        );
        v.insert("SOCIAL_STORE_PROVIDER_TOKENS", "true".into());
    });
    let fed = federation(&on, &store);
    block_on(fed.resolve("corp", &identity("u-1", "ann@example.com", true), None)).unwrap();
    let sealed = kept("u-1");
    assert!(sealed.is_string() && !sealed.as_str().unwrap().contains("at-u-1"), "sealed at rest: {sealed}");
    let tokens = block_on(fed.stored_tokens(&ann.id, "corp")).unwrap().unwrap();
    assert_eq!(tokens.access_token, "at-u-1");
    // Sealed to the identity: moved to another row, they do not open.
    block_on(store.execute("UPDATE social_identities SET subject = 'u-9' WHERE subject = 'u-1'", &[])).unwrap();
    assert!(block_on(fed.stored_tokens(&ann.id, "corp")).is_err());
    // Switched off again: the next sign-in clears them.
    block_on(store.execute("UPDATE social_identities SET subject = 'u-1' WHERE subject = 'u-9'", &[])).unwrap();
    block_on(federation(&off, &store).resolve("corp", &identity("u-1", "ann@example.com", true), None)).unwrap();
    assert!(kept("u-1").is_null());
}
