//! `private_key_jwt` (RFC 7523 §2.2, §3) at the token endpoint, natively: a client
//! signs an assertion with its own key; the server verifies it with the registered
//! `jwks` (or the set at `jwks_uri`) and takes each `jti` once.

use pollster::block_on;
use serde_json::{json, Value};

use crate::engine::clients::{AuthMethod, ClientStore};
use crate::engine::crypto::jose::b64url;
use crate::engine::oauth::token::{TokenEndpoint, TokenError};
use crate::engine::platform::config::Config;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{JwsSigner, SigningAlg, UnixTime};
use crate::engine::test_support::{
    confidential, config_with, test_keys, token_endpoint, NativePlatform, TestKeys, NO_HTTP,
};
use crate::native::{NativeSigner, SqliteStore};

const NOW: UnixTime = 1_800_000_000;
const ISSUER: &str = "http://127.0.0.1:8787";

struct Fixture {
    config: Config,
    store: SqliteStore,
    keys: TestKeys,
    /// The client's own private key (PKCS#8) and its public JWK.
    private: Vec<u8>,
    public: Value,
}

fn fixture(alg: SigningAlg, jwks_uri: Option<&str>) -> Fixture {
    let config = config_with(|_| {});
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let generated = block_on(NativeSigner.generate(alg)).unwrap();
    let mut public = serde_json::to_value(&generated.public).unwrap();
    public["kid"] = json!("client-key-1");
    let mut client = confidential(AuthMethod::PrivateKeyJwt);
    client.scopes = vec!["read".into()];
    match jwks_uri {
        Some(uri) => {
            client.jwks_uri = Some(uri.into());
            NO_HTTP.answer(uri, 200, &json!({ "keys": [public] }).to_string());
        }
        None => client.jwks = Some(json!({ "keys": [public] }).to_string()),
    }
    block_on(store.ensure_client(&client, None, 0)).unwrap();
    Fixture { config, store, keys, private: generated.private_pkcs8_der, public }
}

fn assertion(f: &Fixture, alg: SigningAlg, claims: Value) -> String {
    let header = json!({ "alg": alg.as_str(), "typ": "JWT", "kid": f.public["kid"] });
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let key = block_on(NativeSigner.import_private(alg, &f.private)).unwrap();
    let signature = block_on(NativeSigner.sign(&key, input.as_bytes())).unwrap();
    format!("{input}.{}", b64url(&signature))
}

fn claims(jti: &str) -> Value {
    json!({ "iss": "svc", "sub": "svc", "aud": format!("{ISSUER}/token"), "exp": NOW + 60, "iat": NOW, "jti": jti })
}

fn endpoint(f: &Fixture) -> TokenEndpoint<'_, NativePlatform> {
    token_endpoint(&f.config, &f.store, &f.keys, NOW)
}

fn token(f: &Fixture, assertion: &str) -> Result<shared::oauth::TokenResponse, TokenError> {
    let body = format!(
        "grant_type=client_credentials&scope=read&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"
    );
    block_on(endpoint(f).handle_form(None, &Form::parse(body.as_bytes()).unwrap()))
}

#[test]
fn rfc7523_2_2_a_signed_assertion_authenticates_the_client_once() {
    for alg in [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa] {
        let f = fixture(alg, None);
        let signed = assertion(&f, alg, claims("one"));
        let answer = token(&f, &signed).unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(answer.scope, "read");
        // §3 item 7: the same jti again is refused.
        assert!(matches!(token(&f, &signed), Err(TokenError::ClientRefused(why)) if why.contains("used before")));
    }
}

#[test]
fn rfc7523_3_claims_that_are_wrong_are_refused_as_invalid_client() {
    let f = fixture(SigningAlg::Es256, None);
    let cases = [
        (json!({ "iss": "other", "sub": "svc" }), "iss and sub"),
        (json!({ "aud": "https://elsewhere.example/token" }), "aud"),
        (json!({ "exp": NOW - 120 }), "expired"),
        (json!({ "exp": NOW + 3600 }), "short-lived"),
        (json!({ "jti": null }), "jti"),
        (json!({ "iat": NOW + 3600 }), "not valid yet"),
    ];
    for (i, (change, says)) in cases.into_iter().enumerate() {
        let mut c = claims(&format!("jti-{i}"));
        if let (Some(c), Some(change)) = (c.as_object_mut(), change.as_object()) {
            for (k, v) in change {
                c.insert(k.clone(), v.clone());
            }
        }
        match token(&f, &assertion(&f, SigningAlg::Es256, c)) {
            Err(TokenError::ClientRefused(why)) => assert!(why.contains(says), "{says}: {why}"),
            other => panic!("{says}: {other:?}"),
        }
    }
}

