//! Client-based CORS (docs/api.md, "Browser apps"): a browser app may call the client-bound
//! endpoints (`/token`, `/token/revoke`, `/device`, `/userinfo`) from an origin of one of
//! its registered redirect URIs (RFC 6454 origins, WHATWG serialisation, as browsers send
//! them in `Origin`), and from no other. A request from another origin is refused before
//! it does anything, so a page that merely knows a public client's id cannot redeem its
//! codes or refresh its tokens.

use crate::engine::clients::Client;

/// The origin of an `http(s)` URI (`https://app.example`, `http://127.0.0.1:5173`);
/// `None` for URIs without a web origin (private-use schemes of native apps).
pub fn web_origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// Whether `origin` (a request's `Origin` header) is an origin of one of `client`'s
/// redirect URIs. Exact: scheme, host and port all count.
pub fn allows_origin(client: &Client, origin: &str) -> bool {
    client.redirect_uris.iter().filter_map(|uri| web_origin(uri)).any(|allowed| allowed == origin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::fixtures::public_app;

    #[test]
    fn origin_of_a_redirect_uri_is_scheme_host_and_port() {
        assert_eq!(web_origin("https://App.Example/cb?x=1").as_deref(), Some("https://app.example"));
        assert_eq!(web_origin("https://app.example:443/cb").as_deref(), Some("https://app.example"));
        assert_eq!(web_origin("http://127.0.0.1:5173/callback").as_deref(), Some("http://127.0.0.1:5173"));
        assert_eq!(web_origin("com.example.app:/callback"), None);
        assert_eq!(web_origin("not a uri"), None);
    }

    #[test]
    fn only_origins_of_registered_redirect_uris_are_allowed() {
        let mut client = public_app();
        client.redirect_uris = vec!["https://spa.example/callback".into(), "com.example.app:/cb".into()];
        assert!(allows_origin(&client, "https://spa.example"));
        assert!(!allows_origin(&client, "https://spa.example:8443"));
        assert!(!allows_origin(&client, "http://spa.example"));
        assert!(!allows_origin(&client, "https://evil.example"));
        assert!(!allows_origin(&client, "null"));
    }
}
