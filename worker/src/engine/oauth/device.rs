//! The device authorization grant (RFC 8628): codes, their life, and the store.
//!
//! A device gets a `device_code` (256 random bits, for polling) and a `user_code` (8
//! letters for a person to type). Both are stored only as keyed hashes. A code is
//! `pending` until the person answers on `/activate`, then `approved` or `denied`; an
//! approved code is redeemed once (`consumed`) by one conditional UPDATE.

use crate::engine::oauth::resources::GrantedResources;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::engine::crypto::jose::b64url;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

/// RFC 8628 §7.1's example alphabet: 20 consonants, no vowels (no words), no look-alikes.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters in a user code (20^8 ≈ 2^34.6 codes).
pub const USER_CODE_LENGTH: usize = 8;
/// The grant type of the polling request (RFC 8628 §3.4).
/// The polling interval we ask for (§3.2 default: 5 seconds).
pub const POLL_INTERVAL: u32 = 5;
/// How much `slow_down` adds to the interval (§3.5: "MUST be increased by 5 seconds").
pub const SLOW_DOWN_STEP: u32 = 5;

/// A random user code, `XXXX-XXXX` (rejection sampling: no letter more likely than another).
pub fn new_user_code(rng: &impl Random) -> Result<String, InternalError> {
    let mut code = String::with_capacity(USER_CODE_LENGTH + 1);
    let mut letters = 0;
    while letters < USER_CODE_LENGTH {
        let mut buf = [0u8; 16];
        rng.fill(&mut buf)?;
        // 240 = 12 × 20: bytes at or above it would favour the first letters.
        for byte in buf.into_iter().filter(|b| *b < 240) {
            if letters == USER_CODE_LENGTH {
                break;
            }
            if letters == 4 {
                code.push('-');
            }
            if let Some(letter) = USER_CODE_ALPHABET.get(usize::from(byte % 20)) {
                code.push(char::from(*letter));
                letters += 1;
            }
        }
    }
    Ok(code)
}

/// What a person typed, as the canonical `XXXX-XXXX`: any case, with or without the dash
/// or spaces (§6.1); `None` if it cannot be a user code.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let letters: String =
        input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
    let valid = letters.len() == USER_CODE_LENGTH && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then(|| format!("{}-{}", letters.get(..4).unwrap_or_default(), letters.get(4..).unwrap_or_default()))
}

/// The stored form of a user code: HMAC-SHA256 under `SECRET_KEY`. With only ~35 bits in
/// a code, a plain hash could be reversed by trying them all; the key prevents that.
pub fn user_code_hash(config: &Config, normalized: &str) -> Result<String, InternalError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(config.secret_key.expose().as_bytes())
        .map_err(|e| InternalError::new(format!("user code HMAC: {e}")))?;
    mac.update(b"device-user-code:");
    mac.update(normalized.as_bytes());
    Ok(b64url(&mac.finalize().into_bytes()))
}

/// The stored form of a device code (256 random bits: a plain SHA-256 is enough).
pub fn device_code_hash(device_code: &str) -> String {
    hash_token(device_code)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Consumed,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Consumed => "consumed",
        }
    }

    pub fn parse(value: &str) -> Result<Self, InternalError> {
        match value {
            "pending" => Ok(DeviceStatus::Pending),
            "approved" => Ok(DeviceStatus::Approved),
            "denied" => Ok(DeviceStatus::Denied),
            "consumed" => Ok(DeviceStatus::Consumed),
            other => Err(InternalError::new(format!("unknown device code status `{other}`"))),
        }
    }
}

/// A device authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub device_code_hash: String,
    pub user_code_hash: String,
    pub client_id: String,
    /// Requested at `/device`; on approval, what the person may grant of it.
    pub scope: String,
    pub status: DeviceStatus,
    pub user_id: Option<String>,
    pub auth_time: Option<UnixTime>,
    /// How the approving person signed in (RFC 8176, space-separated).
    pub amr: Option<String>,
    pub session_id: Option<String>,
    /// The polling interval the device must keep now (grows with each `slow_down`).
    pub interval: u32,
    pub last_polled_at: Option<UnixTime>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// The RFC 8707 resources named at `/device`, with those still registered.
    pub resources: GrantedResources,
}

/// What a poll of the token endpoint finds (RFC 8628 §3.5), before any tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Not this client's code, or no such code, or already redeemed: `invalid_grant`.
    Invalid,
    Expired,
    Denied,
    /// Still waiting; `slow_down` carries the grown interval when the device polled early.
    Pending {
        slow_down: Option<u32>,
    },
    /// Approved: redeem it (once).
    Approved,
}

/// Decides a poll by `client_id` at `now`; the new interval (if it grew) must be stored
/// with the poll time. Pure, so the arithmetic is tested with a controlled clock.
pub fn poll(code: Option<&DeviceCode>, client_id: &str, now: UnixTime) -> Poll {
    let Some(code) = code.filter(|c| c.client_id == client_id) else { return Poll::Invalid };
    match code.status {
        DeviceStatus::Consumed => Poll::Invalid,
        _ if now >= code.expires_at => Poll::Expired,
        DeviceStatus::Denied => Poll::Denied,
        DeviceStatus::Approved => Poll::Approved,
        DeviceStatus::Pending => {
            let early = code.last_polled_at.is_some_and(|last| now - last < i64::from(code.interval));
            Poll::Pending { slow_down: early.then(|| code.interval + SLOW_DOWN_STEP) }
        }
    }
}

