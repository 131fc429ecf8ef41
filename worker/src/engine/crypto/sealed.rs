//! Sealing data at rest under `SECRET_KEY`: AES-256-GCM with a key derived by
//! HKDF-SHA256 (RFC 5869). Used for the private halves of signing keys.
//!
//! Format: `v1.<96-bit nonce, base64url>.<ciphertext and 128-bit tag, base64url>`.
//! The caller passes associated data that names what is sealed (the kid), so a sealed
//! value copied onto another row fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::engine::crypto::jose::{b64url, b64url_decode};
use crate::engine::platform::config::Secret;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::Random;

const VERSION: &str = "v1";
/// Fixed salt and info strings give one key per purpose (RFC 5869 §3.1–3.2).
const HKDF_SALT: &[u8] = b"authority/sealed/v1";

/// What a sealed value protects; one derived key per purpose.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    SigningKey,
    /// A `client_secret_jwt` client's secret (the HMAC key of its assertions), at rest.
    ClientSecret,
    /// A rotated refresh token's successor, kept for the reuse grace period.
    RefreshSuccessor,
    /// A verified authorization request on its way through sign-in and consent.
    AuthorizationRequest,
    /// A user's TOTP shared secret (RFC 6238), at rest.
    TotpSecret,
    /// A password sign-in waiting for its second factor (the `authority_mfa` cookie).
    MfaChallenge,
    /// A sign-in at another identity provider in progress (the `authority_social` cookie).
    FederationFlow,
    /// A provider's access and refresh tokens kept beside a linked identity, at rest.
    ProviderTokens,
    /// The grant of a password reset's review of passkeys and linked providers.
    ResetReview,
    /// An outbound message waiting for delivery (a mail's link may be a credential).
    Delivery,
    /// A secret run-time setting (`SMTP_PASSWORD`, ...) in the `settings` table.
    Setting,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Purpose::SigningKey => b"signing-key aes-256-gcm",
            Purpose::ClientSecret => b"client-secret aes-256-gcm",
            Purpose::RefreshSuccessor => b"refresh-successor aes-256-gcm",
            Purpose::AuthorizationRequest => b"authorization-request aes-256-gcm",
            Purpose::TotpSecret => b"totp-secret aes-256-gcm",
            Purpose::MfaChallenge => b"mfa-challenge aes-256-gcm",
            Purpose::FederationFlow => b"federation-flow aes-256-gcm",
            Purpose::ProviderTokens => b"provider-tokens aes-256-gcm",
            Purpose::Delivery => b"delivery aes-256-gcm",
            Purpose::Setting => b"setting aes-256-gcm",
            Purpose::ResetReview => b"reset-review aes-256-gcm",
        }
    }
}

fn cipher(secret: &Secret, purpose: Purpose) -> Result<Aes256Gcm, InternalError> {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.expose().as_bytes());
    let mut key = [0u8; 32];
    hk.expand(purpose.info(), &mut key).map_err(|_| InternalError::new("HKDF output length invalid"))?;
    Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)))
}

pub fn seal(
    secret: &Secret,
    purpose: Purpose,
    associated_data: &[u8],
    plaintext: &[u8],
    rng: &impl Random,
) -> Result<String, InternalError> {
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce)?;
    let ciphertext = cipher(secret, purpose)?
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: associated_data })
        .map_err(|_| InternalError::new("AES-GCM encryption failed"))?;
    Ok(format!("{VERSION}.{}.{}", b64url(&nonce), b64url(&ciphertext)))
}

pub fn open(secret: &Secret, purpose: Purpose, associated_data: &[u8], sealed: &str) -> Result<Vec<u8>, InternalError> {
    let mut parts = sealed.split('.');
    let (Some(VERSION), Some(nonce), Some(ciphertext), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InternalError::new("sealed value is not in the v1 format"));
    };
    let nonce = b64url_decode(nonce)?;
    let ciphertext = b64url_decode(ciphertext)?;
    if nonce.len() != 12 {
        return Err(InternalError::new("sealed value has a bad nonce length"));
    }
    cipher(secret, purpose)?
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: associated_data })
        .map_err(|_| {
            InternalError::new(
                "sealed value does not open: SECRET_KEY differs from the one that sealed it, or the data was altered",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;

    fn secret(s: &str) -> Secret {
        Secret::for_tests(s)
    }

    #[test]
    fn seal_open_round_trip() {
        let key = secret("a-very-long-secret-key-for-tests-only-123456");
        let sealed = seal(&key, Purpose::SigningKey, b"kid-1", b"private key bytes", &SystemRandom).unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("private"));
        assert_eq!(open(&key, Purpose::SigningKey, b"kid-1", &sealed).unwrap(), b"private key bytes");
    }

    #[test]
    fn a_fresh_nonce_each_time() {
        let key = secret("a-very-long-secret-key-for-tests-only-123456");
        let a = seal(&key, Purpose::SigningKey, b"k", b"same", &SystemRandom).unwrap();
        let b = seal(&key, Purpose::SigningKey, b"k", b"same", &SystemRandom).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_secret_other_row_or_tampering_fail_to_open() {
        let key = secret("a-very-long-secret-key-for-tests-only-123456");
        let other = secret("another-long-secret-key-for-tests-only-6543");
        let sealed = seal(&key, Purpose::SigningKey, b"kid-1", b"data", &SystemRandom).unwrap();
        assert!(open(&other, Purpose::SigningKey, b"kid-1", &sealed).is_err());
        assert!(open(&key, Purpose::SigningKey, b"kid-2", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(open(&key, Purpose::SigningKey, b"kid-1", &tampered).is_err());
        for garbage in ["", "v1", "v1..", "v2.AAAA.AAAA", "v1.!!.??", "v1.AAAA.AAAA.AAAA"] {
            assert!(open(&key, Purpose::SigningKey, b"kid-1", garbage).is_err(), "{garbage}");
        }
    }
}
