//! The `mfa_totp` table (migrations/0014): a user's authenticator app (RFC 6238), its
//! secret sealed; every statement on it. (A user's whole second-factor state is one read
//! across tables: `tables::mfa_state`.)

use serde::Deserialize;

use crate::engine::platform::ports::{Statement, UnixTime};

/// A new secret, replacing an unconfirmed one; changes nothing while a confirmed app is
/// in force. ?1 user, ?2 sealed secret, ?3 now.
const BEGIN_SQL: &str = "INSERT INTO mfa_totp (user_id, secret_sealed, created_at, confirmed_at, last_step) \
VALUES (?1, ?2, ?3, NULL, 0) ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
created_at = excluded.created_at, last_step = 0 WHERE mfa_totp.confirmed_at IS NULL";

const OF_USER_SQL: &str = "SELECT secret_sealed, confirmed_at, last_step FROM mfa_totp WHERE user_id = ?1";

/// Accepts step ?2 for ?1 only if it is newer than the last accepted: of two requests
/// with the same code, one wins. ?3 confirms an enrolment (NULL keeps the date).
const ACCEPT_SQL: &str = "UPDATE mfa_totp SET last_step = ?2, confirmed_at = COALESCE(confirmed_at, ?3) \
WHERE user_id = ?1 AND last_step < ?2";

const DELETE_OF_USER_SQL: &str = "DELETE FROM mfa_totp WHERE user_id = ?1";

/// A `mfa_totp` row.
#[derive(Deserialize)]
pub struct TotpRow {
    pub secret_sealed: String,
    pub confirmed_at: Option<f64>,
    pub last_step: f64,
}

pub fn begin(user_id: &str, secret_sealed: &str, now: UnixTime) -> Statement<'static> {
    (BEGIN_SQL, vec![user_id.into(), secret_sealed.into(), now.into()])
}

/// The user's app ([`TotpRow`]).
pub fn of_user(user_id: &str) -> Statement<'static> {
    (OF_USER_SQL, vec![user_id.into()])
}

/// Accepts `step` once; `confirmed`: the time an enrolment is confirmed.
pub fn accept_step(user_id: &str, step: i64, confirmed: Option<UnixTime>) -> Statement<'static> {
    (ACCEPT_SQL, vec![user_id.into(), step.into(), confirmed.into()])
}

pub fn delete_of_user(user_id: &str) -> Statement<'static> {
    (DELETE_OF_USER_SQL, vec![user_id.into()])
}
