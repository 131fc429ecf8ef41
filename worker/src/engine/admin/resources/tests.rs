//! The admin API on resources, natively: identifiers unique and RFC 8707 shaped, scopes
//! the server has, a patch that clears a lifetime, a resource a client's list names kept,
//! every change audited.

use pollster::block_on;

use super::*;
use crate::engine::clients::{AuthMethod, ClientStore};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::{alice, confidential, context_of, NativePlatform, DEFAULT_CONFIG, NO_KV};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;
const API: &str = "https://api.example.com/";

fn api<'a>(
    store: &'a SqliteStore,
    admin: &'a AdminPrincipal,
    meta: &'a RequestMeta,
) -> ResourceAdmin<'a, NativePlatform> {
    ResourceAdmin { rc: context_of(&DEFAULT_CONFIG, store, &NO_KV, meta, NOW), admin }
}

fn new(identifier: &str, scopes: &[&str]) -> NewResource {
    NewResource {
        identifier: identifier.into(),
        name: "Calendar API".into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        access_token_ttl: Some(600),
        signing_alg: None,
        client_id: None,
    }
}

fn code(e: ApiError) -> (u16, &'static str) {
    (e.status(), e.code())
}

fn audited(store: &SqliteStore, event: &str) -> usize {
    let rows = block_on(store.query("SELECT id FROM audit_log WHERE event = ?1", &[event.into()])).unwrap();
    rows.len()
}

#[test]
fn a_resource_is_created_listed_changed_and_deleted_with_an_audit_entry_each() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (AdminPrincipal::user(alice()), RequestMeta::default());
    let api = api(&store, &admin, &meta);
    let made = block_on(api.create(&new(API, &["openid"]))).unwrap();
    assert_eq!((made.identifier.as_str(), made.access_token_ttl, made.clients), (API, Some(600), 0));
    assert_eq!(block_on(api.list(50, 0)).unwrap().total, 1);
    let patch: ResourcePatch =
        serde_json::from_str(r#"{"name": "Calendar", "access_token_ttl": null, "signing_alg": "ES256"}"#).unwrap();
    let changed = block_on(api.update(&made.id, &patch)).unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.access_token_ttl, changed.signing_alg.as_deref()),
        ("Calendar", None, Some("ES256"))
    );
    assert_eq!(changed.identifier, API, "the identifier never changes");
    block_on(api.delete(&made.id)).unwrap();
    assert_eq!(code(block_on(api.get(&made.id)).unwrap_err()).0, 404);
    for event in ["resource.created", "resource.updated", "resource.deleted"] {
        assert_eq!(audited(&store, event), 1, "{event}");
    }
}

#[test]
fn bad_fields_unknown_scopes_and_a_taken_identifier_are_refused() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (AdminPrincipal::user(alice()), RequestMeta::default());
    let api = api(&store, &admin, &meta);
    for bad in [new("not a uri", &[]), new("https://a.example/#f", &[]), new(API, &["no-such-scope"])] {
        assert_eq!(code(block_on(api.create(&bad)).unwrap_err()), (422, codes::VALIDATION_ERROR), "{bad:?}");
    }
    block_on(api.create(&new(API, &[]))).unwrap();
    assert_eq!(code(block_on(api.create(&new(API, &[]))).unwrap_err()), (409, codes::RESOURCE_EXISTS));
    assert_eq!(audited(&store, "resource.created"), 1);
}

#[test]
fn a_resource_a_clients_list_names_is_not_deleted() {
    let store = SqliteStore::open_in_memory().unwrap();
    let (admin, meta) = (AdminPrincipal::user(alice()), RequestMeta::default());
    let api = api(&store, &admin, &meta);
    let made = block_on(api.create(&new(API, &[]))).unwrap();
    let mut client = confidential(AuthMethod::ClientSecretBasic);
    client.allowed_resources = vec![API.into()];
    block_on(store.ensure_client(&client, None, NOW)).unwrap();
    assert_eq!(block_on(api.get(&made.id)).unwrap().clients, 1);
    assert_eq!(code(block_on(api.delete(&made.id)).unwrap_err()), (409, codes::RESOURCE_IN_USE));
    assert!(block_on(api.get(&made.id)).is_ok());
}
