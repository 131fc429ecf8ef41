//! The rules a client registration keeps (RFC 7591 §2, RFC 6749 §3.1.2, RFC 8252 §7): one
//! judgement for the console's live validation and the server.

use url::Url;

use super::*;
use crate::account::email_problem;
use crate::oauth::{grant, AUTH_METHODS, RESPONSE_TYPES};

impl ClientSettings {
    /// Every rule this registration breaks (empty: valid). `known_scopes` are the
    /// server's scopes (`None`: not known here, e.g. in the browser before they load).
    pub fn problems(&self, known_scopes: Option<&[String]>) -> Vec<MetadataProblem> {
        let mut out = Vec::new();
        let mut metadata = |field: &'static str, message: String| {
            out.push(MetadataProblem { error: "invalid_client_metadata", field, message });
        };
        let name_chars = self.client_name.chars().count();
        if name_chars == 0 {
            metadata("client_name", "client_name is required".into());
        } else if name_chars > MAX_NAME_CHARS || self.client_name.chars().any(char::is_control) {
            metadata("client_name", format!("client_name must be at most {MAX_NAME_CHARS} characters, one line"));
        }
        for grant in self.grant_types.iter().filter(|g| !grant::ALL.contains(&g.as_str())) {
            metadata("grant_types", format!("grant type `{grant}` is not supported"));
        }
        for rt in self.response_types.iter().filter(|r| !RESPONSE_TYPES.contains(&r.as_str())) {
            metadata("response_types", format!("response type `{rt}` is not supported"));
        }
        if !AUTH_METHODS.contains(&self.token_endpoint_auth_method.as_str()) {
            metadata(
                "token_endpoint_auth_method",
                format!("`{}` is not one of {}", self.token_endpoint_auth_method, AUTH_METHODS.join(", ")),
            );
        }
        if !APPLICATION_TYPES.contains(&self.application_type.as_str()) {
            metadata("application_type", format!("`{}` is not one of web, native", self.application_type));
        }
        // RFC 7591 §2.1: grant types and response types must agree.
        let grants = |g: &str| self.grant_types.iter().any(|x| x == g);
        let has_code = self.response_types.iter().any(|r| r.split(' ').any(|p| p == "code"));
        let has_implicit = self.response_types.iter().any(|r| r.split(' ').any(|p| p == "token" || p == "id_token"));
        if grants("authorization_code") && !has_code {
            metadata("response_types", "the authorization_code grant needs the `code` response type".into());
        }
        if has_code && !grants("authorization_code") {
            metadata("grant_types", "response type `code` needs the authorization_code grant".into());
        }
        if has_implicit && !grants("implicit") {
            metadata("grant_types", "response types with `token` or `id_token` need the implicit grant".into());
        }
        if grants("implicit") && !has_implicit {
            metadata("response_types", "the implicit grant needs a response type with `token` or `id_token`".into());
        }
        if self.is_public() && grants("client_credentials") {
            metadata(
                "grant_types",
                "a public client (token_endpoint_auth_method none) cannot use client_credentials".into(),
            );
        }
        if let Some(known) = known_scopes {
            for scope in self.scope.split(' ').filter(|s| !s.is_empty()) {
                if !known.iter().any(|k| k == scope) {
                    metadata("scope", format!("scope `{scope}` does not exist"));
                }
            }
        }
        for (field, value) in [
            ("logo_uri", &self.logo_uri),
            ("client_uri", &self.client_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
        ] {
            if let Some(problem) = value.as_deref().and_then(https_problem) {
                metadata(field, format!("{field}: {problem}"));
            }
        }
        for contact in &self.contacts {
            if email_problem(contact).is_some() {
                metadata("contacts", format!("contact `{contact}` is not an email address"));
            }
        }
        if let Some(ttl) = self.access_token_ttl {
            if !(ACCESS_TTL_RANGE.0..=ACCESS_TTL_RANGE.1).contains(&ttl) {
                let (lo, hi) = ACCESS_TTL_RANGE;
                metadata("access_token_ttl", format!("access_token_ttl must be from {lo} to {hi} seconds"));
            }
        }
        if let Some(alg) = self.id_token_signed_response_alg.as_deref() {
            if !ID_TOKEN_SIGNING_ALGS.contains(&alg) {
                let allowed = ID_TOKEN_SIGNING_ALGS.join(", ");
                metadata(
                    "id_token_signed_response_alg",
                    format!("id_token_signed_response_alg must be one of {allowed}"),
                );
            }
        }
        if self.refresh_token_ttl.is_some_and(|ttl| ttl > REFRESH_TTL_MAX) {
            metadata("refresh_token_ttl", format!("refresh_token_ttl must be at most {REFRESH_TTL_MAX} seconds"));
        }
        // OIDC Back-Channel Logout §2.2: absolute, no fragment; https (http on loopback).
        if let Some(uri) = self.backchannel_logout_uri.as_deref() {
            if let Some(problem) = redirect_uri_problem(uri, false) {
                metadata("backchannel_logout_uri", format!("backchannel_logout_uri: {problem}"));
            }
        }
        // RFC 7523 §2.2 / RFC 7591 §2: a private_key_jwt client names its keys one way.
        match (self.token_endpoint_auth_method.as_str(), &self.jwks, &self.jwks_uri) {
            ("private_key_jwt", Some(_), Some(_)) => {
                metadata("jwks", "give jwks or jwks_uri, not both (RFC 7591 §2)".into())
            }
            ("private_key_jwt", None, None) => {
                metadata("jwks", "private_key_jwt needs the client's public keys: jwks or jwks_uri".into())
            }
            ("private_key_jwt", _, _) => {}
            (_, None, None) => {}
            (_, _, _) => {
                metadata("jwks", "jwks and jwks_uri are for token_endpoint_auth_method private_key_jwt".into())
            }
        }
        if let Some(problem) = self.jwks.as_ref().and_then(jwks_problem) {
            metadata("jwks", problem);
        }
        if let Some(problem) = self.jwks_uri.as_deref().and_then(|u| redirect_uri_problem(u, false)) {
            metadata("jwks_uri", format!("jwks_uri: {problem}"));
        }
        if self.allowed_resources.len() > MAX_URIS {
            metadata("allowed_resources", format!("at most {MAX_URIS} resources"));
        }
        for resource in &self.allowed_resources {
            if let Some(problem) = crate::resources::identifier_problem(resource) {
                metadata("allowed_resources", format!("`{resource}`: {problem}"));
            }
        }
        out.extend(self.profile_problems());
        out.extend(self.rate_limit_problems());
        let needs_redirect = grants("authorization_code") || grants("implicit");
        if needs_redirect && self.redirect_uris.is_empty() {
            out.push(MetadataProblem {
                error: "invalid_redirect_uri",
                field: "redirect_uris",
                message: "the authorization_code and implicit grants need at least one redirect URI".into(),
            });
        }
        for (field, list) in
            [("redirect_uris", &self.redirect_uris), ("post_logout_redirect_uris", &self.post_logout_redirect_uris)]
        {
            if list.len() > MAX_URIS {
                out.push(MetadataProblem {
                    error: "invalid_redirect_uri",
                    field,
                    message: format!("at most {MAX_URIS} URIs"),
                });
            }
            for uri in list {
                let problem = match redirect_uri_problem(uri, self.is_native()) {
                    // RFC 8252 §8.6: a private-use scheme can be claimed by any app on the
                    // device, so only a public client (with PKCE) may use one.
                    None if private_use_scheme(uri) && !self.is_public() => {
                        Some("a private-use scheme is for public clients (token_endpoint_auth_method none)")
                    }
                    other => other,
                };
                if let Some(problem) = problem {
                    out.push(MetadataProblem {
                        error: "invalid_redirect_uri",
                        field,
                        message: format!("`{uri}`: {problem}"),
                    });
                }
            }
        }
        out
    }
}

