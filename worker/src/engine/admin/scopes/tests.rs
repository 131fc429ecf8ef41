//! The admin API on scopes, natively: system scopes kept, names unique and RFC 6749
//! shaped, a scope in use deleted only with force, a rename followed by the clients, the
//! claims a custom scope releases, the default flag.

use pollster::block_on;

use super::*;
use crate::engine::clients::AuthMethod;
use crate::engine::clients::ClientStore;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::{alice, confidential, context_of, NativePlatform, DEFAULT_CONFIG, NO_KV};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;

fn admin() -> AdminPrincipal {
    AdminPrincipal::user(alice())
}

fn scopes<'a>(
    store: &'a SqliteStore,
    admin: &'a AdminPrincipal,
    meta: &'a RequestMeta,
) -> ScopeAdmin<'a, NativePlatform> {
    ScopeAdmin { rc: context_of(&DEFAULT_CONFIG, store, &NO_KV, meta, NOW), admin }
}

fn new_scope(name: &str) -> NewScope {
    NewScope { name: name.into(), description: format!("Use {name}"), default: false, claims: vec![], requires: vec![] }
}

fn code(e: ApiError) -> (u16, &'static str) {
    (e.status(), e.code())
}

fn client_scopes(store: &SqliteStore, id: &str) -> Vec<String> {
    block_on(store.client_with_secrets(id)).unwrap().unwrap().0.scopes
}

/// A confidential client `svc` that may request `scopes`.
fn client_with(store: &SqliteStore, scopes: &[&str]) {
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    block_on(store.ensure_client(&client, None, NOW)).unwrap();
}

#[test]
fn system_scopes_are_listed_with_their_oidc_claims_and_cannot_be_deleted_or_renamed() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (admin(), RequestMeta::default());
    let api = scopes(&store, &admin, &meta);
    let page = block_on(api.list(50, 0)).unwrap();
    assert_eq!(page.total, 8);
    let email = page.data.iter().find(|s| s.name == "email").unwrap();
    assert!(email.system);
    assert_eq!(email.claims, ["email", "email_verified"]);
    assert_eq!(code(block_on(api.delete(&email.id, true)).unwrap_err()), (409, codes::SYSTEM_SCOPE));
    let rename = ScopePatch { name: Some("mail".into()), ..Default::default() };
    assert_eq!(code(block_on(api.update(&email.id, &rename)).unwrap_err()), (409, codes::SYSTEM_SCOPE));
    let claims = ScopePatch { claims: Some(vec!["name".into()]), ..Default::default() };
    assert_eq!(code(block_on(api.update(&email.id, &claims)).unwrap_err()), (422, codes::VALIDATION_ERROR));
    let reworded = ScopePatch { description: Some("Your address".into()), ..Default::default() };
    assert_eq!(block_on(api.update(&email.id, &reworded)).unwrap().description, "Your address");
    assert_eq!(code(block_on(api.create(&new_scope("openid"))).unwrap_err()), (409, codes::SCOPE_EXISTS));
}

#[test]
fn custom_scopes_are_unique_rfc6749_tokens_and_every_change_is_audited() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (admin(), RequestMeta::default());
    let api = scopes(&store, &admin, &meta);
    let created = block_on(api.create(&new_scope("documents:read"))).unwrap();
    assert_eq!((created.system, created.clients, created.default), (false, 0, false));
    assert_eq!(code(block_on(api.create(&new_scope("documents:read"))).unwrap_err()), (409, codes::SCOPE_EXISTS));
    assert_eq!(code(block_on(api.create(&new_scope("two words"))).unwrap_err()), (422, codes::VALIDATION_ERROR));
    block_on(api.create(&new_scope("documents:write"))).unwrap();
    let onto = ScopePatch { name: Some("documents:write".into()), ..Default::default() };
    assert_eq!(code(block_on(api.update(&created.id, &onto)).unwrap_err()), (409, codes::SCOPE_EXISTS));
    assert_eq!(code(block_on(api.get("nope")).unwrap_err()), (404, codes::NOT_FOUND));
    block_on(api.delete(&created.id, false)).unwrap();
    let events: Vec<String> = store
        .audit_events()
        .unwrap()
        .iter()
        .filter(|e| e["resource_type"] == "scope")
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["scope.created", "scope.created", "scope.deleted"], "a refused change leaves no entry");
    assert!(!block_on(store.scope_names()).unwrap().contains(&"documents:read".to_owned()));
}

