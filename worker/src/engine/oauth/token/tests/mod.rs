//! The token endpoint's native suites, one file per grant and feature, over one
//! fixture: a migrated SQLite store, a signing key and a client.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::*;
use shared::oauth::IntrospectionResponse;

use crate::engine::clients::ClientStore;
use crate::engine::clients::{AuthMethod, ClientSecret};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::userinfo::{presented_token, userinfo, BearerError};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::platform::ports::{JwsSigner, UnixTime};
use crate::engine::test_support::NativePlatform;
use crate::engine::test_support::{alice, confidential, dev_vars, test_keys, token_endpoint, verify_jwt, TestKeys};
use crate::native::{MemoryKv, NativeSigner, SqliteStore};

mod authorization_code;
mod client_credentials;
mod device_code;
mod exchange;
mod introspection;
mod one_trip;
mod one_trip_code;
mod password;
mod refresh;
mod resources;
mod userinfo;

pub(super) struct Fixture {
    pub(super) config: Config,
    pub(super) store: SqliteStore,
    pub(super) keys: TestKeys,
}

pub(super) fn fixture(client: Client) -> Fixture {
    fixture_with(client, |_| {})
}

pub(super) fn fixture_with(
    client: Client,
    vars_change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>),
) -> Fixture {
    let mut vars = dev_vars();
    vars_change(&mut vars);
    let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let secret = ClientSecret {
        secret_id: "s1".into(),
        secret_hash: hash_token("s3cret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    pollster::block_on(store.ensure_client(&client, Some(&secret), 0)).unwrap();
    Fixture { config, store, keys }
}

/// A second client on the same server, to check who may revoke what.
pub(super) fn add_client(f: &Fixture, client_id: &str, secret: &str) {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.client_id = client_id.into();
    let secret = ClientSecret {
        secret_id: format!("{client_id}-s"),
        secret_hash: hash_token(secret),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    pollster::block_on(f.store.ensure_client(&client, Some(&secret), 0)).unwrap();
}

pub(super) const NOW: UnixTime = 1_800_000_000;

pub(super) fn endpoint(f: &Fixture, now: UnixTime) -> TokenEndpoint<'_, NativePlatform> {
    token_endpoint(&f.config, &f.store, &f.keys, now)
}

pub(super) fn request(f: &Fixture, authorization: Option<&str>, body: &str) -> Result<TokenResponse, TokenError> {
    pollster::block_on(endpoint(f, NOW).handle_form(authorization, &Form::parse(body.as_bytes()).unwrap()))
}

pub(super) fn introspect(
    f: &Fixture,
    now: UnixTime,
    authorization: Option<&str>,
    body: &str,
) -> Result<IntrospectionResponse, TokenError> {
    let form = Form::parse(body.as_bytes()).unwrap();
    pollster::block_on(
        endpoint(f, now).introspect(&crate::engine::test_support::credentials_of(authorization, &form), &form),
    )
}

pub(super) fn revoke(f: &Fixture, authorization: Option<&str>, body: &str) -> Result<(), TokenError> {
    let form = Form::parse(body.as_bytes()).unwrap();
    pollster::block_on(
        endpoint(f, NOW).revoke(&crate::engine::test_support::credentials_of(authorization, &form), &form),
    )
}

pub(super) fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub(super) fn verify(f: &Fixture, token: &str) -> (String, Value) {
    verify_jwt(&f.keys, token)
}

pub(super) fn svc_token(f: &Fixture) -> String {
    request(f, Some(&basic("svc", "s3cret")), "grant_type=client_credentials&scope=read").unwrap().access_token
}

// ---- password grant, ID tokens, refresh tokens ----

pub(super) fn password_client() -> Client {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.grant_types = ["password", "refresh_token", "client_credentials"].map(String::from).to_vec();
    client.scopes = ["openid", "profile", "email", "offline_access", "read"].map(String::from).to_vec();
    client
}

pub(super) fn password_fixture(extra: &[(&'static str, &str)]) -> Fixture {
    let extra: Vec<(&'static str, String)> = extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let f = fixture_with(password_client(), |vars| {
        vars.insert("ENABLE_PASSWORD_GRANT", "true".into());
        vars.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", "svc".into());
        for (k, v) in extra {
            vars.insert(k, v);
        }
    });
    let mut alice = alice();
    alice.password_hash =
        Some(crate::engine::crypto::passwords::hash_password("wonderland-rabbit-hole", &SystemRandom).unwrap());
    f.store.insert_user(&alice).unwrap();
    f
}

pub(super) fn password_login(f: &Fixture, scope: &str) -> Result<TokenResponse, TokenError> {
    request(
        f,
        Some(&basic("svc", "s3cret")),
        &format!("grant_type=password&username=alice%40example.com&password=wonderland-rabbit-hole&scope={scope}"),
    )
}

pub(super) fn refresh_at(f: &Fixture, now: UnixTime, token: &str, extra: &str) -> Result<TokenResponse, TokenError> {
    let body = format!("grant_type=refresh_token&refresh_token={token}{extra}");
    pollster::block_on(
        endpoint(f, now).handle_form(Some(&basic("svc", "s3cret")), &Form::parse(body.as_bytes()).unwrap()),
    )
}

pub(super) fn verify_id_token(f: &Fixture, token: &str) -> Value {
    let (typ, claims) = verify_jwt(&f.keys, token);
    assert_eq!(typ, "JWT");
    claims
}

// ---- userinfo (OIDC Core §5.3, RFC 6750) ----

pub(super) fn userinfo_at(
    f: &Fixture,
    now: UnixTime,
    token: &str,
) -> Result<serde_json::Map<String, Value>, BearerError> {
    pollster::block_on(userinfo(token, None, None, &f.config, &f.store, &NativeSigner, &f.keys, now))
}
