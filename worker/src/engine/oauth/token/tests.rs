use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::*;
use shared::oauth::IntrospectionResponse;

use crate::engine::clients::tests::confidential;
use crate::engine::clients::ClientStore;
use crate::engine::clients::{AuthMethod, ClientSecret};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::userinfo::{presented_token, userinfo, BearerError};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::tests::dev_vars;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::test_support::{test_keys, verify_jwt, TestKeys};
use crate::native::{NativeRsaSigner, SqliteStore};

struct Fixture {
    config: Config,
    store: SqliteStore,
    keys: TestKeys,
}

fn fixture(client: Client) -> Fixture {
    fixture_with(client, |_| {})
}

fn fixture_with(
    client: Client,
    vars_change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>),
) -> Fixture {
    let mut vars = dev_vars();
    vars_change(&mut vars);
    let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let secret =
        ClientSecret { secret_id: "s1".into(), secret_hash: hash_token("s3cret"), created_at: 0, expires_at: None };
    pollster::block_on(store.ensure_client(&client, Some(&secret), 0)).unwrap();
    Fixture { config, store, keys }
}

/// A second client on the same server, to check who may revoke what.
fn add_client(f: &Fixture, client_id: &str, secret: &str) {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.client_id = client_id.into();
    let secret = ClientSecret {
        secret_id: format!("{client_id}-s"),
        secret_hash: hash_token(secret),
        created_at: 0,
        expires_at: None,
    };
    pollster::block_on(f.store.ensure_client(&client, Some(&secret), 0)).unwrap();
}

const NOW: UnixTime = 1_800_000_000;
static NO_META: RequestMeta = RequestMeta { ip_address: None, user_agent: None };

