//! Where a browser goes back to after a step (`?next=` on the SPA's pages, the social
//! sign-in's `forward_url`): one rule for the server and the SPA. The value is resolved as
//! a URL against this server's origin, the way a browser will resolve it, and kept only
//! when the result is at that origin: never another site (no open redirect).

/// The path (with query and fragment) `value` leads to at `origin`, or `None` when it
/// leads elsewhere or cannot be trusted. Refused outright: any control character and any
/// backslash, since browsers drop TAB and newlines from URLs and read `\` as `/` (so
/// `/<TAB>/evil.example` would become `//evil.example`, another host).
pub fn local_target(value: &str, origin: &str) -> Option<String> {
    if value.is_empty() || value.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = url::Url::parse(origin).ok()?;
    let resolved = base.join(value).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut target = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        target.push('#');
        target.push_str(fragment);
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