#[allow(async_fn_in_trait)]
pub trait DeviceStore {
    /// Inserts a new pending code; `false` when its user code collides with a live one.
    async fn insert_device_code(&self, code: &DeviceCode) -> Result<bool, InternalError>;
    async fn device_code(&self, device_code_hash: &str) -> Result<Option<DeviceCode>, InternalError>;
    /// The pending, unexpired code with this user code.
    async fn pending_by_user_code(
        &self,
        user_code_hash: &str,
        now: UnixTime,
    ) -> Result<Option<DeviceCode>, InternalError>;
    /// Records a poll at `now` and the interval to keep from now on.
    async fn record_poll(&self, device_code_hash: &str, now: UnixTime, interval: u32) -> Result<(), InternalError>;
    /// The person's answer, only while the code is pending and live; whether it applied.
    async fn decide_device_code(&self, decision: &DeviceAnswer<'_>, now: UnixTime) -> Result<bool, InternalError>;
    /// Approved → consumed, atomically: `true` for exactly one caller.
    async fn consume_device_code(&self, device_code_hash: &str, now: UnixTime) -> Result<bool, InternalError>;
}

/// The person's answer on `/activate`.
pub struct DeviceAnswer<'a> {
    pub user_code_hash: &'a str,
    pub approve: bool,
    pub user_id: &'a str,
    /// What the person may grant of the request (e.g. no `admin` for a plain user).
    pub scope: &'a str,
    pub auth_time: UnixTime,
    pub amr: &'a str,
    pub session_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;

    fn pending(now: UnixTime) -> DeviceCode {
        DeviceCode {
            device_code_hash: "d".into(),
            user_code_hash: "u".into(),
            client_id: "tv".into(),
            scope: "openid".into(),
            status: DeviceStatus::Pending,
            user_id: None,
            auth_time: None,
            amr: None,
            session_id: None,
            interval: POLL_INTERVAL,
            last_polled_at: None,
            created_at: now,
            expires_at: now + 300,
            resources: GrantedResources::default(),
        }
    }

    #[test]
    fn rfc8628_6_1_user_codes_are_8_consonants_shown_as_xxxx_dash_xxxx() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let code = new_user_code(&SystemRandom).unwrap();
            assert_eq!(code.len(), 9);
            assert_eq!(code.as_bytes()[4], b'-');
            assert!(code.bytes().filter(|b| *b != b'-').all(|b| USER_CODE_ALPHABET.contains(&b)), "{code}");
            seen.insert(code);
        }
        assert!(seen.len() > 195, "random: {} distinct of 200", seen.len());
        assert_eq!(USER_CODE_ALPHABET.len(), 20);
        assert!(USER_CODE_ALPHABET.iter().all(|c| !b"AEIOUY".contains(c)), "no vowels, so no words");
    }

    #[test]
    fn rfc8628_6_1_typed_codes_are_accepted_in_any_case_with_or_without_the_dash() {
        for typed in ["WDJB-MJHT", "wdjb-mjht", "WDJBMJHT", "wdjbmjht", " wdjb mjht ", "Wd-Jb-Mj-Ht"] {
            assert_eq!(normalize_user_code(typed).as_deref(), Some("WDJB-MJHT"), "{typed}");
        }
        for wrong in ["WDJB-MJH", "WDJB-MJHTX", "WDJB-MJHA", "WDJB_MJHT", "", "ÄDJB-MJHT"] {
            assert_eq!(normalize_user_code(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn rfc8628_3_5_polling_early_gets_slow_down_and_the_interval_grows_by_5_each_time() {
        let t0 = 1_000;
        let mut code = pending(t0);
        assert_eq!(poll(Some(&code), "tv", t0), Poll::Pending { slow_down: None }, "first poll");
        code.last_polled_at = Some(t0);
        assert_eq!(poll(Some(&code), "tv", t0 + 4), Poll::Pending { slow_down: Some(10) }, "4 s < 5 s");
        code.last_polled_at = Some(t0 + 4);
        code.interval = 10;
        assert_eq!(poll(Some(&code), "tv", t0 + 13), Poll::Pending { slow_down: Some(15) }, "9 s < 10 s");
        code.last_polled_at = Some(t0 + 13);
        code.interval = 15;
        assert_eq!(poll(Some(&code), "tv", t0 + 28), Poll::Pending { slow_down: None }, "15 s: on time");
    }

    #[test]
    fn rfc8628_3_5_answers_follow_the_codes_state() {
        let t0 = 1_000;
        let mut code = pending(t0);
        assert_eq!(poll(Some(&code), "other-client", t0), Poll::Invalid, "another client's code");
        assert_eq!(poll(None, "tv", t0), Poll::Invalid);
        assert_eq!(poll(Some(&code), "tv", t0 + 300), Poll::Expired);
        code.status = DeviceStatus::Denied;
        assert_eq!(poll(Some(&code), "tv", t0 + 10), Poll::Denied);
        code.status = DeviceStatus::Approved;
        assert_eq!(poll(Some(&code), "tv", t0 + 10), Poll::Approved);
        assert_eq!(poll(Some(&code), "tv", t0 + 300), Poll::Expired, "approved too late");
        code.status = DeviceStatus::Consumed;
        assert_eq!(poll(Some(&code), "tv", t0 + 10), Poll::Invalid, "redeemed once");
        assert_eq!(poll(Some(&code), "tv", t0 + 400), Poll::Invalid);
    }
}