#[test]
fn rfc8725_3_1_another_key_or_algorithm_is_refused() {
    let f = fixture(SigningAlg::Es256, None);
    // Signed by a key the client did not register.
    let other = fixture(SigningAlg::Es256, None);
    let foreign = assertion(&other, SigningAlg::Es256, claims("foreign"));
    assert!(matches!(token(&f, &foreign), Err(TokenError::ClientRefused(why)) if why.contains("no key")));
    // alg HS256 (a MAC keyed with something public) and none are never accepted.
    for alg in ["HS256", "none"] {
        let header = b64url(json!({ "alg": alg }).to_string().as_bytes());
        let body = b64url(claims("mac").to_string().as_bytes());
        let forged = format!("{header}.{body}.{}", b64url(b"sig"));
        assert!(matches!(token(&f, &forged), Err(TokenError::ClientRefused(why)) if why.contains("alg")), "{alg}");
    }
}

#[test]
fn rfc7591_2_the_keys_can_live_at_jwks_uri() {
    let f = fixture(SigningAlg::Es256, Some("https://agent.example/jwks-for-test.json"));
    assert!(token(&f, &assertion(&f, SigningAlg::Es256, claims("uri"))).is_ok());
}

#[test]
fn a_client_that_registered_a_secret_cannot_switch_to_an_assertion() {
    let f = fixture(SigningAlg::Es256, None);
    let mut secret_client = confidential(AuthMethod::ClientSecretBasic);
    secret_client.client_id = "basic-svc".into();
    block_on(f.store.ensure_client(&secret_client, None, 0)).unwrap();
    let mut c = claims("switch");
    c["iss"] = json!("basic-svc");
    c["sub"] = json!("basic-svc");
    let signed = assertion(&f, SigningAlg::Es256, c);
    assert_eq!(token(&f, &signed).unwrap_err(), TokenError::InvalidClient { basic: false });
}

#[test]
fn oidc_core_9_client_secret_jwt_is_an_hs256_mac_with_a_live_secret() {
    use crate::engine::clients::ClientSecret;
    use crate::engine::crypto::sealed::{seal, Purpose};
    use crate::engine::crypto::tokens::hash_token;
    use hmac::{Hmac, Mac};
    let config = config_with(|_| {});
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let mut client = confidential(AuthMethod::ClientSecretJwt);
    client.scopes = vec!["read".into()];
    let sealed = seal(
        &config.secret_key,
        Purpose::ClientSecret,
        b"s1",
        b"mac-secret",
        &crate::engine::platform::ports::SystemRandom,
    )
    .unwrap();
    let secret = ClientSecret {
        secret_id: "s1".into(),
        secret_hash: hash_token("mac-secret"),
        created_at: 0,
        expires_at: None,
        sealed: Some(sealed),
    };
    block_on(store.ensure_client(&client, Some(&secret), 0)).unwrap();
    let mac_jwt = |key: &[u8], alg: &str, jti: &str| {
        let header = b64url(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
        let body = b64url(claims(jti).to_string().as_bytes());
        let input = format!("{header}.{body}");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", b64url(&mac.finalize().into_bytes()))
    };
    let f = Fixture { config, store, keys, private: vec![], public: json!({}) };
    assert!(token(&f, &mac_jwt(b"mac-secret", "HS256", "m1")).is_ok());
    assert!(
        matches!(token(&f, &mac_jwt(b"mac-secret", "HS256", "m1")), Err(TokenError::ClientRefused(why)) if why.contains("used before"))
    );
    assert!(
        matches!(token(&f, &mac_jwt(b"wrong-secret", "HS256", "m2")), Err(TokenError::ClientRefused(why)) if why.contains("no live secret"))
    );
    assert!(
        matches!(token(&f, &mac_jwt(b"mac-secret", "RS256", "m3")), Err(TokenError::ClientRefused(why)) if why.contains("HS256"))
    );
}
