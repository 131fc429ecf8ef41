//! A password sign-in waiting for its second factor. No session exists until the code is
//! shown: the browser holds only this sealed, short-lived note (AES-256-GCM under
//! `SECRET_KEY`) of who proved the password and when, in the `authority_mfa` cookie.

use serde::{Deserialize, Serialize};
use shared::mfa::SignInStep;

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

/// The cookie that carries the sealed challenge.
pub const CHALLENGE_COOKIE: &str = "authority_mfa";

/// How long the second step may take (typing a code, or enrolling an app).
pub const CHALLENGE_SECONDS: UnixTime = 600;

const ASSOCIATED_DATA: &[u8] = b"mfa-challenge";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: String,
    /// The methods shown so far (`pwd`).
    pub amr: Vec<String>,
    pub issued_at: UnixTime,
    /// Verify an enrolled factor, or enrol one first.
    pub step: SignInStep,
}

impl Pending {
    pub fn seal(&self, config: &Config, rng: &impl Random) -> Result<String, InternalError> {
        let json = serde_json::to_vec(self).map_err(|e| InternalError::new(format!("challenge JSON: {e}")))?;
        sealed::seal(&config.secret_key, Purpose::MfaChallenge, ASSOCIATED_DATA, &json, rng)
    }

    /// The challenge a cookie value holds, if it opens and is still current.
    pub fn open(config: &Config, value: &str, now: UnixTime) -> Option<Pending> {
        let bytes = sealed::open(&config.secret_key, Purpose::MfaChallenge, ASSOCIATED_DATA, value).ok()?;
        let challenge: Pending = crate::engine::platform::json::parse(&bytes).ok()?;
        let age = now - challenge.issued_at;
        (0..CHALLENGE_SECONDS).contains(&age).then_some(challenge)
    }
}
