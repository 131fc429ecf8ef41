//! Backup codes: ten single-use codes handed out once, for when the authenticator app is
//! lost. Each has 49.5 random bits (ten characters of a 31-letter alphabet without
//! 0/o, 1/l/i) and is stored as HMAC-SHA256 under a key from `SECRET_KEY`, bound to the user:
//! a copy of the table cannot be searched offline, nor a code moved to another account.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::mfa::BACKUP_CODE_COUNT;

use crate::engine::crypto::jose::b64url;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::Random;

/// 31 letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// `n` characters of [`ALPHABET`], uniformly: five random bits each, 31 rejected.
fn random_chars(rng: &impl Random, n: usize) -> Result<String, InternalError> {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)?;
        for b in bytes {
            if let (Some(c), true) = (ALPHABET.get(usize::from(b & 31)), out.len() < n) {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// [`BACKUP_CODE_COUNT`] new codes, formatted `xxxxx-xxxxx`.
pub fn generate(rng: &impl Random) -> Result<Vec<String>, InternalError> {
    let mut codes = Vec::with_capacity(BACKUP_CODE_COUNT);
    for _ in 0..BACKUP_CODE_COUNT {
        let chars = random_chars(rng, 10)?;
        let (left, right) = chars.split_at(5);
        codes.push(format!("{left}-{right}"));
    }
    Ok(codes)
}

/// The stored form of `normalized` (lower case, no dash) for `user_id`.
pub fn hash(config: &Config, user_id: &str, normalized: &str) -> Result<String, InternalError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(config.secret_key.expose().as_bytes())
        .map_err(|e| InternalError::new(format!("backup code HMAC: {e}")))?;
    mac.update(b"mfa-backup-code:");
    mac.update(user_id.as_bytes());
    mac.update(b":");
    mac.update(normalized.as_bytes());
    Ok(b64url(&mac.finalize().into_bytes()))
}
