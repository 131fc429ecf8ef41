//! The admin API on settings, natively: effective values with their source, secrets never
//! shown, run-time changes validated by the vars' own rules, only by a super_admin.

use std::collections::HashMap;

use pollster::block_on;

use super::*;
use crate::engine::identity::users::Role;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::{alice, context_of, dev_vars, DEFAULT_CONFIG, NO_KV};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;

struct Vars(HashMap<&'static str, String>);

impl VarSource for Vars {
    fn var(&self, name: &'static str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

fn admin(role: Role) -> AdminPrincipal {
    let mut user = alice();
    user.role = role;
    AdminPrincipal::user(user)
}

fn change(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned))).collect()
}

fn effective(store: &SqliteStore, vars: &Vars) -> Config {
    let rows = block_on(load_overrides(store)).unwrap();
    Config::load(&Overlay { vars, overrides: &as_overrides(&rows, vars) }).unwrap()
}

#[test]
fn every_setting_is_listed_with_its_source_and_secrets_are_never_shown() {
    let store = SqliteStore::open_in_memory().unwrap();
    let vars = Vars(dev_vars());
    let (root, meta) = (admin(Role::SuperAdmin), RequestMeta::default());
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    let list = block_on(api.list()).unwrap();
    assert_eq!(list.len(), VARIABLES.len() + OPTIONAL_VARIABLES.len());
    let secret = list.iter().find(|s| s.name == "SECRET_KEY").unwrap();
    assert_eq!((secret.value.as_deref(), secret.secret, secret.runtime), (Some("set"), true, false));
    let ttl = list.iter().find(|s| s.name == "ACCESS_TOKEN_TTL").unwrap();
    assert_eq!((ttl.source.as_str(), ttl.runtime), ("environment", true));
    let metrics = list.iter().find(|s| s.name == "METRICS_TOKEN").unwrap();
    assert_eq!((metrics.source.as_str(), metrics.value.as_deref()), ("unset", None));
    let body = serde_json::to_string(&list).unwrap();
    assert!(!body.contains(&dev_vars()["SECRET_KEY"]), "no secret value anywhere in the answer");
}

#[test]
fn a_runtime_change_overrides_the_var_is_validated_like_it_and_can_be_undone() {
    let store = SqliteStore::open_in_memory().unwrap();
    let vars = Vars(dev_vars());
    let (root, meta) = (admin(Role::SuperAdmin), RequestMeta::default());
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    block_on(api.update(&change(&[("ACCESS_TOKEN_TTL", Some("600")), ("APP_NAME", Some("Acme ID"))]))).unwrap();
    let config = effective(&store, &vars);
    assert_eq!((config.tokens.access_token_ttl, config.branding.app_name.as_str()), (600, "Acme ID"));
    let listed = block_on(api.list()).unwrap();
    let ttl = listed.iter().find(|s| s.name == "ACCESS_TOKEN_TTL").unwrap();
    assert_eq!((ttl.value.as_deref(), ttl.source.as_str(), ttl.updated_at), (Some("600"), "database", Some(NOW)));

    // The vars' own rules: the error names the variable, and nothing changes.
    let bad = block_on(api.update(&change(&[("ACCESS_TOKEN_TTL", Some("0")), ("APP_NAME", Some("Other"))])));
    let ApiError::Validation(details) = bad.unwrap_err() else { panic!("a validation error") };
    assert_eq!(details[0].field, "ACCESS_TOKEN_TTL");
    assert_eq!(effective(&store, &vars).branding.app_name, "Acme ID");
    let color = block_on(api.update(&change(&[("PRIMARY_COLOR", Some("red; background: url(x)"))]))).unwrap_err();
    assert_eq!(color.status(), 422);

    block_on(api.update(&change(&[("ACCESS_TOKEN_TTL", None)]))).unwrap();
    assert_eq!(effective(&store, &vars).tokens.access_token_ttl, Config::load(&vars).unwrap().tokens.access_token_ttl);
    let events = store.audit_events().unwrap();
    assert_eq!(events.iter().filter(|e| e["event"] == "settings.updated").count(), 2, "a refused change is not one");
}

