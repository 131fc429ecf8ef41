//! The `mfa_totp` table (migrations/0014): a user's authenticator app (RFC 6238), its
//! secret sealed; every statement on it, and the one read of a user's whole second-factor
//! state (app, backup codes, passkeys, when it was first asked for).

use serde::Deserialize;

use crate::engine::identity::mfa::MfaState;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, whole, Statement, UnixTime};

/// The state of the user `$user` (an SQL expression) in one statement.
macro_rules! state_sql {
    ($user:literal) => {
        concat!(
            "SELECT (SELECT confirmed_at FROM mfa_totp WHERE user_id = ",
            $user,
            ") AS totp_confirmed_at, ",
            "(SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = ",
            $user,
            " AND used_at IS NULL) AS backup_codes_left, ",
            "(SELECT COUNT(*) FROM passkeys WHERE user_id = ",
            $user,
            ") AS passkeys, ",
            "(SELECT mfa_asked_at FROM users WHERE id = ",
            $user,
            ") AS asked_at"
        )
    };
}

/// ?1 user: the state in one statement.
const STATE_SQL: &str = state_sql!("?1");
/// ?1 the account's address: the state, for a batch that reads the account by address.
const STATE_BY_EMAIL_SQL: &str = state_sql!("(SELECT id FROM users WHERE email = ?1 COLLATE NOCASE)");

#[derive(Deserialize)]
struct StateRow {
    totp_confirmed_at: Option<f64>,
    backup_codes_left: f64,
    passkeys: f64,
    asked_at: Option<f64>,
}

/// The rows of [`STATE_SQL`] or [`STATE_BY_EMAIL_SQL`].
pub fn decode_state(rows: Vec<serde_json::Value>) -> Result<MfaState, InternalError> {
    let row: Option<StateRow> = first_row(rows)?;
    let count = |n: f64| u32::try_from(whole(n)).unwrap_or(u32::MAX);
    Ok(row.map_or(MfaState { totp_confirmed_at: None, backup_codes_left: 0, passkeys: 0, asked_at: None }, |r| {
        MfaState {
            totp_confirmed_at: r.totp_confirmed_at.map(int),
            backup_codes_left: count(r.backup_codes_left),
            passkeys: count(r.passkeys),
            asked_at: r.asked_at.map(int),
        }
    }))
}

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

/// The state of user ?1 ([`decode_state`]).
pub fn state(user_id: &str) -> Statement<'static> {
    (STATE_SQL, vec![user_id.into()])
}

/// The state of the account with this address, for a batch that reads the account by it.
pub fn state_by_email(email: &str) -> Statement<'static> {
    (STATE_BY_EMAIL_SQL, vec![email.into()])
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
