use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use serde_json::Value;

use super::*;
use crate::engine::clients::tests::{confidential, OneClient};
use crate::engine::clients::{hash_secret, AuthMethod, ClientSecret};
use crate::engine::config::tests::dev_vars;
use crate::engine::jose::b64url_decode;
use crate::engine::keys::KeyRing;
use crate::engine::ports::SystemRandom;
use crate::native::{NativeRsaSigner, SqliteStore};

struct Fixture {
    config: Config,
    key: ActiveSigningKey<<NativeRsaSigner as RsaSigner>::Key>,
    public: RsaPublicKey,
    clients: OneClient,
}

impl SigningKeySource<<NativeRsaSigner as RsaSigner>::Key> for Fixture {
    async fn signing_key(&self) -> Result<ActiveSigningKey<<NativeRsaSigner as RsaSigner>::Key>, InternalError> {
        Ok(self.key.clone())
    }
}

fn fixture(client: Client) -> Fixture {
    let vars = dev_vars();
    let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    let ring = KeyRing { store: &store, signer: &NativeRsaSigner, rng: &SystemRandom, secret: &config.secret_key };
    let key = pollster::block_on(ring.load_active_signer(0)).unwrap();
    let jwk = &pollster::block_on(ring.jwks(0)).unwrap().keys[0];
    let public = RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap()),
        rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap()),
    )
    .unwrap();
    let secrets = vec![ClientSecret {
        secret_id: "s1".into(),
        secret_hash: hash_secret("s3cret"),
        created_at: 0,
        expires_at: None,
    }];
    Fixture { config, key, public, clients: OneClient(client, secrets) }
}

const NOW: UnixTime = 1_800_000_000;

fn request(f: &Fixture, authorization: Option<&str>, body: &str) -> Result<TokenResponse, TokenError> {
    let endpoint = TokenEndpoint {
        config: &f.config,
        store: &f.clients,
        signer: &NativeRsaSigner,
        keys: f,
        rng: &SystemRandom,
        now: NOW,
    };
    pollster::block_on(endpoint.handle(authorization, &Form::parse(body.as_bytes()).unwrap()))
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn verify(f: &Fixture, token: &str) -> (String, Value) {
    let untrusted = UntrustedToken::new(token).unwrap();
    let typ = untrusted.header().token_type.clone().unwrap_or_default();
    let verified = Rsa::rs256().validator::<Value>(&f.public).validate(&untrusted).unwrap();
    let mut claims = verified.claims().custom.clone();
    claims["exp"] = verified.claims().expiration.map(|t| t.timestamp()).into();
    claims["iat"] = verified.claims().issued_at.map(|t| t.timestamp()).into();
    (typ, claims)
}

#[test]
fn rfc6749_4_4_client_credentials_issues_an_rfc9068_access_token() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 3600);
    assert_eq!(response.scope, "read");
    assert!(response.refresh_token.is_none(), "RFC 6749 §4.4.3: no refresh token");
    assert!(response.id_token.is_none());
    let (typ, claims) = verify(&f, &response.access_token);
    assert_eq!(typ, "at+jwt");
    assert_eq!(claims["iss"], "http://127.0.0.1:8787");
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["aud"], "svc");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 3600);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22);
}

#[test]
fn rfc9068_every_token_has_its_own_jti() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let jti = |_| {
        let r = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
        verify(&f, &r.access_token).1["jti"].clone()
    };
    assert_ne!(jti(1), jti(2));
}

#[test]
fn rfc6749_3_3_omitted_scope_gets_the_clients_scopes_that_need_no_user() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.scopes = vec!["openid".into(), "read".into(), "write".into()];
    let f = fixture(client);
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
    assert_eq!(response.scope, "read write");
}

#[test]
fn rfc6749_3_3_scopes_beyond_the_clients_or_malformed_are_invalid_scope() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    for scope in ["admin", "read%20admin", "openid", "re%22ad", "read%5Cx"] {
        let err = request(&f, Some(&basic("svc", "s3cret")), &format!("grant_type=client_credentials&scope={scope}"));
        assert!(matches!(err, Err(TokenError::InvalidScope(_))), "{scope}: {err:?}");
    }
    let ok =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=write+read+write").unwrap();
    assert_eq!(ok.scope, "write read");
}

#[test]
fn rfc6749_per_client_access_token_ttl_overrides_the_default() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.access_token_ttl = Some(120);
    let f = fixture(client);
    let response = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap();
    assert_eq!(response.expires_in, 120);
    assert_eq!(verify(&f, &response.access_token).1["exp"], NOW + 120);
}

#[test]
fn rfc6749_5_2_grant_type_errors() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let auth = basic("svc", "s3cret");
    assert!(matches!(request(&f, Some(&auth), "scope=read"), Err(TokenError::InvalidRequest(_))));
    assert!(matches!(request(&f, Some(&auth), "grant_type=magic"), Err(TokenError::UnsupportedGrantType(_))));
    assert!(matches!(request(&f, None, "grant_type=magic"), Err(TokenError::UnsupportedGrantType(_))));
}

#[test]
fn rfc6749_5_2_unauthorized_client_for_a_grant_it_was_not_registered_for() {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.grant_types = vec!["authorization_code".into()];
    let f = fixture(client);
    let err = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials").unwrap_err();
    assert!(matches!(err, TokenError::UnauthorizedClient(_)), "{err:?}");
}

#[test]
fn rfc6749_5_2_failed_authentication_is_invalid_client() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let err = request(&f, Some(&basic("svc", "nope")), "grant_type=client_credentials").unwrap_err();
    assert_eq!(err, TokenError::InvalidClient { basic: true });
    use crate::engine::error::ErrorResponse;
    assert_eq!(err.status(), 401);
    assert!(err.www_authenticate().unwrap().starts_with("Basic"));
    let err = request(&f, None, "grant_type=client_credentials").unwrap_err();
    assert_eq!(err, TokenError::InvalidClient { basic: false });
    assert!(err.www_authenticate().is_none());
}

#[test]
fn rfc6749_3_3_scope_syntax() {
    assert_eq!(parse_scope("a b  c a").unwrap(), vec!["a", "b", "c"]);
    assert!(parse_scope("a\tb").is_err());
    assert!(parse_scope("é").is_err());
    assert_eq!(parse_scope("").unwrap(), Vec::<String>::new());
}