#[test]
fn only_a_super_admin_changes_settings_and_only_the_runtime_ones() {
    let store = SqliteStore::open_in_memory().unwrap();
    let vars = Vars(dev_vars());
    let meta = RequestMeta::default();
    let admin = admin(Role::Admin);
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &admin };
    let refused = block_on(api.update(&change(&[("APP_NAME", Some("Mine"))]))).unwrap_err();
    assert_eq!(refused.status(), 403);
    let root = super::tests::admin(Role::SuperAdmin);
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    for name in ["ISSUER", "SECRET_KEY", "REQUIRE_PKCE", "ALLOW_IMPLICIT", "NOT_A_SETTING"] {
        let e = block_on(api.update(&change(&[(name, Some("x"))]))).unwrap_err();
        let ApiError::Validation(details) = e else { panic!("{name}: a validation error") };
        assert_eq!(details[0].field, name);
    }
    assert_eq!(block_on(api.update(&BTreeMap::new())).unwrap_err().status(), 422);
    // Whatever the table holds, only run-time names override the vars.
    block_on(store.exec(crate::engine::tables::settings::upsert("ISSUER", "https://evil.example", NOW, "x"))).unwrap();
    assert_eq!(effective(&store, &vars).issuer, Config::load(&vars).unwrap().issuer);
}

#[test]
fn a_sign_in_provider_is_switched_at_run_time_only_when_its_client_settings_exist() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (root, meta) = (admin(Role::SuperAdmin), RequestMeta::default());
    let bare = Vars(dev_vars());
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &bare, admin: &root };
    let refused = block_on(api.update(&change(&[("GITHUB_OAUTH_ENABLED", Some("true"))]))).unwrap_err();
    let ApiError::Validation(details) = refused else { panic!("a validation error") };
    assert_eq!(details[0].field, "GITHUB_OAUTH_ENABLED");
    assert!(details[0].message.contains("GITHUB_CLIENT_ID"), "{}", details[0].message);

    let mut with_client = dev_vars();
    with_client.insert("GITHUB_CLIENT_ID", "gh".into());
    with_client.insert("GITHUB_CLIENT_SECRET", "gh-secret".into());
    let vars = Vars(with_client);
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    assert!(effective(&store, &vars).providers.is_empty());
    block_on(api.update(&change(&[("GITHUB_OAUTH_ENABLED", Some("true"))]))).unwrap();
    assert_eq!(effective(&store, &vars).providers[0].name, "github");
    let listed = block_on(api.list()).unwrap();
    let secret = listed.iter().find(|s| s.name == "GITHUB_CLIENT_SECRET").unwrap();
    assert_eq!((secret.value.as_deref(), secret.secret), (Some("set"), true), "the client secret is never shown");
}

