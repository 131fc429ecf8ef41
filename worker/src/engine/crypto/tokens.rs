//! Random values and the hash every secret, code and token is stored under.
//!
//! Codes, refresh tokens, client secrets, session ids and mailed links are 256-bit random
//! values, so a single SHA-256 is the right way to keep them at rest: there is nothing to
//! brute-force, and a stolen table gives away no usable credential (RFC 6819 §5.1.4.1.3).

use sha2::{Digest, Sha256};

use crate::engine::crypto::jose::b64url;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::Random;

/// SHA-256 of a high-entropy token, base64url: how tokens are stored and looked up.
pub fn hash_token(token: &str) -> String {
    b64url(&Sha256::digest(token.as_bytes()))
}

/// 256 random bits, base64url: every code, token, secret and session id.
pub fn random_token(rng: &impl Random) -> Result<String, InternalError> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes)?;
    Ok(b64url(&bytes))
}

/// A random UUID v4 (RFC 9562 §5.4) for row ids.
pub fn new_uuid(rng: &impl Random) -> Result<String, InternalError> {
    let mut b = [0u8; 16];
    rng.fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;

    #[test]
    fn rfc9562_uuids_are_version_4() {
        let id = new_uuid(&SystemRandom).unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, new_uuid(&SystemRandom).unwrap());
    }

    #[test]
    fn tokens_are_256_bit_and_stored_as_their_sha256() {
        let token = random_token(&SystemRandom).unwrap();
        assert_eq!(token.len(), 43);
        assert_ne!(token, random_token(&SystemRandom).unwrap());
        // SHA-256("abc"), base64url (FIPS 180-2 test vector).
        assert_eq!(hash_token("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
