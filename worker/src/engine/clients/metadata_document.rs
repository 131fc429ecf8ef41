//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the MCP
//! authorization specification's way for a client to identify itself): a `client_id` that
//! is an https URL names a JSON document that describes the client. With
//! `CLIENT_ID_METADATA_DOCUMENTS` on, such a client is not looked up in the `clients`
//! table but read from its document (docs/api.md, "Client ID Metadata Documents"):
//!
//! - the URL: https, a host name (no IP literal, no `localhost`, `.local`, `.internal`,
//!   `.localhost`, `.home.arpa`), a path other than `/`, no fragment, credentials or
//!   `..`; within `CIMD_ALLOWED_HOSTS` and not in `CIMD_DENIED_HOSTS`. Under local
//!   development only (an http loopback `ISSUER`), `http://localhost` and
//!   `http://127.0.0.1` documents are read too, so a developer and the tests can serve one;
//! - the fetch: no redirects, a 10-s deadline, at most [`MAX_DOCUMENT_BYTES`];
//! - the document: its `client_id` equals the URL exactly; `redirect_uris` present, each
//!   https or loopback; `token_endpoint_auth_method` `none` (the default) or
//!   `private_key_jwt` with `jwks` or `jwks_uri`; no secret; `authorization_code` and
//!   `refresh_token` only; scopes within `OPEN_REGISTRATION_SCOPES`;
//! - the client built from it is kept per isolate as long as its `Cache-Control` says,
//!   between [`MIN_CACHE_SECONDS`] and [`MAX_CACHE_SECONDS`] ([`DEFAULT_CACHE_SECONDS`]
//!   without one).
//!
//! Every refusal is a sentence the error page or `invalid_client`'s log shows.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use shared::clients::{ClientMetadata, ClientSettings};

use super::{AuthMethod, Client, ClientType};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{HttpClient, SigningAlg, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};

/// The largest document read (the draft suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
pub const MIN_CACHE_SECONDS: i64 = 60;
pub const MAX_CACHE_SECONDS: i64 = 86_400;
pub const DEFAULT_CACHE_SECONDS: i64 = 300;
/// Documents kept per isolate at most (the oldest goes first).
const CACHE_ENTRIES: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, (Client, UnixTime)>> = RefCell::new(HashMap::new());
}

/// Whether `client_id` is a metadata document's URL this server reads (the feature on, the
/// URL's form right); `None` when it is an ordinary client_id.
pub fn is_document_id(config: &Config, client_id: &str) -> bool {
    config.metadata_documents.enabled && (client_id.starts_with("https://") || dev_loopback(config, client_id))
}

/// An http loopback document, read only when the server itself runs on loopback (`make
/// dev`, the tests): the issuer can only be http on loopback there.
fn dev_loopback(config: &Config, url: &str) -> bool {
    let on_loopback = |u: &str| {
        url::Url::parse(u)
            .is_ok_and(|u| u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1")))
    };
    on_loopback(&config.issuer) && on_loopback(url)
}

/// RFC 1918, loopback, link-local, CGNAT, unique-local and the like: never fetched.
fn private_ip(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            let o = ip.octets();
            ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] >= 224
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let s = ip.segments();
            ip.is_loopback()
                || ip.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some()
        }
        Err(_) => false,
    }
}

/// `host` matches `pattern`: exactly, or `*.example.com` for any name under example.com.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.trim().to_ascii_lowercase(), host.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(parent) => host.ends_with(&format!(".{parent}")),
        None => pattern == host,
    }
}

