//! Where a browser goes back to after a step (`?next=` on the SPA's pages, the social
//! sign-in's `forward_url`): one rule for the server and the SPA. The value is resolved as
//! a URL against this server's origin, the way a browser will resolve it, and kept only
//! when the result is at that origin: never another site (no open redirect).

/// What the rule needs of a URL resolved by a WHATWG URL parser (the URL Standard's
/// "URL parser" with a base): the origins' serializations and the URL's parts.
pub struct Resolved {
    /// The base's origin (the server's issuer may have a path; its origin has none).
    pub base_origin: String,
    /// The ASCII serialization of the URL's origin (`"null"` for an opaque one).
    pub origin: String,
    pub path: String,
    /// Without the `?`.
    pub query: Option<String>,
    /// Without the `#`.
    pub fragment: Option<String>,
}

/// The path (with query and fragment) `value` leads to at `origin`, or `None` when it
/// leads elsewhere or cannot be trusted, resolved by the `url` crate (the server's parser).
pub fn local_target(value: &str, origin: &str) -> Option<String> {
    local_target_by(value, origin, |value, origin| {
        let base = url::Url::parse(origin).ok()?;
        let resolved = base.join(value).ok()?;
        Some(Resolved {
            base_origin: base.origin().ascii_serialization(),
            origin: resolved.origin().ascii_serialization(),
            path: resolved.path().to_owned(),
            query: resolved.query().map(str::to_owned),
            fragment: resolved.fragment().map(str::to_owned),
        })
    })
}

/// The rule, with the URL parser given: the browser passes its own (`new URL(value,
/// origin)`), which keeps a URL parser out of the pages' module and resolves exactly as
/// the navigation will. Refused outright: any control character and any backslash, since
/// browsers drop TAB and newlines from URLs and read `\` as `/` (so `/<TAB>/evil.example`
/// would become `//evil.example`, another host); an opaque origin is never this one.
pub fn local_target_by(
    value: &str,
    origin: &str,
    resolve: impl FnOnce(&str, &str) -> Option<Resolved>,
) -> Option<String> {
    if value.is_empty() || value.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let resolved = resolve(value, origin)?;
    if resolved.origin == "null" || resolved.origin != resolved.base_origin {
        return None;
    }
    let mut target = resolved.path;
    if let Some(query) = resolved.query {
        target.push('?');
        target.push_str(&query);
    }
    if let Some(fragment) = resolved.fragment {
        target.push('#');
        target.push_str(&fragment);
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://id.example.com";

    #[test]
    fn paths_and_urls_at_this_origin_are_kept() {
        assert_eq!(local_target("/account", ORIGIN).as_deref(), Some("/account"));
        assert_eq!(
            local_target("/authorize/resume?request=x#y", ORIGIN).as_deref(),
            Some("/authorize/resume?request=x#y")
        );
        assert_eq!(local_target("https://id.example.com/admin", ORIGIN).as_deref(), Some("/admin"));
        assert_eq!(local_target("https://ID.example.com:443/x", ORIGIN).as_deref(), Some("/x"));
        // An issuer with a path: its origin is what counts.
        assert_eq!(local_target("/account", "https://id.example.com/auth").as_deref(), Some("/account"));
    }

    #[test]
    fn other_sites_however_written_are_refused() {
        for value in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "https://id.example.com.evil.example/",
            "http://id.example.com/",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(local_target(value, ORIGIN), None, "{value:?}");
        }
    }
}
