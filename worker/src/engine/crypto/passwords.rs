//! Password hashing: argon2id with OWASP's minimum parameters (m=19456 KiB, t=2, p=1),
//! stored as PHC strings. About 90 ms of CPU in workerd (docs/architecture.md): fine on
//! Workers Paid, and the reason the routes that hash are rate-limited.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::Random;

fn argon2() -> Result<Argon2<'static>, InternalError> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| InternalError::new(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash_password(password: &str, rng: &impl Random) -> Result<String, InternalError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| InternalError::new(format!("salt: {e}")))?;
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| InternalError::new(format!("argon2 hash: {e}")))?
        .to_string())
}

/// Whether `password` matches the PHC string. A stored hash that does not parse is an
/// internal error, not a wrong password.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, InternalError> {
    let parsed = PasswordHash::new(phc).map_err(|e| InternalError::new(format!("stored password hash: {e}")))?;
    Ok(argon2()?.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Spends the same work as a real verification, so that "no such user" and "wrong
/// password" take equally long (no account enumeration by timing).
/// A fixed, valid argon2id hash (same parameters) that no password is known to match.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$F0aKzBAu5K3xIQv2p8JxUnA0s3f1rGq3T3u4n0k8q3E";

pub fn burn_verification_time(password: &str) {
    if let Ok(parsed) = PasswordHash::new(DUMMY) {
        if let Ok(a) = argon2() {
            let _ = a.verify_password(password.as_bytes(), &parsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;

    #[test]
    fn argon2id_round_trip_with_owasp_parameters() {
        let phc = hash_password("correct horse battery staple", &SystemRandom).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery staple", &phc).unwrap());
        assert!(!verify_password("Correct horse battery staple", &phc).unwrap());
        assert_ne!(phc, hash_password("correct horse battery staple", &SystemRandom).unwrap(), "salted");
        assert!(verify_password("x", "not a phc string").is_err());
    }

    #[test]
    fn the_timing_decoy_is_a_real_argon2id_hash_with_the_same_cost() {
        // If the decoy stopped parsing, unknown users would answer faster than known ones.
        assert_eq!(verify_password("anything", DUMMY), Ok(false));
        assert!(DUMMY.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        burn_verification_time("anything");
    }
}
