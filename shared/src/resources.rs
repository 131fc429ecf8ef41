//! Protected resources (what Auth0 calls APIs and Keycloak audiences): the services an
//! access token may be meant for, named by the `resource` parameter of RFC 8707. The
//! wire types of `/api/resources` and the rules a resource's fields keep — one set of
//! rules for the console's live validation and the server.

use serde::{Deserialize, Serialize};

use crate::api::FieldError;
use crate::clients::ID_TOKEN_SIGNING_ALGS;
use crate::scopes::is_scope_token;

/// The longest identifier and name the API takes.
pub const MAX_IDENTIFIER_CHARS: usize = 512;
pub const MAX_NAME_CHARS: usize = 100;
/// The most scopes one resource accepts.
pub const MAX_SCOPES: usize = 50;
/// An access token for a resource lives between one minute and one day.
pub const ACCESS_TOKEN_TTL_RANGE: (u32, u32) = (60, 86_400);

/// A resource as `GET /api/resources` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    /// The RFC 8707 resource indicator: an absolute URI without a fragment, the access
    /// token's `aud`.
    pub identifier: String,
    pub name: String,
    /// The scopes an access token for it may carry: a token's scope is the granted scope
    /// within these.
    pub scopes: Vec<String>,
    /// Seconds; the server's `ACCESS_TOKEN_TTL` (or the client's) when absent.
    pub access_token_ttl: Option<u32>,
    /// `RS256`, `ES256` or `EdDSA`; the server's `SIGNING_ALG` when absent.
    pub signing_alg: Option<String>,
    /// The client the resource's server authenticates as: it may exchange the tokens
    /// issued for this resource (RFC 8693).
    #[serde(default)]
    pub client_id: Option<String>,
    /// How many clients are limited to a list that names it.
    pub clients: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: i64,
}

/// `POST /api/resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewResource {
    pub identifier: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub access_token_ttl: Option<u32>,
    #[serde(default)]
    pub signing_alg: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
}

/// `PATCH /api/resources/{id}`: present fields change, absent ones stay; `null` clears
/// the lifetime or the algorithm (back to the server's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Option<String>>,
}

/// A field that is present, even as `null`, is `Some` (absent stays `None` by `default`).
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component". A query is
/// allowed by the RFC but discouraged; it is refused here too, so that one service has one
/// identifier. `None` when valid, else why not.
pub fn identifier_problem(identifier: &str) -> Option<String> {
    if identifier.is_empty() || identifier.chars().count() > MAX_IDENTIFIER_CHARS {
        return Some(format!("an identifier is 1 to {MAX_IDENTIFIER_CHARS} characters"));
    }
    if identifier.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("an identifier has no spaces or control characters".into());
    }
    match url::Url::parse(identifier) {
        Err(_) => Some("an identifier is an absolute URI, such as https://api.example.com/ (RFC 8707 §2)".into()),
        Ok(u) if u.fragment().is_some() => Some("an identifier has no fragment (RFC 8707 §2)".into()),
        Ok(u) if u.query().is_some() => Some("an identifier has no query".into()),
        Ok(u) if u.cannot_be_a_base() && u.scheme() != "urn" => {
            Some("an identifier is an absolute URI with an authority, or a urn:".into())
        }
        Ok(_) => None,
    }
}

/// Every rule a resource's fields break (empty: valid).
pub fn resource_problems(
    identifier: &str,
    name: &str,
    scopes: &[String],
    access_token_ttl: Option<u32>,
    signing_alg: Option<&str>,
) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut problem = |field: &str, message: String| out.push(FieldError { field: field.into(), message });
    if let Some(why) = identifier_problem(identifier) {
        problem("identifier", why);
    }
    let name_chars = name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        problem("name", format!("a name is one line of 1 to {MAX_NAME_CHARS} characters"));
    }
    if scopes.len() > MAX_SCOPES {
        problem("scopes", format!("at most {MAX_SCOPES} scopes"));
    }
    for scope in scopes.iter().filter(|s| !is_scope_token(s)) {
        problem("scopes", format!("`{scope}` is not a scope name (RFC 6749 §3.3)"));
    }
    if let Some(ttl) = access_token_ttl {
        let (low, high) = ACCESS_TOKEN_TTL_RANGE;
        if !(low..=high).contains(&ttl) {
            problem("access_token_ttl", format!("between {low} and {high} seconds"));
        }
    }
    if let Some(alg) = signing_alg {
        if !ID_TOKEN_SIGNING_ALGS.contains(&alg) {
            problem("signing_alg", format!("one of {}", ID_TOKEN_SIGNING_ALGS.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8707_2_identifiers_are_absolute_uris_without_fragment() {
        for good in [
            "https://api.example.com/",
            "https://api.example.com/mcp",
            "urn:example:calendar",
            "http://127.0.0.1:9000/",
        ] {
            assert_eq!(identifier_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "api.example.com",
            "/relative",
            "https://api.example.com/#frag",
            "https://a.example/?x=1",
            "https://a b/",
        ] {
            assert!(identifier_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn fields_each_have_their_rule() {
        assert!(
            resource_problems("https://api.example.com/", "API", &["read".into()], Some(300), Some("ES256")).is_empty()
        );
        let fields = |p: Vec<FieldError>| p.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(resource_problems("x", "API", &[], None, None)), ["identifier"]);
        assert_eq!(fields(resource_problems("https://a/", " ", &[], None, None)), ["name"]);
        assert_eq!(fields(resource_problems("https://a/", "A", &["two words".into()], None, None)), ["scopes"]);
        assert_eq!(fields(resource_problems("https://a/", "A", &[], Some(59), None)), ["access_token_ttl"]);
        assert_eq!(fields(resource_problems("https://a/", "A", &[], None, Some("HS256"))), ["signing_alg"]);
    }

    #[test]
    fn a_patch_tells_null_from_absent() {
        let p: ResourcePatch = serde_json::from_str(r#"{"access_token_ttl": null}"#).unwrap();
        assert_eq!(p.access_token_ttl, Some(None));
        assert_eq!(p.signing_alg, None);
    }
}
