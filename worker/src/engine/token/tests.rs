use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use serde_json::Value;

use super::*;
use shared::oauth::IntrospectionResponse;

use crate::engine::access_token::{import_published_keys, VerificationKeySource};
use crate::engine::clients::tests::confidential;
use crate::engine::clients::ClientStore;
use crate::engine::clients::{hash_secret, AuthMethod, ClientSecret};
use crate::engine::config::tests::dev_vars;
use crate::engine::jose::b64url_decode;
use crate::engine::keys::KeyRing;
use crate::engine::ports::SystemRandom;
use crate::native::{NativeRsaSigner, SqliteStore};

type NativeKey = <NativeRsaSigner as RsaSigner>::Key;
type NativePublic = <NativeRsaSigner as RsaSigner>::PublicKey;

struct Fixture {
    config: Config,
    store: SqliteStore,
    key: ActiveSigningKey<NativeKey>,
    public: RsaPublicKey,
    verifiers: Vec<(String, NativePublic)>,
}

impl SigningKeySource<NativeKey> for Fixture {
    async fn signing_key(&self) -> Result<ActiveSigningKey<NativeKey>, InternalError> {
        Ok(self.key.clone())
    }
}

impl VerificationKeySource<NativePublic> for Fixture {
    async fn verification_key(&self, kid: &str) -> Result<Option<NativePublic>, InternalError> {
        Ok(self.verifiers.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone()))
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
    let verifiers = pollster::block_on(import_published_keys(&store, &NativeRsaSigner, 0)).unwrap();
    let secret =
        ClientSecret { secret_id: "s1".into(), secret_hash: hash_secret("s3cret"), created_at: 0, expires_at: None };
    pollster::block_on(store.ensure_client(&client, &secret)).unwrap();
    Fixture { config, store, key, public, verifiers }
}

/// A second client on the same server, to check who may revoke what.
fn add_client(f: &Fixture, client_id: &str, secret: &str) {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.client_id = client_id.into();
    let secret = ClientSecret {
        secret_id: format!("{client_id}-s"),
        secret_hash: hash_secret(secret),
        created_at: 0,
        expires_at: None,
    };
    pollster::block_on(f.store.ensure_client(&client, &secret)).unwrap();
}

const NOW: UnixTime = 1_800_000_000;

fn endpoint(
    f: &Fixture,
    now: UnixTime,
) -> TokenEndpoint<'_, SqliteStore, NativeRsaSigner, Fixture, SystemRandom, Fixture> {
    TokenEndpoint {
        config: &f.config,
        store: &f.store,
        signer: &NativeRsaSigner,
        keys: f,
        rng: &SystemRandom,
        verifier: f,
        now,
    }
}

fn request(f: &Fixture, authorization: Option<&str>, body: &str) -> Result<TokenResponse, TokenError> {
    pollster::block_on(endpoint(f, NOW).handle(authorization, &Form::parse(body.as_bytes()).unwrap()))
}

fn introspect(
    f: &Fixture,
    now: UnixTime,
    authorization: Option<&str>,
    body: &str,
) -> Result<IntrospectionResponse, TokenError> {
    pollster::block_on(endpoint(f, now).introspect(authorization, &Form::parse(body.as_bytes()).unwrap()))
}