#[test]
fn a_secret_set_at_run_time_is_kept_sealed_applies_and_never_reaches_the_audit_log() {
    let store = SqliteStore::open_in_memory().unwrap();
    let vars = Vars(dev_vars());
    let (root, meta) = (admin(Role::SuperAdmin), RequestMeta::default());
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    let password = "smtp-password-0123456789";
    let changes = change(&[
        ("EMAIL_PROVIDER", Some("smtp")),
        ("SMTP_HOST", Some("127.0.0.1")),
        ("SMTP_TLS", Some("none")),
        ("SMTP_USER", Some("mailer")),
        ("SMTP_PASSWORD", Some(password)),
    ]);
    block_on(api.update(&changes)).unwrap();
    let stored = store.rows("SELECT value FROM settings WHERE name = 'SMTP_PASSWORD'", &[]);
    let sealed_value = stored[0]["value"].as_str().unwrap().to_owned();
    assert!(!sealed_value.contains(password) && sealed_value.starts_with("v1."), "sealed at rest: {sealed_value}");
    match effective(&store, &vars).mail.provider {
        crate::engine::platform::config::MailProvider::Smtp(server) => {
            assert_eq!(server.password.as_ref().map(|p| p.expose()), Some(password), "it applies")
        }
        other => panic!("{other:?}"),
    }
    let audit = store.rows("SELECT metadata FROM audit_log WHERE event = 'settings.updated'", &[]);
    let metadata = audit[0]["metadata"].as_str().unwrap();
    assert!(
        !metadata.contains(password) && metadata.contains("\"SMTP_PASSWORD\":{\"from\":null,\"to\":\"set\"}"),
        "{metadata}"
    );
    let listed = block_on(api.list()).unwrap();
    let shown = listed.iter().find(|s| s.name == "SMTP_PASSWORD").unwrap();
    assert_eq!((shown.value.as_deref(), shown.source.as_str()), (Some("set"), "database"));
    // Under another SECRET_KEY the sealed value does not open: the var applies instead.
    let mut other = dev_vars();
    other.insert("SECRET_KEY", "another-secret-key-0123456789abcdef-test".into());
    let rows = block_on(load_overrides(&store)).unwrap();
    assert!(as_overrides(&rows, &Vars(other)).iter().all(|(name, _)| name != "SMTP_PASSWORD"));
}

#[test]
fn admin_allowed_ips_that_leave_out_the_callers_address_need_that_address_as_confirmation() {
    let store = SqliteStore::open_in_memory().unwrap();
    let vars = Vars(dev_vars());
    let root = admin(Role::SuperAdmin);
    let meta = RequestMeta { ip_address: Some("203.0.113.7".into()), user_agent: None, location: None };
    let api = SettingsAdmin { rc: context_of(&DEFAULT_CONFIG, &store, &NO_KV, &meta, NOW), vars: &vars, admin: &root };
    let refused =
        block_on(api.update(&change(&[("ADMIN_ALLOWED_IPS", Some("10.0.0.0/8, 2001:db8::/32"))]))).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (409, shared::codes::LOCKOUT_CONFIRMATION_REQUIRED));
    assert!(
        refused.description().unwrap_or_default().contains("your address 203.0.113.7"),
        "{:?}",
        refused.description()
    );
    assert!(effective(&store, &vars).security.admin_allowed_ips.is_empty(), "nothing changed");
    let wrong = change(&[("ADMIN_ALLOWED_IPS", Some("10.0.0.0/8")), (CONFIRM_LOCKOUT, Some("10.0.0.1"))]);
    assert_eq!(block_on(api.update(&wrong)).unwrap_err().status(), 409, "another address confirms nothing");
    let confirmed = change(&[("ADMIN_ALLOWED_IPS", Some("10.0.0.0/8")), (CONFIRM_LOCKOUT, Some("203.0.113.7"))]);
    block_on(api.update(&confirmed)).unwrap();
    assert_eq!(effective(&store, &vars).security.admin_allowed_ips.len(), 1);
    // A list with the caller in it needs no confirmation.
    block_on(api.update(&change(&[("ADMIN_ALLOWED_IPS", Some("10.0.0.0/8, 203.0.113.0/24"))]))).unwrap();
}

#[test]
fn admin_allowed_ips_accept_ipv4_and_ipv6_ranges_and_refuse_an_unknown_address() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut with = Vars(dev_vars());
    with.0.insert("ADMIN_ALLOWED_IPS", "192.0.2.0/24, 2001:db8::/32".into());
    let config = effective(&store, &with);
    let allowed = |ip: Option<&str>| crate::engine::admin::auth::address_allowed(&config, ip);
    assert!(allowed(Some("192.0.2.44")) && allowed(Some("2001:db8::7")) && allowed(Some("::ffff:192.0.2.1")));
    assert!(!allowed(Some("198.51.100.1")) && !allowed(Some("2001:db9::1")) && !allowed(None));
    assert!(crate::engine::admin::auth::address_allowed(&DEFAULT_CONFIG, None), "no list: any address");
}