#[test]
fn a_scope_in_use_is_deleted_only_with_force_and_a_rename_follows_into_the_clients() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (admin(), RequestMeta::default());
    let api = scopes(&store, &admin, &meta);
    let docs = block_on(api.create(&new_scope("docs"))).unwrap();
    client_with(&store, &["openid", "docs", "read"]);
    assert_eq!(block_on(api.get(&docs.id)).unwrap().clients, 1);
    let renamed =
        block_on(api.update(&docs.id, &ScopePatch { name: Some("documents:read".into()), ..Default::default() }));
    assert_eq!(renamed.unwrap().name, "documents:read");
    assert_eq!(
        client_scopes(&store, "svc"),
        ["openid", "documents:read", "read"],
        "the client's list follows, in order"
    );
    let refused = block_on(api.delete(&docs.id, false)).unwrap_err();
    assert_eq!(code(refused), (409, codes::SCOPE_IN_USE));
    assert_eq!(client_scopes(&store, "svc"), ["openid", "documents:read", "read"], "a refused delete changes nothing");
    block_on(api.delete(&docs.id, true)).unwrap();
    assert_eq!(client_scopes(&store, "svc"), ["openid", "read"]);
}

#[test]
fn oidc_core_5_4_a_custom_scope_releases_the_claims_an_admin_chose_and_the_default_flag_applies() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (admin(), RequestMeta::default());
    let api = scopes(&store, &admin, &meta);
    let mut contact = new_scope("contact");
    contact.claims = vec!["email".into(), "phone_number".into()];
    let contact = block_on(api.create(&contact)).unwrap();
    let released = block_on(store.released_claims(&["openid", "profile", "contact"])).unwrap();
    assert!(released.contains(&"name".to_owned()) && released.contains(&"phone_number".to_owned()));
    assert!(!released.contains(&"email_verified".to_owned()), "only the claims listed");
    assert!(block_on(store.released_claims(&["openid", "unknown"])).unwrap().is_empty());

    client_with(&store, &["openid", "contact", "read"]);
    let client = || block_on(store.client_with_secrets("svc")).unwrap().unwrap().0;
    assert_eq!(client().default_scope(&["openid".into()]), ["openid"]);
    block_on(api.update(&contact.id, &ScopePatch { default: Some(true), ..Default::default() })).unwrap();
    assert_eq!(client().default_scope(&["openid".into()]), ["openid", "contact"]);
}

#[test]
fn requires_names_known_scopes_follows_a_rename_and_loses_a_deleted_one_and_the_client_reads_it() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (admin(), RequestMeta::default());
    let api = scopes(&store, &admin, &meta);
    let read = block_on(api.create(&new_scope("read"))).unwrap();
    let write = block_on(api.create(&NewScope { requires: vec!["read".into()], ..new_scope("write") })).unwrap();
    assert_eq!(write.requires, ["read"]);
    let unknown = NewScope { requires: vec!["nope".into()], ..new_scope("x") };
    assert_eq!(code(block_on(api.create(&unknown)).unwrap_err()), (422, codes::VALIDATION_ERROR));
    let itself = ScopePatch { requires: Some(vec!["read".into()]), ..ScopePatch::default() };
    assert_eq!(code(block_on(api.update(&read.id, &itself)).unwrap_err()), (422, codes::VALIDATION_ERROR));
    // docs/api.md "Scopes": `admin` requires read and write.
    let system = block_on(api.list(50, 0)).unwrap().data.into_iter().find(|s| s.name == "admin").unwrap();
    let both = ScopePatch { requires: Some(vec!["read".into(), "write".into()]), ..ScopePatch::default() };
    assert_eq!(block_on(api.update(&system.id, &both)).unwrap().requires, ["read", "write"]);
    client_with(&store, &["openid", "admin", "reads", "write"]);
    let renamed = ScopePatch { name: Some("reads".into()), ..ScopePatch::default() };
    block_on(api.update(&read.id, &renamed)).unwrap();
    assert_eq!(block_on(api.get(&system.id)).unwrap().requires, ["reads", "write"], "a rename follows");
    let client = block_on(store.client_with_secrets("svc")).unwrap().unwrap().0;
    let granted = client.with_required(vec!["admin".into()]);
    assert_eq!(granted, ["admin", "reads", "write"]);
    block_on(api.delete(&write.id, true)).unwrap();
    assert_eq!(block_on(api.get(&system.id)).unwrap().requires, ["reads"], "a deleted scope is no longer required");
}
