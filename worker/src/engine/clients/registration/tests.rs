use pollster::block_on;

use super::*;
use crate::engine::clients::{authenticate, Credentials};
use crate::engine::oauth::access_token::{AccessTokenClaims, RevocationStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::platform::ports::UnixMillis;
use crate::engine::tables::client_secrets;
use crate::engine::test_support::{dev_vars, unsigned_request_context, NativePlatform};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;

fn config_with(days: &str) -> Config {
    let mut vars = dev_vars();
    vars.insert("CLIENT_SECRET_LIFETIME_DAYS", days.into());
    Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap()
}

fn registrar<'a>(config: &'a Config, store: &'a SqliteStore, now: UnixTime) -> Registrar<'a, NativePlatform> {
    static ADMIN: std::sync::LazyLock<AdminPrincipal> =
        std::sync::LazyLock::new(|| AdminPrincipal::Client("admin-cli".into()));
    Registrar { rc: unsigned_request_context(config, store, now), admin: &ADMIN }
}

fn metadata() -> ClientMetadata {
    serde_json::from_value(serde_json::json!({
        "client_name": "My Application",
        "redirect_uris": ["https://myapp.com/callback", "https://myapp.com/auth/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile email",
        "token_endpoint_auth_method": "client_secret_basic"
    }))
    .unwrap()
}

fn basic(id: &str, secret: &str) -> Credentials {
    Credentials::Basic { client_id: id.into(), secret: secret.into() }
}

fn events(store: &SqliteStore) -> Vec<String> {
    store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn rfc7591_3_2_1_registration_answers_the_secret_once_and_the_metadata() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let r = registrar(&config, &store, NOW);
    let info = block_on(r.register(&metadata())).unwrap();
    let secret = info.client_secret.clone().unwrap();
    assert_eq!(secret.len(), 43, "256 bits");
    assert_eq!((info.client_id_issued_at, info.client_secret_expires_at), (NOW, Some(0)));
    assert_eq!(info.settings.redirect_uris.len(), 2);
    assert!(block_on(authenticate(&store, &basic(&info.client_id, &secret), NOW)).is_ok());
    let read = block_on(r.read(&info.client_id)).unwrap();
    assert_eq!(read.client_secret, None, "shown only once");
    assert_eq!(read.settings, info.settings, "metadata round trip");
    assert_eq!(events(&store), ["client.created"]);
}

#[test]
fn client_secret_lifetime_days_dates_new_secrets() {
    let (config, store) = (config_with("90"), SqliteStore::open_in_memory().unwrap());
    let info = block_on(registrar(&config, &store, NOW).register(&metadata())).unwrap();
    assert_eq!(info.client_secret_expires_at, Some(NOW + 90 * 86_400));
    let secret = info.client_secret.unwrap();
    let late = NOW + 90 * 86_400;
    assert!(block_on(authenticate(&store, &basic(&info.client_id, &secret), late)).is_err(), "expired");
    let due = block_on(registrar(&config, &store, NOW).list(None, Some(NOW + 100 * 86_400), 10, 0)).unwrap();
    assert_eq!(due.total, 1);
    let not_yet = block_on(registrar(&config, &store, NOW).list(None, Some(NOW + 30 * 86_400), 10, 0)).unwrap();
    assert_eq!(not_yet.total, 0);
}

#[test]
fn rfc7591_3_2_2_invalid_metadata_is_refused_and_nothing_is_stored() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let r = registrar(&config, &store, NOW);
    let mut bad = metadata();
    bad.redirect_uris = Some(vec!["https://*.myapp.com/callback".into()]);
    let e = block_on(r.register(&bad)).unwrap_err();
    assert_eq!((e.status(), e.code()), (400, "invalid_redirect_uri"));
    let mut bad = metadata();
    bad.scope = Some("openid nonexistent".into());
    assert_eq!(block_on(r.register(&bad)).unwrap_err().code(), "invalid_client_metadata");
    assert_eq!(block_on(r.list(None, None, 10, 0)).unwrap().total, 0);
}

#[test]
fn rfc7592_patch_validates_like_post_and_keeps_absent_fields() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let r = registrar(&config, &store, NOW);
    let info = block_on(r.register(&metadata())).unwrap();
    let patch = ClientMetadata { redirect_uris: Some(vec!["http://myapp.com/cb".into()]), ..Default::default() };
    assert_eq!(block_on(r.update(&info.client_id, &patch)).unwrap_err().code(), "invalid_redirect_uri");
    let patch =
        ClientMetadata { redirect_uris: Some(vec!["https://staging.myapp.com/callback".into()]), ..Default::default() };
    let updated = block_on(r.update(&info.client_id, &patch)).unwrap();
    assert_eq!(updated.settings.redirect_uris, ["https://staging.myapp.com/callback"]);
    assert_eq!(updated.settings.client_name, "My Application");
    let client =
        block_on(crate::engine::clients::ClientStore::client_with_secrets(&store, &info.client_id)).unwrap().unwrap().0;
    assert_eq!(client.redirect_uris, ["https://staging.myapp.com/callback"], "what /authorize reads");
    assert!(events(&store).contains(&"client.updated".to_owned()));
}

