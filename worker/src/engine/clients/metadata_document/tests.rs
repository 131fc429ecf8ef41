//! Client ID Metadata Documents, natively: which URLs are read, what a document must say,
//! how long it is kept, and every refusal as a sentence.

use pollster::block_on;
use serde_json::json;

use super::*;
use crate::engine::test_support::{config_with, unsigned_request_context, NO_HTTP};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;

fn config(change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>)) -> Config {
    config_with(|v| {
        v.insert("CLIENT_ID_METADATA_DOCUMENTS", "true".into());
        v.insert("ISSUER", "https://auth.example.com".into());
        change(v);
    })
}

fn document(url: &str) -> serde_json::Value {
    json!({ "client_id": url, "client_name": "Agent", "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none" })
}

#[test]
fn cimd_urls_are_https_public_hosts_with_a_path() {
    let c = config(|_| {});
    assert_eq!(url_problem(&c, "https://agent.example/oauth/client.json"), None);
    for (bad, says) in [
        ("http://agent.example/client.json", "https"),
        ("https://agent.example/", "path"),
        ("https://localhost/client.json", "public"),
        ("https://10.0.0.1/client.json", "public"),
        ("https://[::1]/client.json", "public"),
        ("https://printer.local/client.json", "public"),
        ("https://api.internal/client.json", "public"),
        ("https://u:p@agent.example/client.json", "credentials"),
        ("https://agent.example/a/../client.json", "path"),
    ] {
        assert!(url_problem(&c, bad).is_some_and(|why| why.contains(says)), "{bad}: {:?}", url_problem(&c, bad));
    }
    let listed = config(|v| {
        v.insert("CIMD_ALLOWED_HOSTS", "*.trusted.example, claude.ai".into());
        v.insert("CIMD_DENIED_HOSTS", "evil.trusted.example".into());
    });
    assert_eq!(url_problem(&listed, "https://app.trusted.example/c.json"), None);
    assert_eq!(url_problem(&listed, "https://claude.ai/oauth/client.json"), None);
    assert!(url_problem(&listed, "https://evil.trusted.example/c.json").unwrap().contains("CIMD_DENIED_HOSTS"));
    assert!(url_problem(&listed, "https://other.example/c.json").unwrap().contains("CIMD_ALLOWED_HOSTS"));
    // Loopback documents only while the server itself runs on loopback (make dev).
    let dev = config(|v| {
        v.insert("ISSUER", "http://127.0.0.1:8787".into());
    });
    assert_eq!(url_problem(&dev, "http://127.0.0.1:9999/client.json"), None);
    assert!(is_document_id(&dev, "http://localhost:9999/client.json"));
    assert!(!is_document_id(&c, "http://localhost:9999/client.json"));
    assert!(!is_document_id(&config_with(|_| {}), "https://agent.example/c.json"), "off by default");
}

#[test]
fn cimd_a_document_describes_a_public_or_jwt_client_and_nothing_more() {
    let c = config(|_| {});
    let url = "https://agent.example/client.json";
    let client = client_from_document(&c, url, &document(url).to_string()).unwrap();
    assert_eq!((client.client_id.as_str(), client.client_type), (url, ClientType::Public));
    assert_eq!(
        client.scopes,
        ["openid", "profile", "email", "offline_access"],
        "OPEN_REGISTRATION_SCOPES when none named"
    );
    let refuse = |change: serde_json::Value, says: &str| {
        let mut d = document(url);
        if let (Some(d), Some(change)) = (d.as_object_mut(), change.as_object()) {
            for (k, v) in change {
                d.insert(k.clone(), v.clone());
            }
        }
        let why = client_from_document(&c, url, &d.to_string()).unwrap_err();
        assert!(why.contains(says), "{change}: {why}");
    };
    refuse(json!({ "client_id": "https://agent.example/other.json" }), "exactly its URL");
    refuse(json!({ "redirect_uris": [] }), "redirect_uris");
    refuse(json!({ "client_secret": "s3cret" }), "no secret");
    refuse(json!({ "token_endpoint_auth_method": "client_secret_basic" }), "none or private_key_jwt");
    refuse(json!({ "token_endpoint_auth_method": "private_key_jwt" }), "jwks");
    refuse(json!({ "scope": "openid admin" }), "`admin`");
    refuse(json!({ "grant_types": ["client_credentials"] }), "client_credentials");
    refuse(json!({ "redirect_uris": ["http://evil.example/cb"] }), "evil.example");
    assert!(client_from_document(&c, url, "[1, 2]").unwrap_err().contains("JSON object"));
}

#[test]
fn cimd_cache_control_sets_how_long_a_document_is_kept_within_bounds() {
    assert_eq!(cache_seconds(None), DEFAULT_CACHE_SECONDS);
    assert_eq!(cache_seconds(Some("public, max-age=3600")), 3600);
    assert_eq!(cache_seconds(Some("max-age=5")), MIN_CACHE_SECONDS);
    assert_eq!(cache_seconds(Some("max-age=31536000")), MAX_CACHE_SECONDS);
    assert_eq!(cache_seconds(Some("no-store")), MIN_CACHE_SECONDS);
}

#[test]
fn cimd_resolve_fetches_once_and_refuses_redirects_and_large_documents() {
    let c = config(|_| {});
    let store = SqliteStore::open_in_memory().unwrap();
    let rc = unsigned_request_context(&c, &store, NOW);
    let url = "https://cimd-test-one.example/client.json";
    NO_HTTP.answer(url, 200, &document(url).to_string());
    assert!(block_on(resolve(&rc, url)).unwrap().is_ok());
    assert!(block_on(resolve(&rc, url)).unwrap().is_ok());
    let asked = NO_HTTP.asked.lock().unwrap().iter().filter(|u| *u == url).count();
    assert_eq!(asked, 1, "the second came from the isolate's cache");
    let moved = "https://cimd-test-two.example/client.json";
    NO_HTTP.answer(moved, 302, "");
    assert!(block_on(resolve(&rc, moved)).unwrap().unwrap_err().contains("redirects"));
    let large = "https://cimd-test-three.example/client.json";
    let mut big = document(large);
    big["padding"] = json!("x".repeat(MAX_DOCUMENT_BYTES));
    NO_HTTP.answer(large, 200, &big.to_string());
    assert!(block_on(resolve(&rc, large)).unwrap().unwrap_err().contains("larger than"));
}