fn loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// Whether `uri` uses a private-use URI scheme in reverse-domain form (RFC 8252 §7.1:
/// `com.example.app:/callback`): a scheme with a dot, neither http nor https.
pub fn private_use_scheme(uri: &str) -> bool {
    uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme.contains('.')
            && scheme.split('.').all(|label| !label.is_empty())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
    })
}

/// Why `uri` cannot be a redirect URI (RFC 6749 §3.1.2, RFC 8252 §7, docs/api.md
/// "Browser apps"): absolute, no fragment, no wildcards, no credentials; https, or http on loopback
/// (development and native apps); for `native` apps also a private-use scheme in
/// reverse-domain form (RFC 8252 §7.1).
pub fn redirect_uri_problem(uri: &str, native: bool) -> Option<&'static str> {
    if uri.chars().count() > MAX_URI_CHARS {
        return Some("too long");
    }
    if uri.contains('*') {
        return Some("wildcards are not allowed; register each URI exactly");
    }
    if uri.contains('#') {
        return Some("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    let Ok(url) = Url::parse(uri) else { return Some(unparsable(uri)) };
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not carry credentials");
    }
    let has_host = url.host_str().is_some_and(|h| !h.is_empty());
    match url.scheme() {
        "https" | "http" if !has_host => Some("must be an absolute URI with a host"),
        "https" => None,
        "http" if loopback(&url) => None,
        "http" => Some("must use https (http only for localhost and 127.0.0.1)"),
        _ if private_use_scheme(uri) && native => None,
        _ if private_use_scheme(uri) => Some("a private-use scheme is for native apps (application_type native)"),
        _ => Some("must use https, or for native apps a reverse-domain scheme such as com.example.app:/callback"),
    }
}

