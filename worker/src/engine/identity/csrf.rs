//! CSRF protection for the browser apps' state-changing calls: a signed double-submit
//! token bound to the browser's session (OWASP CSRF Prevention Cheat Sheet, "Signed
//! Double-Submit Cookie").
//!
//! A token is `<128 random bits>.<HMAC-SHA256 of them and the session cookie>`, the MAC
//! under a key derived from `SECRET_KEY` (HKDF-SHA256, RFC 5869). The `authority_csrf`
//! cookie (HttpOnly, SameSite=Lax; `__Host-` on https) holds it; the SPA learns the same
//! value from `GET /api/session` (same-origin only) and echoes it in `X-CSRF-Token`. A
//! request passes when header and cookie are equal and the MAC matches the session cookie
//! the request carries now: a cross-site page can make the browser send the cookie but
//! can neither read the token nor set the header, and a token planted before sign-in (or
//! taken from another session) is worth nothing once the session changes.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::engine::crypto::jose::b64url;
use crate::engine::platform::config::Secret;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::Random;

pub const CSRF_COOKIE: &str = "authority_csrf";

const HKDF_SALT: &[u8] = b"authority/csrf/v1";

fn mac(secret: &Secret, session: Option<&str>, nonce: &str) -> Result<String, InternalError> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.expose().as_bytes())
        .expand(b"csrf hmac-sha256", &mut key)
        .map_err(|_| InternalError::new("HKDF output length invalid"))?;
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|_| InternalError::new("HMAC key length invalid"))?;
    // Length-prefixed, so no two (session, nonce) pairs give the same input.
    let session = session.unwrap_or_default();
    mac.update(&(session.len() as u64).to_be_bytes());
    mac.update(session.as_bytes());
    mac.update(nonce.as_bytes());
    Ok(b64url(&mac.finalize().into_bytes()))
}

/// A new token bound to `session` (the session cookie's value; `None` before sign-in).
pub fn issue(secret: &Secret, session: Option<&str>, rng: &impl Random) -> Result<String, InternalError> {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes)?;
    let nonce = b64url(&bytes);
    Ok(format!("{nonce}.{}", mac(secret, session, &nonce)?))
}

/// Whether `token` was issued for `session`.
pub fn bound(secret: &Secret, session: Option<&str>, token: &str) -> bool {
    let Some((nonce, tag)) = token.split_once('.') else { return false };
    match mac(secret, session, nonce) {
        Ok(expected) => bool::from(expected.as_bytes().ct_eq(tag.as_bytes())),
        Err(_) => false,
    }
}

/// Whether a request passes: the echoed token equals the cookie, and it is bound to the
/// session the request carries.
pub fn valid(secret: &Secret, session: Option<&str>, cookie: Option<&str>, echoed: Option<&str>) -> bool {
    match (cookie, echoed) {
        (Some(cookie), Some(echoed)) if !cookie.is_empty() => {
            bool::from(cookie.as_bytes().ct_eq(echoed.as_bytes())) && bound(secret, session, cookie)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;
    use crate::engine::test_support::config_with;

    #[test]
    fn the_header_must_echo_the_cookie_and_the_token_must_be_this_sessions() {
        let secret = config_with(|_| {}).secret_key;
        let token = issue(&secret, Some("session-1"), &SystemRandom).unwrap();
        assert!(valid(&secret, Some("session-1"), Some(&token), Some(&token)));
        assert!(!valid(&secret, Some("session-1"), Some(&token), None));
        assert!(!valid(&secret, Some("session-1"), None, Some(&token)));
        let other = issue(&secret, Some("session-1"), &SystemRandom).unwrap();
        assert!(!valid(&secret, Some("session-1"), Some(&token), Some(&other)), "header and cookie differ");
        // The same token after the session changed (sign-in, sign-out, another browser's).
        assert!(!valid(&secret, Some("session-2"), Some(&token), Some(&token)));
        assert!(!valid(&secret, None, Some(&token), Some(&token)));
        // Before sign-in a token is bound to "no session".
        let anonymous = issue(&secret, None, &SystemRandom).unwrap();
        assert!(valid(&secret, None, Some(&anonymous), Some(&anonymous)));
        assert!(!valid(&secret, Some("session-1"), Some(&anonymous), Some(&anonymous)));
        // Not forgeable without SECRET_KEY, and an old random token is no token.
        let other_secret = config_with(|v| {
            v.insert("SECRET_KEY", "another-secret-another-secret-another-1".into());
        })
        .secret_key;
        assert!(!valid(&other_secret, Some("session-1"), Some(&token), Some(&token)));
        let plain = "a".repeat(43);
        assert!(!valid(&secret, None, Some(&plain), Some(&plain)));
        assert!(!valid(&secret, None, Some(""), Some("")));
    }
}