/// Why the server will not read a document at `url`; `None` when it will.
pub fn url_problem(config: &Config, url: &str) -> Option<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Some("the client_id is not a URL".into()) };
    let Some(host) = parsed.host_str() else { return Some("the client_id URL has no host".into()) };
    if parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Some("the client_id URL carries a fragment or credentials".into());
    }
    if parsed.path() == "/" || url.contains("/./") || url.contains("/../") {
        return Some("the client_id URL needs a path (and no dot segments)".into());
    }
    if !dev_loopback(config, url) {
        if parsed.scheme() != "https" {
            return Some("the client_id URL must use https".into());
        }
        let lower = host.to_ascii_lowercase();
        let internal = ["localhost", ".localhost", ".local", ".internal", ".home.arpa", ".lan"]
            .iter()
            .any(|suffix| lower == suffix.trim_start_matches('.') || lower.ends_with(suffix));
        if internal || private_ip(host) || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return Some(format!("`{host}` is not a public host name"));
        }
    }
    let rules = &config.metadata_documents;
    if rules.denied_hosts.iter().any(|p| host_matches(p, host)) {
        return Some(format!("documents on `{host}` are refused here (CIMD_DENIED_HOSTS)"));
    }
    if !rules.allowed_hosts.is_empty() && !rules.allowed_hosts.iter().any(|p| host_matches(p, host)) {
        return Some(format!("documents on `{host}` are not among the allowed hosts (CIMD_ALLOWED_HOSTS)"));
    }
    None
}

/// The document's members this server reads (unknown ones are ignored, as RFC 7591 §2 says).
#[derive(Deserialize)]
struct Document {
    client_id: Option<String>,
    #[serde(flatten)]
    metadata: ClientMetadata,
    #[serde(default)]
    client_secret: Option<serde_json::Value>,
    #[serde(default)]
    client_secret_expires_at: Option<serde_json::Value>,
}

