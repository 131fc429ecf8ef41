//! The clients the server ensures from its secrets (docs/api.md, "Bootstrap"): the admin
//! service account and, in development, the `demo-app` and `demo-tv` fixtures.
//!
//! Ensuring is idempotent and safe under concurrent first requests: the client row is
//! inserted with `ON CONFLICT DO NOTHING` and its bootstrap secret only together with it,
//! in one batch. The environment seeds a secret once, when the client is created; after
//! that the secret belongs to the admin API (renewed, added, retired), and a renewed or
//! retired secret never comes back from the environment at the next isolate start, so a
//! leaked `ADMIN_CLIENT_SECRET` can be revoked (docs/configuration.md, "Rotating `ADMIN_CLIENT_SECRET`").

use crate::engine::clients::{AuthMethod, Client, ClientSecret, ClientStore, ClientType};

use crate::engine::crypto::passwords::hash_password;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::platform::config::{Config, Secret};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, SigningAlg, UnixTime};
use shared::oauth::grant;

pub const DEMO_CLIENT_ID: &str = "demo-app";
/// A public client for trying the device flow in development (with `demo-app`).
pub const DEMO_DEVICE_CLIENT_ID: &str = "demo-tv";

fn bootstrap_secret(client_id: &str, secret: &Secret, now: UnixTime) -> ClientSecret {
    ClientSecret {
        // One fixed id per bootstrapped client, so a changed var replaces, not adds.
        secret_id: format!("bootstrap:{client_id}"),
        secret_hash: hash_token(secret.expose()),
        created_at: now,
        expires_at: None,
        sealed: None,
    }
}

/// The admin console's client id: a first-party public client (docs/api.md, "Bootstrap").
pub const ADMIN_UI_CLIENT_ID: &str = "authority-admin";

/// The terminal's client (docs/usage.md, "A token for scripts"): a first-party public
/// client of the device flow (RFC 8628), so an admin's script gets a token of its own as
/// `gh auth login` does, approved in a browser where they are signed in.
pub const ADMIN_CLI_CLIENT_ID: &str = "authority-cli";

/// Whether `client_id` is one the server bootstraps from its environment: changing one
/// (or a first-party client) is a super_admin's decision.
pub fn is_bootstrap_client(config: &Config, client_id: &str) -> bool {
    [ADMIN_UI_CLIENT_ID, ADMIN_CLI_CLIENT_ID, DEMO_CLIENT_ID, DEMO_DEVICE_CLIENT_ID].contains(&client_id)
        || config.bootstrap.admin_client.as_ref().is_some_and(|(id, _)| id == client_id)
}