/// Why `uri` cannot be a logo, home page, terms or policy link: it must be https.
pub fn https_problem(uri: &str) -> Option<&'static str> {
    match Url::parse(uri) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty()) => None,
        Ok(_) => Some("must be an https URL"),
        Err(_) if !uri.is_ascii() => Some(unparsable(uri)),
        Err(_) => Some("must be an absolute https URL"),
    }
}

/// Why a URI did not parse. Host names are taken in ASCII only (the worker carries no
/// Unicode IDNA tables, docs/architecture.md): an internationalised one is registered in
/// its punycode form, as browsers send it.
fn unparsable(uri: &str) -> &'static str {
    if uri.is_ascii() {
        "must be an absolute URI"
    } else {
        "must be ASCII: write a non-ASCII host name in its punycode form (xn--...)"
    }
}

/// The members only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1):
/// a key that carries one is never taken where a public key belongs.
pub const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The most keys, and bytes, a client's inline JWK set may hold.
pub const MAX_JWKS_KEYS: usize = 10;
pub const MAX_JWKS_BYTES: usize = 16_384;

/// Why `jwks` is not a set of public keys this server can verify with (RFC 7517 §5:
/// `{"keys": [...]}`; RSA `n` `e`, EC P-256 `x` `y`, OKP Ed25519 `x`); `None` when it is.
pub fn jwks_problem(jwks: &serde_json::Value) -> Option<String> {
    if jwks.to_string().len() > MAX_JWKS_BYTES {
        return Some(format!("jwks is larger than {MAX_JWKS_BYTES} bytes"));
    }
    let Some(keys) = jwks.get("keys").and_then(|k| k.as_array()) else {
        return Some("jwks is a JWK set: {\"keys\": [...]} (RFC 7517 §5)".into());
    };
    if keys.is_empty() || keys.len() > MAX_JWKS_KEYS {
        return Some(format!("jwks holds 1 to {MAX_JWKS_KEYS} keys"));
    }
    for key in keys {
        let member = |m: &str| key.get(m).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).is_some();
        if PRIVATE_JWK_MEMBERS.iter().any(|m| key.get(*m).is_some()) {
            return Some("jwks must hold public keys only: a private key was sent, and should now be replaced".into());
        }
        let usable = match key.get("kty").and_then(|v| v.as_str()) {
            Some("RSA") => member("n") && member("e"),
            Some("EC") => key.get("crv").and_then(|v| v.as_str()) == Some("P-256") && member("x") && member("y"),
            Some("OKP") => key.get("crv").and_then(|v| v.as_str()) == Some("Ed25519") && member("x"),
            _ => false,
        };
        if !usable {
            return Some("each key is RSA (n, e), EC P-256 (x, y) or OKP Ed25519 (x)".into());
        }
    }
    None
}
