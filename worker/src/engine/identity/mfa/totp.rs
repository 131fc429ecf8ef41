//! Time-based one-time passwords (RFC 6238 over HOTP, RFC 4226): HMAC-SHA1, six digits,
//! 30-second steps, the defaults every authenticator app uses (Google Authenticator
//! ignores any other `algorithm`/`digits`/`period` in the URI).

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

/// RFC 6238 §4.1 X: the time step.
pub const STEP_SECONDS: i64 = 30;
/// RFC 4226 §5.3 Digit.
pub const DIGITS: u32 = 6;
/// RFC 4226 §4 R6 recommends at least 128 bits, 160 bits for SHA-1's block: 20 bytes.
const SECRET_BYTES: usize = 20;
/// RFC 6238 §5.2: accept one step either side, for clock drift and typing time.
const WINDOW: i64 = 1;

/// A new shared secret.
pub fn new_secret(rng: &impl Random) -> Result<Vec<u8>, InternalError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rng.fill(&mut secret)?;
    Ok(secret)
}

/// The secret as the apps take it: base32 (RFC 4648 §6) without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The time step `now` falls in (RFC 6238 §4.2 T, with T0 = 0).
pub fn step_of(now: UnixTime) -> i64 {
    now.div_euclid(STEP_SECONDS)
}

/// HOTP (RFC 4226 §5.3): dynamic truncation of HMAC-SHA1(secret, counter), `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> Result<u32, InternalError> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).map_err(|_| InternalError::new("HMAC key invalid"))?;
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash.get(19).copied().unwrap_or(0) & 0x0f);
    let window = hash.get(offset..offset + 4).ok_or_else(|| InternalError::new("HOTP offset out of range"))?;
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(window);
    let binary = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    Ok(binary % 10u32.pow(digits))
}

/// The six-digit code of `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> Result<String, InternalError> {
    let counter = u64::try_from(step).map_err(|_| InternalError::new("TOTP step before 1970"))?;
    Ok(format!("{:06}", hotp(secret, counter, DIGITS)?))
}

/// The step whose code `code` is, within the window around `now` and after `last_step`
/// (RFC 6238 §5.2: a verifier must not accept the same code twice), or `None`.
/// Every candidate is computed and compared in constant time, so the timing does not
/// say which step matched.
pub fn matching_step(secret: &[u8], code: &str, now: UnixTime, last_step: i64) -> Result<Option<i64>, InternalError> {
    use subtle::ConstantTimeEq;
    let current = step_of(now);
    let mut found = None;
    for step in (current - WINDOW)..=(current + WINDOW) {
        let expected = code_at(secret, step)?;
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

/// The `otpauth://` URI of the Key Uri Format the apps scan: label `issuer:account`,
/// with the issuer repeated as a parameter (some apps read only one of the two).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        secret_base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            let counter = u64::try_from(step_of(time)).unwrap();
            assert_eq!(format!("{:08}", hotp(SEED, counter, 8).unwrap()), expected, "T = {time}");
            // Six digits are the same number's last six.
            assert_eq!(code_at(SEED, step_of(time)).unwrap(), expected[2..], "T = {time}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(hotp(SEED, counter as u64, 6).unwrap(), *value);
        }
    }

    #[test]
    fn rfc6238_5_2_one_step_either_side_is_accepted_and_two_are_not() {
        let now = 1_700_000_015;
        let step = step_of(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(SEED, step + offset).unwrap();
            assert_eq!(matching_step(SEED, &code, now, 0).unwrap(), accepted.then_some(step + offset), "{offset}");
        }
    }

    #[test]
    fn rfc6238_5_2_a_code_is_not_accepted_twice() {
        let now = 1_700_000_015;
        let code = code_at(SEED, step_of(now)).unwrap();
        let used = matching_step(SEED, &code, now, 0).unwrap().unwrap();
        assert_eq!(matching_step(SEED, &code, now, used).unwrap(), None, "the same code again");
        // An older step's code, after a newer one was accepted, is refused too.
        let previous = code_at(SEED, step_of(now) - 1).unwrap();
        assert_eq!(matching_step(SEED, &previous, now, used).unwrap(), None);
    }

    #[test]
    fn the_uri_carries_the_base32_secret_and_the_issuer() {
        let uri = otpauth_uri("Authority", "ann@example.com", SEED);
        assert_eq!(
            uri,
            "otpauth://totp/Authority:ann%40example%2Ecom?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Authority\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