/// The admin console signs in like every app (code + PKCE, RFC 7636; its redirect URI is
/// `shared::paths::ADMIN_CALLBACK`): a public client, first-party so it skips the consent
/// screen.
pub fn admin_ui_client(config: &Config) -> Client {
    Client {
        client_id: ADMIN_UI_CLIENT_ID.into(),
        client_name: format!("{} admin console", config.branding.app_name),
        client_type: ClientType::Public,
        auth_method: AuthMethod::None,
        redirect_uris: vec![config.endpoint(shared::paths::ADMIN_CALLBACK)],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        scopes: ["openid", "profile", "email", "admin"].map(String::from).to_vec(),
        default_scopes: Vec::new(),
        scope_requires: Vec::new(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        refresh_token_rotation: None,
        first_party: true,
        native: false,
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        post_logout_redirect_uris: vec![config.endpoint("/")],
        id_token_alg: SigningAlg::Rs256,
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

/// The terminal's client ([`ADMIN_CLI_CLIENT_ID`]): the device grant and refresh
/// tokens, the console's scopes. The person approves at `/activate`, which names the
/// client and what it asks for; only an admin's approval grants `admin`.
pub fn admin_cli_client(config: &Config) -> Client {
    Client {
        client_id: ADMIN_CLI_CLIENT_ID.into(),
        client_name: format!("{} command line", config.branding.app_name),
        redirect_uris: vec![],
        grant_types: [grant::DEVICE_CODE, "refresh_token"].map(String::from).to_vec(),
        response_types: vec![],
        post_logout_redirect_uris: vec![],
        ..admin_ui_client(config)
    }
}

/// The clients `config` asks for, with their secrets (none for public clients).
pub fn bootstrap_clients(config: &Config, now: UnixTime) -> Vec<(Client, Option<ClientSecret>)> {
    let mut clients = vec![(admin_ui_client(config), None), (admin_cli_client(config), None)];
    if let Some((client_id, secret)) = &config.bootstrap.admin_client {
        let client = Client {
            client_id: client_id.clone(),
            client_name: "Admin service account".into(),
            client_type: ClientType::Confidential,
            auth_method: AuthMethod::ClientSecretBasic,
            redirect_uris: vec![],
            grant_types: vec!["client_credentials".into()],
            response_types: vec![],
            scopes: vec!["admin".into()],
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
            id_token_alg: SigningAlg::Rs256,
            allowed_resources: Vec::new(),
            self_registered: false,
            jwks: None,
            jwks_uri: None,
            dpop_bound: false,
            require_par: false,
            request_object_alg: None,
            fapi2: false,
        };
        clients.push((client, Some(bootstrap_secret(client_id, secret, now))));
    }
    if let Some(secret) = &config.bootstrap.demo_client_secret {
        let client = Client {
            client_id: DEMO_CLIENT_ID.into(),
            client_name: "Demo App".into(),
            client_type: ClientType::Confidential,
            auth_method: AuthMethod::ClientSecretBasic,
            redirect_uris: vec!["http://127.0.0.1:3000/callback".into()],
            grant_types: ["authorization_code", "refresh_token", "client_credentials", "password"]
                .map(String::from)
                .to_vec(),
            response_types: vec!["code".into()],
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
            post_logout_redirect_uris: vec!["http://127.0.0.1:3000/".into()],
            id_token_alg: SigningAlg::Rs256,
            allowed_resources: Vec::new(),
            self_registered: false,
            jwks: None,
            jwks_uri: None,
            dpop_bound: false,
            require_par: false,
            request_object_alg: None,
            fapi2: false,
        };
        clients.push((client, Some(bootstrap_secret(DEMO_CLIENT_ID, secret, now))));
        // The device-flow fixture: a TV or CLI app has no secret to keep (RFC 8628 §5.6).
        let device = Client {
            client_id: DEMO_DEVICE_CLIENT_ID.into(),
            client_name: "Demo TV".into(),
            client_type: ClientType::Public,
            auth_method: AuthMethod::None,
            redirect_uris: vec![],
            grant_types: [grant::DEVICE_CODE, "refresh_token"].map(String::from).to_vec(),
            response_types: vec![],
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
            id_token_alg: SigningAlg::Rs256,
            allowed_resources: Vec::new(),
            self_registered: false,
            jwks: None,
            jwks_uri: None,
            dpop_bound: false,
            require_par: false,
            request_object_alg: None,
            fapi2: false,
        };
        clients.push((device, None));
    }
    clients
}

/// Creates the first super_admin from `ADMIN_EMAIL`/`ADMIN_PASSWORD` while none exists.
/// The common case (one exists) costs one read and no hashing; two isolates racing both
/// hash, and the conditional insert lets only one row in. Returns whether one was created.
pub async fn ensure_super_admin(
    store: &impl UserStore,
    config: &Config,
    rng: &impl Random,
    now: UnixTime,
) -> Result<bool, InternalError> {
    let Some((email, password)) = &config.bootstrap.admin_user else { return Ok(false) };
    if store.super_admin_exists().await? {
        return Ok(false);
    }
    let password_hash = hash_password(password.expose(), rng)?;
    let mut user =
        User::with_password(new_uuid(rng)?, email, password_hash, Some("Administrator"), Role::SuperAdmin, now);
    // The operator chose this address in the deployment's own secrets.
    user.email_verified = true;
    store.insert_first_super_admin(&user).await
}

pub async fn ensure_clients(store: &impl ClientStore, config: &Config, now: UnixTime) -> Result<(), InternalError> {
    for (client, secret) in bootstrap_clients(config, now) {
        store.ensure_client(&client, secret.as_ref(), now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::clients::{authenticate, Credentials};
    use crate::engine::platform::form::Form;
    use crate::engine::test_support::dev_vars;
    use crate::native::SqliteStore;

    fn config(admin_secret: &str) -> Config {
        let mut vars = dev_vars();
        vars.insert("ADMIN_CLIENT_ID", "admin-cli".into());
        vars.insert("ADMIN_CLIENT_SECRET", admin_secret.into());
        vars.insert("DEMO_CLIENT_SECRET", "demo-secret-demo-secret-demo-secret-0000".into());
        Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap()
    }

    fn login(store: &SqliteStore, id: &str, secret: &str) -> bool {
        let form = Form::parse(format!("client_id={id}&client_secret={secret}").as_bytes()).unwrap();
        let creds = Credentials::from_request(None, &form).unwrap();
        let creds = match creds {
            Credentials::Post { client_id, secret } => Credentials::Basic { client_id, secret },
            other => other,
        };
        pollster::block_on(authenticate(store, &creds, 100)).is_ok()
    }

    #[test]
    fn the_console_client_follows_a_changed_issuer() {
        use crate::engine::clients::ClientStore;
        let store = SqliteStore::open_in_memory().unwrap();
        pollster::block_on(ensure_clients(&store, &config("first-admin-secret-first-admin-secret-00"), 10)).unwrap();
        let mut vars = dev_vars();
        vars.insert("ISSUER", "http://localhost:8787".into());
        let moved = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
        pollster::block_on(ensure_clients(&store, &moved, 20)).unwrap();
        let (console, _) = pollster::block_on(store.client_with_secrets(ADMIN_UI_CLIENT_ID)).unwrap().unwrap();
        assert_eq!(console.redirect_uris, vec!["http://localhost:8787/admin/callback"]);
        assert_eq!(console.post_logout_redirect_uris, vec!["http://localhost:8787/"]);
        // Other clients' URIs are their registrations', never rewritten.
        let (demo, _) = pollster::block_on(store.client_with_secrets(DEMO_CLIENT_ID)).unwrap().unwrap();
        assert_eq!(demo.redirect_uris, vec!["http://127.0.0.1:3000/callback"]);
    }

    #[test]
    fn bootstrap_ensures_the_service_account_and_demo_client_idempotently() {
        let store = SqliteStore::open_in_memory().unwrap();
        let config = config("first-admin-secret-first-admin-secret-00");
        for _ in 0..3 {
            pollster::block_on(ensure_clients(&store, &config, 10)).unwrap();
        }
        assert!(login(&store, "admin-cli", "first-admin-secret-first-admin-secret-00"));
        assert!(login(&store, "demo-app", "demo-secret-demo-secret-demo-secret-0000"));
        let (client, secrets) = pollster::block_on(store.client_with_secrets("admin-cli")).unwrap().unwrap();
        assert_eq!(client.scopes, vec!["admin"]);
        assert_eq!(client.grant_types, vec!["client_credentials"]);
        assert_eq!(secrets.len(), 1);
    }

    #[test]
    fn the_first_super_admin_is_created_once_and_can_sign_in() {
        use crate::engine::crypto::passwords::verify_password;
        use crate::engine::platform::ports::SystemRandom;
        let store = SqliteStore::open_in_memory().unwrap();
        let mut vars = dev_vars();
        vars.insert("ADMIN_EMAIL", "root@example.com".into());
        vars.insert("ADMIN_PASSWORD", "correct-horse-battery".into());
        let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
        assert!(pollster::block_on(ensure_super_admin(&store, &config, &SystemRandom, 5)).unwrap());
        assert!(!pollster::block_on(ensure_super_admin(&store, &config, &SystemRandom, 6)).unwrap());
        let admin = pollster::block_on(store.user_by_email("ROOT@example.com")).unwrap().unwrap();
        assert_eq!(admin.role, Role::SuperAdmin);
        assert!(verify_password("correct-horse-battery", admin.password_hash.as_deref().unwrap()).unwrap());
        // Two isolates that both saw "none": the conditional insert keeps it to one.
        let mut late = admin.clone();
        late.id = "another-id".into();
        late.email = "other@example.com".into();
        assert!(!pollster::block_on(store.insert_first_super_admin(&late)).unwrap());
    }

    #[test]
    fn the_environment_seeds_a_bootstrap_secret_once_and_never_brings_it_back() {
        use crate::engine::platform::ports::SqlRunner;
        let store = SqliteStore::open_in_memory().unwrap();
        let seeded = "first-admin-secret-first-admin-secret-00";
        pollster::block_on(ensure_clients(&store, &config(seeded), 10)).unwrap();
        assert!(login(&store, "admin-cli", seeded));
        // An admin renews the leaked secret (as renew_secret does: old ones deleted).
        let renew = [
            ("DELETE FROM client_secrets WHERE client_id = 'admin-cli'", vec![]),
            (
                "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at) VALUES ('s2', 'admin-cli', ?1, 11)",
                vec![hash_token("renewed-secret").into()],
            ),
        ];
        pollster::block_on(store.batch(&renew)).unwrap();
        // A new isolate starts with the same (or a changed) variable: nothing comes back.
        pollster::block_on(ensure_clients(&store, &config(seeded), 20)).unwrap();
        pollster::block_on(ensure_clients(&store, &config("second-admin-secret-second-admin-secret"), 30)).unwrap();
        assert!(!login(&store, "admin-cli", seeded), "the revoked secret stays revoked");
        assert!(!login(&store, "admin-cli", "second-admin-secret-second-admin-secret"));
        assert!(login(&store, "admin-cli", "renewed-secret"));
    }
}