fn endpoint(
    f: &Fixture,
    now: UnixTime,
) -> TokenEndpoint<'_, SqliteStore, NativeRsaSigner, TestKeys, SystemRandom, TestKeys> {
    TokenEndpoint {
        config: &f.config,
        store: &f.store,
        signer: &NativeRsaSigner,
        keys: &f.keys,
        rng: &SystemRandom,
        verifier: &f.keys,
        meta: &NO_META,
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
    verify_jwt(&f.keys, token)
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
    use crate::engine::platform::error::ErrorResponse;
    assert_eq!(err.status(), 401);
    assert!(err.www_authenticate().unwrap().starts_with("Basic"));
    let err = request(&f, None, "grant_type=client_credentials").unwrap_err();
    assert_eq!(err, TokenError::InvalidClient { basic: false });
    assert!(err.www_authenticate().is_none());
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
    let forged_key = ActiveSigningKey { kid: f.keys.key.kid.clone(), key: other_key };
    let claims = AccessTokenClaims::new(&f.config, "svc", "svc", "read", 3600, NOW, &SystemRandom).unwrap();
    let forged = pollster::block_on(claims.sign(&NativeRsaSigner, &forged_key)).unwrap();
    assert_eq!(introspect(&f, NOW, Some(&auth), &format!("token={forged}")).unwrap(), inactive, "forged");
    // Our key, but typ JWT (an ID token is not an access token, RFC 9068 §4).
    let as_id_token = pollster::block_on(crate::engine::crypto::jose::sign_jwt(
        &NativeRsaSigner,
        &f.keys.key,
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

// ---- password grant, ID tokens, refresh tokens ----

fn password_client() -> Client {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.grant_types = ["password", "refresh_token", "client_credentials"].map(String::from).to_vec();
    client.scopes = ["openid", "profile", "email", "offline_access", "read"].map(String::from).to_vec();
    client
}

fn password_fixture(extra: &[(&'static str, &str)]) -> Fixture {
    let extra: Vec<(&'static str, String)> = extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let f = fixture_with(password_client(), |vars| {
        vars.insert("ENABLE_PASSWORD_GRANT", "true".into());
        vars.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "svc".into());
        for (k, v) in extra {
            vars.insert(k, v);
        }
    });
    let mut alice = crate::engine::identity::users::tests::alice();
    alice.password_hash =
        Some(crate::engine::crypto::passwords::hash_password("wonderland-rabbit-hole", &SystemRandom).unwrap());
    f.store.insert_user(&alice).unwrap();
    f
}

fn password_login(f: &Fixture, scope: &str) -> Result<TokenResponse, TokenError> {
    request(
        f,
        Some(&basic("svc", "s3cret")),
        &format!("grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole&scope={scope}"),
    )
}

fn refresh_at(f: &Fixture, now: UnixTime, token: &str, extra: &str) -> Result<TokenResponse, TokenError> {
    let body = format!("grant_type=refresh_token&refresh_token={token}{extra}");
    pollster::block_on(endpoint(f, now).handle(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()))
}

fn verify_id_token(f: &Fixture, token: &str) -> Value {
    let (typ, claims) = verify_jwt(&f.keys, token);
    assert_eq!(typ, "JWT");
    claims
}

#[test]
fn rfc6749_4_3_password_grant_with_openid_issues_a_verifiable_id_token() {
    let f = password_fixture(&[]);
    let r = password_login(&f, "openid+profile+email").unwrap();
    assert_eq!(r.scope, "openid profile email");
    assert!(r.refresh_token.is_none(), "no offline_access, no refresh token");
    let (_, access) = verify(&f, &r.access_token);
    let alice = crate::engine::identity::users::tests::alice();
    assert_eq!(access["sub"], alice.id.as_str());
    assert_eq!(access["auth_time"], NOW);
    let id = verify_id_token(&f, r.id_token.as_deref().unwrap());
    assert_eq!(id["iss"], "http://127.0.0.1:8787");
    assert_eq!(id["sub"], alice.id.as_str());
    assert_eq!(id["aud"], "svc");
    assert_eq!(id["auth_time"], NOW);
    assert_eq!(id["at_hash"], crate::engine::oauth::id_token::half_hash(&r.access_token));
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["name"], "Alice Liddell");
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, vec!["user.login"]);
}

#[test]
fn rfc6749_4_3_wrong_password_and_unknown_user_are_the_same_invalid_grant() {
    let f = password_fixture(&[]);
    let wrong =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=alice%40example.com&password=nope")
            .unwrap_err();
    let unknown =
        request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=bob%40example.com&password=nope")
            .unwrap_err();
    assert_eq!(wrong, unknown);
    assert!(matches!(wrong, TokenError::InvalidGrant(_)));
    let events = f.store.audit_events().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["event"] == "user.login_failed"));
    let missing = request(&f, Some(&basic("svc", "s3cret")), "grant_type=password&username=alice%40example.com");
    assert!(matches!(missing, Err(TokenError::InvalidRequest(_))));
}

#[test]
fn lockout_after_threshold_failures_refuses_even_the_right_password_until_it_expires() {
    // LOCKOUT_THRESHOLD=5, LOCKOUT_DURATION=30 (minutes) in the dev values.
    let f = password_fixture(&[("LOCKOUT_THRESHOLD", "3")]);
    let wrong = |now: UnixTime| {
        let body = "grant_type=password&username=alice%40example.com&password=nope";
        pollster::block_on(
            endpoint(&f, now).handle(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()),
        )
    };
    let right = |now: UnixTime| {
        let body = "grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole&scope=read";
        pollster::block_on(
            endpoint(&f, now).handle(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()),
        )
    };
    // Two failures, then a success: the count starts again.
    assert!(wrong(NOW).is_err());
    assert!(wrong(NOW).is_err());
    assert!(right(NOW).is_ok());
    for _ in 0..2 {
        assert!(matches!(wrong(NOW + 1), Err(TokenError::InvalidGrant(ref d)) if d.contains("incorrect")));
    }
    // The third consecutive failure locks the account...
    assert!(wrong(NOW + 1).is_err());
    let locked = right(NOW + 2).unwrap_err();
    assert!(matches!(locked, TokenError::InvalidGrant(ref d) if d.contains("locked")), "{locked:?}");
    assert!(right(NOW + 1 + 30 * 60 - 1).is_err(), "still locked a second before the end");
    // ...for LOCKOUT_DURATION minutes.
    assert!(right(NOW + 1 + 30 * 60).is_ok());
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events.iter().filter(|e| *e == "user.locked").count(), 1, "{events:?}");
    assert_eq!(events.iter().filter(|e| *e == "user.login").count(), 2, "{events:?}");
}