#[test]
fn renew_replaces_every_secret_and_add_keeps_both_until_one_is_retired() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let r = registrar(&config, &store, NOW);
    let info = block_on(r.register(&metadata())).unwrap();
    let id = info.client_id.clone();
    let first = info.client_secret.unwrap();
    let ok = |secret: &str| block_on(authenticate(&store, &basic(&id, secret), NOW)).is_ok();

    let added = block_on(r.add_secret(&id)).unwrap();
    assert!(ok(&first) && ok(&added.client_secret), "both work during the rotation");
    assert_eq!(block_on(r.add_secret(&id)).unwrap_err().code(), "too_many_secrets");
    let old_id = block_on(r.read(&id))
        .unwrap()
        .secrets
        .iter()
        .find(|s| s.secret_id != added.secret_id)
        .unwrap()
        .secret_id
        .clone();
    block_on(r.remove_secret(&id, &old_id)).unwrap();
    assert!(!ok(&first) && ok(&added.client_secret));
    assert_eq!(block_on(r.remove_secret(&id, &added.secret_id)).unwrap_err().code(), "last_secret");

    let renewed = block_on(r.renew_secret(&id)).unwrap();
    assert!(!ok(&added.client_secret), "renewal invalidates every old secret at once");
    assert!(ok(&renewed.client_secret));
    let names = events(&store);
    for e in ["client.secret_added", "client.secret_removed", "client.secret_rotated"] {
        assert!(names.contains(&e.to_owned()), "{e}");
    }
}

#[test]
fn delete_and_revoke_tokens_cut_off_access_tokens_issued_before() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let r = registrar(&config, &store, NOW);
    let info = block_on(r.register(&metadata())).unwrap();
    let user = crate::engine::test_support::alice();
    store.insert_user(&user).unwrap();
    let claims =
        AccessTokenClaims::new(&config, &user.id, &info.client_id, "openid", 3600, (NOW - 5) * 1000, &SystemRandom)
            .unwrap();
    assert!(!block_on(store.access_token_revoked(&claims)).unwrap());
    block_on(registrar(&config, &store, NOW).revoke_tokens(&info.client_id)).unwrap();
    assert!(block_on(store.access_token_revoked(&claims)).unwrap(), "issued before the cut-off");
    let later =
        AccessTokenClaims::new(&config, &user.id, &info.client_id, "openid", 3600, (NOW + 1) * 1000, &SystemRandom)
            .unwrap();
    assert!(!block_on(store.access_token_revoked(&later)).unwrap(), "issued after it");

    block_on(registrar(&config, &store, NOW + 10).delete(&info.client_id)).unwrap();
    assert!(block_on(store.access_token_revoked(&later)).unwrap());
    let secret = info.client_secret.unwrap();
    assert!(block_on(authenticate(&store, &basic(&info.client_id, &secret), NOW + 10)).is_err(), "invalid_client");
    assert_eq!(block_on(r.read(&info.client_id)).unwrap_err().status(), 404);
    assert_eq!(block_on(r.delete(&info.client_id)).unwrap_err().status(), 404);
    assert_eq!(block_on(r.delete(ADMIN_UI_CLIENT_ID)).unwrap_err().code(), "protected_client");
}

/// RFC 7009 §2: a revocation covers the tokens issued before it, and only those, even
/// within one second (a token's `iat` is whole seconds; its `jti` carries milliseconds).
#[test]
fn rfc7009_a_cut_off_orders_tokens_of_its_own_second_by_the_millisecond() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    let info = block_on(registrar(&config, &store, NOW).register(&metadata())).unwrap();
    let user = crate::engine::test_support::alice();
    store.insert_user(&user).unwrap();
    let token_at = |ms: UnixMillis| {
        AccessTokenClaims::new(&config, &user.id, &info.client_id, "openid", 3600, ms, &SystemRandom).unwrap()
    };
    let before = token_at(NOW * 1000 + 200);
    let mut revoking = registrar(&config, &store, NOW);
    revoking.rc.now_ms = NOW * 1000 + 500;
    block_on(revoking.revoke_tokens(&info.client_id)).unwrap();
    let after = token_at(NOW * 1000 + 800);
    assert_eq!((before.iat, after.iat), (NOW, NOW), "one second");
    assert!(block_on(store.access_token_revoked(&before)).unwrap(), "issued 300 ms before the revocation");
    assert!(!block_on(store.access_token_revoked(&after)).unwrap(), "issued 300 ms after it");
    // A jti without a time in its second (16 random bytes, as tokens had before) counts as
    // issued at the start of that second: revoked, as it was.
    let mut old = after.clone();
    old.jti = crate::engine::crypto::jose::b64url(&[0xff; 16]);
    assert_eq!(old.issued_ms(), NOW * 1000);
    assert!(block_on(store.access_token_revoked(&old)).unwrap());
}

