//! Open registration, natively: off by default; when on, only public code-flow clients
//! with https or loopback redirect URIs and the open scopes; the registration access
//! token manages that one registration and nothing else; the cleanup deletes unused ones.

use pollster::block_on;
use serde_json::json;

use super::open::OpenRegistrar;
use super::*;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::test_support::{config_with, unsigned_request_context, NativePlatform};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;
const DAY: i64 = 86_400;

fn open_config() -> Config {
    config_with(|v| {
        v.insert("ALLOW_OPEN_REGISTRATION", "true".into());
    })
}

fn open<'a>(config: &'a Config, store: &'a SqliteStore, now: UnixTime) -> OpenRegistrar<'a, NativePlatform> {
    OpenRegistrar { rc: unsigned_request_context(config, store, now) }
}

fn mcp_client(extra: serde_json::Value) -> ClientMetadata {
    let mut body = json!({ "client_name": "An MCP client", "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"], "scope": "openid offline_access" });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    serde_json::from_value(body).unwrap()
}

fn code(e: ApiError) -> (u16, &'static str) {
    (e.status(), e.code())
}

#[test]
fn rfc7591_3_open_registration_is_refused_unless_the_operator_allows_it() {
    let (config, store) = (config_with(|_| {}), SqliteStore::open_in_memory().unwrap());
    let err = block_on(open(&config, &store, NOW).register(&mcp_client(json!({})))).unwrap_err();
    assert_eq!(code(err), (401, "invalid_token"));
}

#[test]
fn rfc7591_3_a_self_registered_client_is_public_marked_and_gets_a_registration_access_token() {
    let (config, store) = (open_config(), SqliteStore::open_in_memory().unwrap());
    let info = block_on(open(&config, &store, NOW).register(&mcp_client(json!({})))).unwrap();
    assert!(info.self_registered);
    assert_eq!(info.settings.token_endpoint_auth_method, "none", "public by default");
    assert!(info.client_secret.is_none());
    let token = info.registration_access_token.clone().unwrap();
    assert_eq!(
        info.registration_client_uri.as_deref(),
        Some(format!("http://127.0.0.1:8787/register/{}", info.client_id).as_str())
    );
    // RFC 7592 §2: the token reads, changes and deletes this registration only.
    let api = open(&config, &store, NOW);
    assert_eq!(block_on(api.read(&info.client_id, &token)).unwrap().client_id, info.client_id);
    assert_eq!(code(block_on(api.read(&info.client_id, "wrong")).unwrap_err()), (401, "invalid_token"));
    let other = block_on(api.register(&mcp_client(json!({})))).unwrap();
    assert_eq!(code(block_on(api.read(&other.client_id, &token)).unwrap_err()), (401, "invalid_token"));
    let renamed =
        block_on(api.update(&info.client_id, &token, &mcp_client(json!({ "client_name": "Renamed" })))).unwrap();
    assert_eq!(renamed.settings.client_name, "Renamed");
    let widened = block_on(api.update(&info.client_id, &token, &mcp_client(json!({ "scope": "openid admin" }))));
    assert_eq!(code(widened.unwrap_err()).1, "invalid_client_metadata");
    block_on(api.delete(&info.client_id, &token)).unwrap();
    assert_eq!(code(block_on(api.read(&info.client_id, &token)).unwrap_err()), (401, "invalid_token"));
    let events: Vec<String> =
        store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events.iter().filter(|e| *e == "client.created").count(), 2);
    assert!(events.contains(&"client.deleted".to_owned()));
}

#[test]
fn open_registration_refuses_what_needs_an_admin() {
    let (config, store) = (open_config(), SqliteStore::open_in_memory().unwrap());
    let api = open(&config, &store, NOW);
    for (extra, says) in [
        (json!({ "token_endpoint_auth_method": "client_secret_basic" }), "is public"),
        (json!({ "scope": "openid admin" }), "`admin`"),
        (json!({ "scope": "introspection" }), "`introspection`"),
        (json!({ "grant_types": ["client_credentials"] }), "client_credentials"),
        (json!({ "redirect_uris": ["com.example.app:/cb"], "application_type": "native" }), "com.example.app"),
        (json!({ "logo_uri": "https://evil.example/logo.png" }), "logo"),
        (json!({ "backchannel_logout_uri": "https://internal.example/hook" }), "back-channel"),
    ] {
        let err = block_on(api.register(&mcp_client(extra.clone()))).unwrap_err();
        assert_eq!(err.status(), 400, "{extra}");
        assert!(err.description().unwrap_or_default().contains(says), "{extra}: {:?}", err.description());
    }
    // https and the loopback names are fine.
    assert!(block_on(
        api.register(&mcp_client(json!({ "redirect_uris": ["https://agent.example/cb", "http://localhost:9/cb"] })))
    )
    .is_ok());
}

#[test]
fn the_cleanup_deletes_self_registered_clients_unused_for_the_set_days() {
    let (config, store) = (open_config(), SqliteStore::open_in_memory().unwrap());
    let used = block_on(open(&config, &store, NOW).register(&mcp_client(json!({})))).unwrap();
    let unused = block_on(open(&config, &store, NOW).register(&mcp_client(json!({})))).unwrap();
    // A code exchange through `used` 20 days later records the use.
    block_on(store.exec(crate::engine::tables::clients::touch(&used.client_id, NOW + 20 * DAY))).unwrap();
    let later = NOW + 31 * DAY;
    let counts = block_on(crate::engine::ops::cleanup::run(&store, &SystemRandom, &config, later)).unwrap();
    assert_eq!(counts["self_registered_clients"], 1);
    let api = open(&config, &store, later);
    assert!(block_on(api.read(&used.client_id, used.registration_access_token.as_deref().unwrap())).is_ok());
    let gone = block_on(api.read(&unused.client_id, unused.registration_access_token.as_deref().unwrap()));
    assert_eq!(code(gone.unwrap_err()).0, 401);
}