/// The client a document describes, or why it describes none.
pub fn client_from_document(config: &Config, url: &str, body: &str) -> Result<Client, String> {
    let document: Document = serde_json::from_str(body)
        .map_err(|e| format!("the metadata document is not a JSON object of client metadata: {e}"))?;
    if document.client_id.as_deref() != Some(url) {
        return Err("the document's client_id is not exactly its URL".into());
    }
    if document.client_secret.is_some() || document.client_secret_expires_at.is_some() {
        return Err("a metadata document carries no secret".into());
    }
    let mut metadata = document.metadata;
    if metadata.redirect_uris.as_ref().is_none_or(Vec::is_empty) {
        return Err("the document has no redirect_uris".into());
    }
    metadata.token_endpoint_auth_method.get_or_insert_with(|| "none".into());
    // `client_name` is optional in a document; the consent screen names the host anyway.
    if metadata.client_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        metadata.client_name = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned));
    }
    let open = &config.open_registration;
    let settings = ClientSettings::new(&metadata, &open.scopes.join(" "));
    let mut problems: Vec<String> = settings.problems(None).into_iter().map(|p| p.message).collect();
    problems.extend(
        crate::engine::clients::registration::open::open_problems(&settings, open)
            .into_iter()
            .filter(|p| !matches!(p.field, "token_endpoint_auth_method" | "logo_uri"))
            .map(|p| p.message),
    );
    let method = settings.token_endpoint_auth_method.as_str();
    if !matches!(method, "none" | "private_key_jwt") {
        problems.push("token_endpoint_auth_method is none or private_key_jwt for a metadata document".into());
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let private_key_jwt = method == "private_key_jwt";
    Ok(Client {
        client_id: url.to_owned(),
        client_name: settings.client_name.clone(),
        client_type: if private_key_jwt { ClientType::Confidential } else { ClientType::Public },
        auth_method: if private_key_jwt { AuthMethod::PrivateKeyJwt } else { AuthMethod::None },
        redirect_uris: settings.redirect_uris.clone(),
        grant_types: settings.grant_types.clone(),
        response_types: settings.response_types.clone(),
        scopes: settings.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        default_scopes: Vec::new(),
        scope_requires: Vec::new(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        refresh_token_rotation: None,
        first_party: false,
        // A native app's loopback redirect on any port (RFC 8252 §7.3), as MCP clients use.
        native: settings.application_type == shared::clients::NATIVE,
        logo_uri: None,
        tos_uri: None,
        policy_uri: None,
        post_logout_redirect_uris: settings.post_logout_redirect_uris.clone(),
        id_token_alg: SigningAlg::Rs256,
        allowed_resources: settings.allowed_resources.clone(),
        self_registered: false,
        jwks: settings.jwks.as_ref().map(|j| j.to_string()),
        jwks_uri: settings.jwks_uri.clone(),
        dpop_bound: settings.dpop_bound_access_tokens,
        require_par: settings.require_pushed_authorization_requests,
        request_object_alg: settings.request_object_signing_alg.clone(),
        fapi2: settings.is_fapi2(),
    })
}

/// How long a document's client is kept: its `max-age` within the bounds; `no-store` or
/// `no-cache` the minimum.
fn cache_seconds(cache_control: Option<&str>) -> i64 {
    let Some(value) = cache_control else { return DEFAULT_CACHE_SECONDS };
    let value = value.to_ascii_lowercase();
    if value.contains("no-store") || value.contains("no-cache") {
        return MIN_CACHE_SECONDS;
    }
    value
        .split(',')
        .find_map(|d| d.trim().strip_prefix("max-age=").and_then(|n| n.trim().parse::<i64>().ok()))
        .unwrap_or(DEFAULT_CACHE_SECONDS)
        .clamp(MIN_CACHE_SECONDS, MAX_CACHE_SECONDS)
}

/// The client whose `client_id` is the document URL `url`: from this isolate's cache, or
/// fetched and checked. `Ok(Err(reason))` when the document cannot be used.
pub async fn resolve<P: Platform>(
    rc: &RequestContext<'_, P>,
    url: &str,
) -> Result<Result<Client, String>, InternalError> {
    if let Some(why) = url_problem(rc.config, url) {
        return Ok(Err(why));
    }
    let cached =
        CACHE.with(|c| c.borrow().get(url).filter(|(_, until)| *until > rc.now).map(|(client, _)| client.clone()));
    if let Some(client) = cached {
        return Ok(Ok(client));
    }
    let reply = match rc.http.get(url, None).await {
        Ok(reply) => reply,
        Err(e) => return Ok(Err(format!("the metadata document could not be fetched: {}", e.detail()))),
    };
    if (300..400).contains(&reply.status) {
        return Ok(Err(
            "the metadata document's URL redirects; it must answer itself (no redirects are followed)".into()
        ));
    }
    if reply.status != 200 {
        return Ok(Err(format!("the metadata document's URL answered {}", reply.status)));
    }
    if reply.body.len() > MAX_DOCUMENT_BYTES {
        return Ok(Err(format!("the metadata document is larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    let client = match client_from_document(rc.config, url, &reply.body) {
        Ok(client) => client,
        Err(why) => return Ok(Err(why)),
    };
    let until = rc.now + cache_seconds(reply.cache_control.as_deref());
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_ENTRIES {
            if let Some(oldest) = cache.iter().min_by_key(|(_, (_, until))| *until).map(|(k, _)| k.clone()) {
                cache.remove(&oldest);
            }
        }
        cache.insert(url.to_owned(), (client.clone(), until));
    });
    Ok(Ok(client))
}

/// The client `client_id` names: `found` (from the `clients` table) when it is there,
/// else, for a metadata document's URL, the document's client. `Ok(Err(reason))` when a
/// document was asked for and cannot be used; `Ok(Ok(None))` for an unknown client.
pub async fn client_or_document<P: Platform>(
    rc: &RequestContext<'_, P>,
    found: Option<Client>,
    client_id: &str,
) -> Result<Result<Option<Client>, String>, InternalError> {
    if found.is_some() || !is_document_id(rc.config, client_id) {
        return Ok(Ok(found));
    }
    Ok(resolve(rc, client_id).await?.map(Some))
}

#[cfg(test)]
mod tests;