fn revoke(f: &Fixture, authorization: Option<&str>, body: &str) -> Result<(), TokenError> {
    pollster::block_on(endpoint(f, NOW).revoke(authorization, &Form::parse(body.as_bytes()).unwrap()))
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

fn svc_token(f: &Fixture) -> String {
    request(f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap().access_token
}

#[test]
fn rfc7662_2_2_an_active_access_token_is_described() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let r = introspect(&f, NOW + 10, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap();
    assert!(r.active);
    assert_eq!(r.client_id.as_deref(), Some("svc"));
    assert_eq!(r.scope.as_deref(), Some("read"));
    assert_eq!(r.sub.as_deref(), Some("svc"));
    assert_eq!(r.token_type.as_deref(), Some("Bearer"));
    assert_eq!((r.iat, r.exp), (Some(NOW), Some(NOW + 3600)));
    // A wrong hint changes nothing (RFC 7662 §2.1).
    let hinted =
        introspect(&f, NOW, Some(&basic("svc", "s3cret")), &format!("token={token}&token_type_hint=refresh_token"))
            .unwrap();
    assert!(hinted.active);
}

#[test]
fn rfc7662_2_2_expired_malformed_and_foreign_tokens_are_inactive_and_say_nothing_else() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let auth = basic("svc", "s3cret");
    let inactive = IntrospectionResponse::default();
    assert_eq!(introspect(&f, NOW + 3600, Some(&auth), &format!("token={token}")).unwrap(), inactive, "expired");
    for garbage in ["abc", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={garbage}")).unwrap(), inactive, "{garbage}");
    }
    // Signed by a key this server never published, under our kid.
    let other = pollster::block_on(NativeRsaSigner.generate_rsa_2048()).unwrap();
    let other_key = pollster::block_on(NativeRsaSigner.import_private_pkcs8(&other.private_pkcs8_der)).unwrap();
    let forged_key = ActiveSigningKey { kid: f.key.kid.clone(), key: other_key };
    let claims = AccessTokenClaims::new(&f.config, "svc", "svc", "read", 3600, NOW, &SystemRandom).unwrap();
    let forged = pollster::block_on(claims.sign(&NativeRsaSigner, &forged_key)).unwrap();
    assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={forged}")).unwrap(), inactive, "forged");
    // Our key, but typ JWT (an ID token is not an access token, RFC 9068 §4).
    let as_id_token = pollster::block_on(crate::engine::jose::sign_jwt(
        &NativeRsaSigner,
        &f.key,
        "JWT",
        &serde_json::to_value(&claims).unwrap(),
    ))
    .unwrap();
    assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={as_id_token}")).unwrap(), inactive, "typ JWT");
}

#[test]
fn rfc7662_2_1_the_caller_must_authenticate_and_send_a_token() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    assert_eq!(
        introspect(&f, NOW, Some(&basic("svc", "wrong")), &format!("token={token}")).unwrap_err(),
        TokenError::InvalidClient { basic: true }
    );
    assert!(matches!(introspect(&f, NOW, Some(&basic("svc", "s3cret")), ""), Err(TokenError::InvalidRequest(_))));
}

#[test]
fn rfc7009_2_1_a_revoked_access_token_is_inactive() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    let token = svc_token(&f);
    let auth = basic("svc", "s3cret");
    revoke(&f, Some(&auth), &format!("token={token}&token_type_hint=access_token")).unwrap();
    assert!(!introspect(&f, NOW, Some(&auth), &format!("token={token}")).unwrap().active);
    // Revoking twice is fine.
    revoke(&f, Some(&auth), &format!("token={token}")).unwrap();
    // Other tokens of the same client stay active.
    let other = svc_token(&f);
    assert!(introspect(&f, NOW, Some(&auth), &format!("token={other}")).unwrap().active);
}

#[test]
fn rfc7009_2_2_unknown_tokens_answer_ok_and_other_clients_tokens_are_refused() {
    let f = fixture(confidential(AuthMethod::ClientSecretBasic));
    add_client(&f, "other", "other-secret");
    let token = svc_token(&f);
    assert_eq!(revoke(&f, Some(&basic("svc", "s3cret")), "token=not-a-token"), Ok(()));
    let err = revoke(&f, Some(&basic("other", "other-secret")), &format!("token={token}")).unwrap_err();
    assert!(matches!(err, TokenError::UnauthorizedClient(_)), "{err:?}");
    assert!(introspect(&f, NOW, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap().active);
    assert!(matches!(revoke(&f, Some(&basic("svc", "s3cret")), ""), Err(TokenError::InvalidRequest(_))));
}
