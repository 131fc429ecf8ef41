//! The fixtures the native suites share: the dev configuration, a person, the clients
//! the suites register, a browser session, and request helpers.

use std::collections::HashMap;

use crate::engine::clients::{AuthMethod, Client, ClientRecord, ClientSecret, ClientStore, ClientType};
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::{Role, User};
use crate::engine::platform::config::{Config, VARIABLES};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::UnixTime;

/// The suites' "now": far from 0, so lifetimes and cut-offs have room on both sides.
pub const NOW: UnixTime = 1_800_000_000;
pub const REDIRECT: &str = "https://app.example.com/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The query of an authorization request from [`web_app`] to its first redirect URI.
pub const BASE: &str = "client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb";

/// The defaults that wrangler.toml ships, plus a dev secret.
pub fn dev_vars() -> HashMap<&'static str, String> {
    let toml = include_str!("../../../../wrangler.toml");
    let mut vars = HashMap::new();
    let mut in_vars = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_vars = line == "[vars]";
            continue;
        }
        if !in_vars || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap();
        let key = VARIABLES.iter().find(|v| **v == key.trim()).copied();
        let value = value.trim().trim_matches('"').to_owned();
        if let Some(key) = key {
            vars.insert(key, value);
        }
    }
    vars.insert("SECRET_KEY", "0123456789abcdef0123456789abcdef-test-only".into());
    vars
}

/// The dev configuration with `change` applied.
pub fn config_with(change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>)) -> Config {
    try_config_with(change).unwrap()
}

/// The dev configuration with `change` applied, or the configuration error it makes.
pub fn try_config_with(
    change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>),
) -> Result<Config, crate::engine::platform::error::ConfigError> {
    let mut vars = dev_vars();
    change(&mut vars);
    Config::load(&|n: &'static str| vars.get(n).cloned())
}

/// Alice: an active, verified user with profile, email and address claims.
pub fn alice() -> User {
    User {
        id: "8d6f0c1e-0000-4000-8000-000000000001".into(),
        email: "Alice@Example.com".into(),
        password_hash: None,
        name: Some("Alice Liddell".into()),
        given_name: Some("Alice".into()),
        family_name: Some("Liddell".into()),
        picture: None,
        locale: Some("en-GB".into()),
        phone_number: None,
        phone_number_verified: false,
        address: Some(r#"{"country":"UK","locality":"Oxford"}"#.into()),
        email_verified: true,
        role: Role::User,
        active: true,
        locked_until: None,
        sign_ins: 0,
        created_at: 1,
        updated_at: 2,
    }
}

/// A store that knows one client (for client-authentication tests without SQL).
pub struct OneClient(pub Client, pub Vec<ClientSecret>);

impl ClientStore for OneClient {
    async fn client_with_secrets(&self, id: &str) -> Result<Option<ClientRecord>, InternalError> {
        Ok((id == self.0.client_id).then(|| (self.0.clone(), self.1.clone())))
    }

    async fn ensure_client(&self, _: &Client, _: Option<&ClientSecret>, _: UnixTime) -> Result<(), InternalError> {
        Err(InternalError::new("OneClient is read-only"))
    }
}

pub fn confidential(auth_method: AuthMethod) -> Client {
    Client {
        client_id: "svc".into(),
        client_name: "Service".into(),
        client_type: ClientType::Confidential,
        auth_method,
        redirect_uris: vec![],
        grant_types: vec!["client_credentials".into()],
        response_types: vec![],
        scopes: vec!["read".into(), "write".into()],
        default_scopes: Vec::new(),
        scope_requires: Vec::new(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        refresh_token_rotation: None,
        first_party: false,
        native: false,
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        post_logout_redirect_uris: vec![],
        id_token_alg: crate::engine::platform::ports::SigningAlg::Rs256,
        allowed_resources: Vec::new(),
        self_registered: false,
        jwks: None,
        jwks_uri: None,
        dpop_bound: false,
        require_par: false,
        request_object_alg: None,
        fapi2: false,
    }
}

/// A confidential web app registered for the code, implicit and hybrid flows.
pub fn web_app() -> Client {
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
        default_scopes: Vec::new(),
        scope_requires: Vec::new(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        refresh_token_rotation: None,
        first_party: false,
        native: false,
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        post_logout_redirect_uris: vec![],
        id_token_alg: crate::engine::platform::ports::SigningAlg::Rs256,
        allowed_resources: Vec::new(),
        self_registered: false,
        jwks: None,
        jwks_uri: None,
        dpop_bound: false,
        require_par: false,
        request_object_alg: None,
        fapi2: false,
    }
}

/// [`web_app`] as a public client (`spa`, no secret).
pub fn public_app() -> Client {
    let mut client = web_app();
    client.client_id = "spa".into();
    client.client_type = ClientType::Public;
    client.auth_method = AuthMethod::None;
    client
}

/// A native app (RFC 8252): public, with a loopback and a private-use redirect URI.
pub fn native_app() -> Client {
    let mut client = public_app();
    client.client_id = "native".into();
    client.native = true;
    client.redirect_uris = vec!["http://127.0.0.1/native".into(), "com.example.app:/callback".into()];
    client
}

/// Alice's browser session, signed in at `auth_time`.
pub fn session(auth_time: UnixTime) -> Session {
    Session {
        id_hash: "session-hash".into(),
        user_id: alice().id,
        auth_time,
        auth_time_ms: None,
        amr: vec!["pwd".into()],
        created_at: auth_time,
        last_seen_at: auth_time,
        expires_at: auth_time + 86_400,
        ip_address: None,
        user_agent: None,
        location: None,
    }
}

pub fn query(q: &str) -> Form {
    Form::parse(q.as_bytes()).unwrap()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
