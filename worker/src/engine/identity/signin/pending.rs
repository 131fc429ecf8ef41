//! A password sign-in waiting for its second factor. No session exists until the code is
//! shown: the browser holds only this sealed, short-lived note (AES-256-GCM under
//! `SECRET_KEY`) of who proved the password and when, in the `authority_mfa` cookie.
//! It is bound to the account as it was when it was issued (docs/security.md, "The
//! sign-in challenge"): a completed sign-in of the account or a new password spends it,
//! so a copy taken from a browser starts nothing.

use serde::{Deserialize, Serialize};
use shared::mfa::SignInStep;
use subtle::ConstantTimeEq;

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::users::User;
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
    /// [`binding`] of the account when the challenge was issued.
    #[serde(default)]
    pub bound_to: String,
}

/// What a challenge is bound to: the account's completed sign-ins and its password (the
/// PHC string carries a fresh salt, so every new password changes it), hashed.
fn binding(user: &User) -> String {
    hash_token(&format!("{}\n{}", user.sign_ins, user.password_hash.as_deref().unwrap_or("")))
}

impl Pending {
    /// The challenge of `user`'s sign-in that proved `amr` and goes on with `step`.
    pub fn new(user: &User, amr: Vec<String>, issued_at: UnixTime, step: SignInStep) -> Pending {
        Pending { user_id: user.id.clone(), amr, issued_at, step, bound_to: binding(user) }
    }

    /// Whether `user` (read now) is still the account this challenge was issued for: no
    /// sign-in completed and no password set since.
    pub fn still_current(&self, user: &User) -> bool {
        user.id == self.user_id && bool::from(self.bound_to.as_bytes().ct_eq(binding(user).as_bytes()))
    }

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
