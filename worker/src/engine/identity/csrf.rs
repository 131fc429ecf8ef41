//! CSRF protection for the SPA's state-changing calls (double-submit token).
//!
//! The `authority_csrf` cookie (HttpOnly, SameSite=Lax) holds 256 random bits; the SPA
//! learns the same value from `GET /api/session` (same-origin only: no CORS) and echoes it
//! in `X-CSRF-Token`. A cross-site page can make the browser send the cookie but can
//! neither read the token nor set the header without a CORS preflight we never grant.

use subtle::ConstantTimeEq;

pub const CSRF_COOKIE: &str = "authority_csrf";

/// Whether the header matches the cookie (both present, 43 characters, equal).
pub fn valid(cookie: Option<&str>, header: Option<&str>) -> bool {
    match (cookie, header) {
        (Some(cookie), Some(header)) if cookie.len() == 43 => bool::from(cookie.as_bytes().ct_eq(header.as_bytes())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_must_echo_the_cookie() {
        let token = "a".repeat(43);
        assert!(valid(Some(&token), Some(&token)));
        assert!(!valid(Some(&token), None));
        assert!(!valid(None, Some(&token)));
        assert!(!valid(Some(&token), Some(&"b".repeat(43))));
        assert!(!valid(Some(""), Some("")), "an empty cookie is no token");
    }
}