#[test]
fn password_grant_needs_the_switch_and_the_allow_list() {
    let f = fixture_with(password_client(), |_| {});
    // Disabled: not even a supported grant type.
    assert!(matches!(password_login(&f, "openid"), Err(TokenError::UnsupportedGrantType(_))));
    let f = fixture_with(password_client(), |v| {
        v.insert("ENABLE_PASSWORD_GRANT", "true".into());
        v.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "someone-else".into());
    });
    assert!(matches!(password_login(&f, "openid"), Err(TokenError::UnauthorizedClient(_))));
}

#[test]
fn refresh_tokens_come_with_offline_access_and_not_when_disabled() {
    let f = password_fixture(&[]);
    let r = password_login(&f, "openid+offline_access").unwrap();
    assert_eq!(r.refresh_token.as_ref().map(String::len), Some(43), "256 bits, base64url");
    let f = password_fixture(&[("REFRESH_TOKEN_TTL", "0")]);
    assert!(password_login(&f, "openid+offline_access").unwrap().refresh_token.is_none());
}

#[test]
fn rfc6749_6_refresh_rotates_and_may_narrow_but_never_widen_scope() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "openid+read+offline_access").unwrap().refresh_token.unwrap();
    let wider = refresh_at(&f, NOW + 10, &first, "&scope=openid+profile");
    assert!(matches!(wider, Err(TokenError::InvalidScope(_))), "{wider:?}");
    let narrowed = refresh_at(&f, NOW + 10, &first, "&scope=read").unwrap();
    assert_eq!(narrowed.scope, "read");
    assert!(narrowed.id_token.is_none());
    let second = narrowed.refresh_token.unwrap();
    assert_ne!(second, first, "rotated");
    // The successor keeps the original scope (RFC 6749 §6).
    let full = refresh_at(&f, NOW + 20, &second, "").unwrap();
    assert_eq!(full.scope, "openid read offline_access");
    let id = verify_id_token(&f, full.id_token.as_deref().unwrap());
    assert_eq!(id["auth_time"], NOW, "auth_time is the original sign-in");
}

#[test]
fn refresh_reuse_within_grace_returns_the_same_successor() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let a = refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap();
    let b = refresh_at(&f, NOW + 12, &first, "").unwrap().refresh_token.unwrap();
    assert_eq!(a, b, "REFRESH_REUSE_GRACE_SECONDS=2: a retry gets the same successor");
    assert!(refresh_at(&f, NOW + 13, &a, "").is_ok(), "the successor works");
}