#[test]
fn dates_in_secret_expires_before_are_utc_midnight() {
    assert_eq!(time_param("2024-04-01").unwrap(), 1_711_929_600);
    assert_eq!(time_param("1970-01-01").unwrap(), 0);
    assert_eq!(time_param("1711929600").unwrap(), 1_711_929_600);
    assert!(time_param("2024-13-01").is_err());
    assert!(time_param("soon").is_err());
}

#[test]
fn the_list_searches_names_and_pages() {
    let (config, store) = (config_with("0"), SqliteStore::open_in_memory().unwrap());
    for (i, name) in ["Billing API", "Mobile App", "Billing Worker"].iter().enumerate() {
        let mut m = metadata();
        m.client_name = Some((*name).into());
        block_on(registrar(&config, &store, NOW + i as i64).register(&m)).unwrap();
    }
    let r = registrar(&config, &store, NOW + 10);
    let billing = block_on(r.list(Some("billing"), None, 10, 0)).unwrap();
    assert_eq!(
        billing.data.iter().map(|c| c.client_name.as_str()).collect::<Vec<_>>(),
        ["Billing Worker", "Billing API"]
    );
    let page = block_on(r.list(None, None, 2, 2)).unwrap();
    assert_eq!((page.total, page.data.len()), (3, 1));
    assert_eq!(block_on(r.list(Some("100%_"), None, 10, 0)).unwrap().total, 0, "LIKE wildcards are literal");
}

#[test]
fn only_a_super_admin_changes_first_party_and_bootstrap_clients_and_redirect_changes_are_audited() {
    use crate::engine::clients::bootstrap::{ensure_clients, DEMO_CLIENT_ID};
    use crate::engine::identity::users::Role;
    use crate::engine::test_support::alice;
    let mut vars = dev_vars();
    vars.insert("DEMO_CLIENT_SECRET", "demo-secret-demo-secret-demo-secret-0000".into());
    let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
    let store = SqliteStore::open_in_memory().unwrap();
    block_on(ensure_clients(&store, &config, NOW)).unwrap();
    let as_admin = |admin: &AdminPrincipal, client_id: &str| {
        let r = Registrar { rc: unsigned_request_context(&config, &store, NOW), admin };
        let patch =
            ClientMetadata { redirect_uris: Some(vec!["https://evil.example/cb".into()]), ..Default::default() };
        block_on(r.update(client_id, &patch)).map(|info| info.settings.redirect_uris)
    };
    let mut user = alice();
    user.role = Role::Admin;
    let admin = AdminPrincipal::user(user.clone());
    let service = AdminPrincipal::Client("admin-cli".into());
    for client_id in [ADMIN_UI_CLIENT_ID, DEMO_CLIENT_ID] {
        for who in [&admin, &service] {
            let refused = as_admin(who, client_id).unwrap_err();
            assert_eq!((refused.status(), refused.code()), (403, codes::PROTECTED_CLIENT), "{client_id}");
        }
    }
    let r = Registrar { rc: unsigned_request_context(&config, &store, NOW), admin: &admin };
    assert_eq!(block_on(r.renew_secret(DEMO_CLIENT_ID)).unwrap_err().status(), 403, "secrets too");
    // A registered client stays an admin's to change.
    let own = block_on(r.register(&metadata())).unwrap();
    assert!(as_admin(&admin, &own.client_id).is_ok());
    user.role = Role::SuperAdmin;
    let super_admin = AdminPrincipal::user(user);
    assert_eq!(as_admin(&super_admin, DEMO_CLIENT_ID).unwrap(), vec!["https://evil.example/cb"]);
    let audit = store.audit_events().unwrap();
    let updated = audit.iter().rfind(|e| e["event"] == "client.updated").unwrap();
    let details: serde_json::Value = serde_json::from_str(updated["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(details["redirect_uris"]["before"][0], "http://127.0.0.1:3000/callback");
    assert_eq!(details["redirect_uris"]["after"][0], "https://evil.example/cb");
    // Deleting a bootstrap client is refused with a sentence: it would come back.
    let r = Registrar { rc: unsigned_request_context(&config, &store, NOW), admin: &super_admin };
    let refused = block_on(r.delete(DEMO_CLIENT_ID)).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (409, codes::PROTECTED_CLIENT));
    assert!(block_on(r.find(DEMO_CLIENT_ID)).unwrap().is_some(), "still there");
}

#[test]
fn a_secret_for_a_client_deleted_meanwhile_is_no_row_not_a_database_error() {
    // What renew_secret and add_secret run after reading the client: a concurrent DELETE
    // may have removed it since (D1 and SQLite enforce the foreign key).
    let store = SqliteStore::open_in_memory().unwrap();
    let columns = || client_secrets::columns("s-1", "gone", "hash", 0, None, None);
    assert_eq!(block_on(store.exec(client_secrets::renew(columns()))).unwrap(), 0);
    assert_eq!(block_on(store.exec(client_secrets::add_below(columns(), MAX_LIVE_SECRETS))).unwrap(), 0);
}