#[test]
fn refresh_reuse_after_grace_revokes_the_family_and_is_audited() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let second = refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap();
    let reuse = refresh_at(&f, NOW + 13, &first, "").unwrap_err();
    assert!(matches!(reuse, TokenError::InvalidGrant(_)));
    // The thief's and the owner's tokens are both dead now.
    assert!(matches!(refresh_at(&f, NOW + 14, &second, ""), Err(TokenError::InvalidGrant(_))));
    let events = f.store.audit_events().unwrap();
    let reuse_event = events.iter().find(|e| e["event"] == "token.refresh_reuse_detected").unwrap();
    assert_eq!(reuse_event["actor_id"], "svc");
    let metadata: Value = serde_json::from_str(reuse_event["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["revoked_tokens"], 2);
}

#[test]
fn refresh_without_rotation_keeps_the_token() {
    let f = password_fixture(&[("REFRESH_TOKEN_ROTATION", "false")]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    assert_eq!(refresh_at(&f, NOW + 10, &first, "").unwrap().refresh_token.unwrap(), first);
    assert_eq!(refresh_at(&f, NOW + 100, &first, "").unwrap().refresh_token.unwrap(), first);
}

#[test]
fn refresh_tokens_are_bound_to_their_client_and_expire() {
    let f = password_fixture(&[("REFRESH_TOKEN_TTL", "100")]);
    add_client(&f, "other", "other-secret");
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    let stolen = pollster::block_on(
        endpoint(&f, NOW + 1).handle(Some(&basic("other", "other-secret")), &Form::parse(body.as_bytes()).unwrap()),
    );
    assert!(stolen.is_err(), "another client cannot use it");
    assert!(matches!(refresh_at(&f, NOW + 100, &first, ""), Err(TokenError::InvalidGrant(_))), "expired");
    assert!(matches!(refresh_at(&f, NOW + 1, "made-up", ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn rfc6749_6_the_client_is_authenticated_before_the_refresh_token_is_used() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={first}");
    let wrong = pollster::block_on(
        endpoint(&f, NOW + 1).handle(Some(&basic("svc", "wrong")), &Form::parse(body.as_bytes()).unwrap()),
    );
    assert_eq!(wrong.unwrap_err(), TokenError::InvalidClient { basic: true });
    let missing = pollster::block_on(
        endpoint(&f, NOW + 1).handle(Some(&basic("svc", "wrong")), &Form::parse(b"grant_type=refresh_token").unwrap()),
    );
    assert_eq!(missing.unwrap_err(), TokenError::InvalidClient { basic: true }, "invalid_client outranks the rest");
    // The failed attempts did not rotate it.
    let next = refresh_at(&f, NOW + 2, &first, "").unwrap().refresh_token.unwrap();
    assert_ne!(next, first);
}

#[test]
fn refresh_stops_working_when_the_user_is_deactivated() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    f.store.deactivate_user(&crate::engine::identity::users::tests::alice().id).unwrap();
    assert!(matches!(refresh_at(&f, NOW + 1, &first, ""), Err(TokenError::InvalidGrant(_))));
}

#[test]
fn rfc6749_5_2_refresh_tokens_only_for_clients_allowed_the_refresh_grant() {
    let mut client = password_client();
    client.grant_types.retain(|g| g != "refresh_token");
    let f = fixture_with(client, |vars| {
        vars.insert("ENABLE_PASSWORD_GRANT", "true".into());
        vars.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "svc".into());
    });
    let mut alice = crate::engine::identity::users::tests::alice();
    alice.password_hash =
        Some(crate::engine::crypto::passwords::hash_password("wonderland-rabbit-hole", &SystemRandom).unwrap());
    f.store.insert_user(&alice).unwrap();
    let login = password_login(&f, "read+offline_access").unwrap();
    assert!(login.refresh_token.is_none(), "offline_access alone does not make a refresh token");
    let refresh = refresh_at(&f, NOW + 1, "anything", "");
    assert!(matches!(refresh, Err(TokenError::UnauthorizedClient(_))), "{refresh:?}");
}

/// Two isolates refresh the same token at once: one rotation wins, the other answers with
/// the winner's successor, and the family does not fork.
#[test]
fn parallel_refreshes_with_one_token_produce_one_successor() {
    let f = password_fixture(&[]);
    let first = password_login(&f, "read+offline_access").unwrap().refresh_token.unwrap();
    let row = pollster::block_on(f.store.refresh_token(&hash_token(&first))).unwrap().unwrap();
    // The loser's view: it read the row before the winner rotated it.
    let winner = refresh_at(&f, NOW + 5, &first, "").unwrap().refresh_token.unwrap();
    let endpoint = endpoint(&f, NOW + 5);
    let loser = pollster::block_on(endpoint.rotate(&password_client(), &row)).unwrap();
    assert_eq!(loser, winner);
    let family: i64 = f.store.count_family(&row.family_id).unwrap();
    assert_eq!(family, 2, "the original and exactly one successor");
}

#[test]
fn rfc7662_refresh_tokens_introspect_with_username_and_rfc7009_revokes_the_family() {
    let f = password_fixture(&[]);
    let login = password_login(&f, "read+offline_access").unwrap();
    let refresh = login.refresh_token.unwrap();
    let auth = basic("svc", "s3cret");
    let r = introspect(&f, NOW + 1, Some(&auth), &format!("token={refresh}&token_type_hint=refresh_token")).unwrap();
    assert!(r.active);
    assert_eq!(r.token_type.as_deref(), Some("refresh_token"));
    assert_eq!(r.username.as_deref(), Some("Alice@Example.com"));
    assert_eq!(r.scope.as_deref(), Some("read offline_access"));
    // The access token of a user carries the username too.
    let a = introspect(&f, NOW + 1, Some(&auth), &format!("token={}", login.access_token)).unwrap();
    assert_eq!(a.username.as_deref(), Some("Alice@Example.com"));
    // Rotation makes the old token inactive; revoking the successor kills the family.
    let successor = refresh_at(&f, NOW + 5, &refresh, "").unwrap().refresh_token.unwrap();
    assert!(!introspect(&f, NOW + 6, Some(&auth), &format!("token={refresh}")).unwrap().active);
    assert!(introspect(&f, NOW + 6, Some(&auth), &format!("token={successor}")).unwrap().active);
    revoke(&f, Some(&auth), &format!("token={successor}&token_type_hint=refresh_token")).unwrap();
    assert!(!introspect(&f, NOW + 7, Some(&auth), &format!("token={successor}")).unwrap().active);
    assert!(matches!(refresh_at(&f, NOW + 8, &successor, ""), Err(TokenError::InvalidGrant(_))));
}

// ---- userinfo (OIDC Core §5.3, RFC 6750) ----

fn userinfo_at(f: &Fixture, now: UnixTime, token: &str) -> Result<serde_json::Map<String, Value>, BearerError> {
    pollster::block_on(userinfo(token, &f.config, &f.store, &NativeRsaSigner, &f.keys, now))
}

#[test]
fn oidc_core_5_3_userinfo_returns_sub_and_the_claims_of_the_granted_scopes() {
    let f = password_fixture(&[]);
    let token = password_login(&f, "openid+email").unwrap().access_token;
    let claims = userinfo_at(&f, NOW + 1, &token).unwrap();
    assert_eq!(claims["sub"], crate::engine::identity::users::tests::alice().id.as_str());
    assert_eq!(claims["email"], "Alice@Example.com");
    assert!(!claims.contains_key("name"), "profile was not granted");
}

#[test]
fn rfc6750_3_1_userinfo_errors() {
    use crate::engine::platform::error::ErrorResponse;
    let f = password_fixture(&[]);
    let without_openid = password_login(&f, "email").unwrap().access_token;
    let e = userinfo_at(&f, NOW + 1, &without_openid).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "insufficient_scope"));
    assert!(e.www_authenticate().unwrap().contains(r#"error="insufficient_scope""#));
    let token = password_login(&f, "openid").unwrap().access_token;
    let expired = userinfo_at(&f, NOW + 3600, &token).unwrap_err();
    assert_eq!((expired.status(), expired.code()), (401, "invalid_token"));
    assert!(matches!(userinfo_at(&f, NOW, "garbage"), Err(BearerError::InvalidToken(_))));
    revoke(&f, Some(&basic("svc", "s3cret")), &format!("token={token}")).unwrap();
    assert!(matches!(userinfo_at(&f, NOW + 1, &token), Err(BearerError::InvalidToken(_))), "revoked");
    // A client_credentials token has no user behind it.
    let client_token = request(&f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap();
    assert!(matches!(userinfo_at(&f, NOW, &client_token.access_token), Err(BearerError::InsufficientScope(_))));
}

#[test]
fn rfc6750_2_one_way_of_presenting_the_token() {
    assert_eq!(presented_token(Some("Bearer abc"), None), Ok("abc"));
    assert_eq!(presented_token(Some("bearer  abc "), None), Ok("abc"));
    assert_eq!(presented_token(None, Some("abc")), Ok("abc"));
    assert!(matches!(presented_token(Some("Bearer abc"), Some("abc")), Err(BearerError::InvalidRequest(_))));
    assert!(matches!(presented_token(Some("Basic abc"), None), Err(BearerError::InvalidRequest(_))));
    assert!(matches!(presented_token(Some("Bearer"), None), Err(BearerError::InvalidRequest(_))));
    let missing = presented_token(None, None).unwrap_err();
    assert_eq!(missing, BearerError::Missing);
    use crate::engine::platform::error::ErrorResponse;
    assert_eq!(missing.www_authenticate().as_deref(), Some(r#"Bearer realm="userinfo""#), "§3.1: no error code");
}
