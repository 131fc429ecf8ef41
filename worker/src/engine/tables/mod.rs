//! The database, one module per table (docs/storage.md, "Statements by table"): each
//! holds its row type, its decoding and every statement on it, as a function that builds
//! the statement (`Statement`: SQL and its arguments). A statement belongs to the table
//! it writes, a read to the table its outer `FROM` names first. Features compose their
//! batches from these builders, so one round trip stays one round trip
//! (docs/architecture.md, "Each store method is one statement or one D1 batch");
//! `worker/tests/sql_by_table.rs` fails on a statement anywhere else.

pub mod audit_log;
pub mod audit_push_cursors;
pub mod authorization_codes;
pub mod client_assertions;
pub mod client_row;
pub mod client_secrets;
pub mod client_token_cutoffs;
pub mod clients;
pub mod consents;
pub mod deliveries;
pub mod device_codes;
pub mod dpop_proofs;
pub mod email_tokens;
pub mod ended_sessions;
pub mod logout_deliveries;
pub mod mail_outbox;
pub mod mail_templates;
pub mod metric_counters;
pub mod mfa_backup_codes;
pub mod mfa_totp;
pub mod passkeys;
pub mod password_history;
pub mod pushed_authorization_requests;
pub mod refresh_tokens;
pub mod resources;
pub mod revoked_access_tokens;
pub mod scopes;
pub mod session_clients;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
pub mod social_identities;
pub mod users;
pub mod webauthn_challenges;

// Reads across tables at once (sub-selects only), each one round trip.

use serde::Deserialize;

use crate::engine::identity::mfa::MfaState;
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, whole, Statement, UnixTime};

// ---- whether an access token is revoked ---------------------------------------------------

/// Whether an access token is revoked: by its jti, by a cut-off for its client (tokens
/// issued at or before `revoked_before_ms`, to the millisecond its jti carries), because its
/// user was deactivated or deleted (a token of a client acting for itself has `sub` = client
/// id), or because the session it was issued in (`sid`) was ended; plus the email of the
/// subject (introspection's `username`): one statement. ?1 jti, ?2 client, ?3 issued (ms),
/// ?4 sub, ?5 sid or NULL.
const ACCESS_TOKEN_STATE_SQL: &str = "SELECT (EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
OR EXISTS (SELECT 1 FROM client_token_cutoffs WHERE client_id = ?2 AND revoked_before_ms >= ?3) \
OR (?4 != ?2 AND NOT EXISTS (SELECT 1 FROM users WHERE id = ?4 AND active = 1)) \
OR (?5 IS NOT NULL AND EXISTS (SELECT 1 FROM ended_sessions WHERE session_id = ?5))) AS revoked, \
(SELECT email FROM users WHERE id = ?4) AS username";

pub fn access_token_state(claims: &AccessTokenClaims) -> Statement<'static> {
    (
        ACCESS_TOKEN_STATE_SQL,
        vec![
            (&claims.jti).into(),
            (&claims.client_id).into(),
            claims.issued_ms().into(),
            (&claims.sub).into(),
            claims.sid.as_deref().into(),
        ],
    )
}

pub fn decode_access_token_state(rows: Vec<serde_json::Value>) -> Result<AccessTokenState, InternalError> {
    #[derive(Deserialize)]
    struct Row {
        revoked: f64,
        username: Option<String>,
    }
    let row = first_row::<Row>(rows)?.ok_or_else(|| InternalError::new("access token state: no row"))?;
    Ok(AccessTokenState { revoked: row.revoked != 0.0, subject_email: row.username })
}

// ---- a user's second factor -----------------------------------------------------------------

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

/// The rows of [`mfa_state`] or [`mfa_state_by_email`].
pub fn decode_mfa_state(rows: Vec<serde_json::Value>) -> Result<MfaState, InternalError> {
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

/// The second-factor state of user ?1 ([`decode_state`]).
pub fn mfa_state(user_id: &str) -> Statement<'static> {
    (STATE_SQL, vec![user_id.into()])
}

/// The state of the account with this address, for a batch that reads the account by it.
pub fn mfa_state_by_email(email: &str) -> Statement<'static> {
    (STATE_BY_EMAIL_SQL, vec![email.into()])
}

// ---- the ways an account signs in -------------------------------------------------------------

/// The other ways ?1 has to sign in besides provider ?2: a password, a passkey, or
/// another linked provider (`total`).
const SIGN_IN_WAYS_SQL: &str = "SELECT (SELECT COUNT(*) FROM users WHERE id = ?1 AND password_hash IS NOT NULL) \
+ (SELECT COUNT(*) FROM passkeys WHERE user_id = ?1) \
+ (SELECT COUNT(*) FROM social_identities WHERE user_id = ?1 AND provider != ?2) AS total";

/// How many ways the user has to sign in besides `provider` (before an unlink).
pub fn sign_in_ways_besides(user_id: &str, provider: &str) -> Statement<'static> {
    (SIGN_IN_WAYS_SQL, vec![user_id.into(), provider.into()])
}

// ---- the gauges of /metrics -------------------------------------------------------------------

/// ?1 now, ?2 the idle cut-off of sessions.
const GAUGES_SQL: &str = "SELECT \
(SELECT COUNT(*) FROM sessions WHERE expires_at > ?1 AND last_seen_at > ?2) AS sessions, \
(SELECT COUNT(*) FROM users WHERE active = 1) AS users, \
(SELECT COUNT(*) FROM users WHERE locked_until > ?1) AS locked, \
(SELECT COUNT(*) FROM clients) AS clients, \
(SELECT MAX(created_at) FROM signing_keys WHERE status = 'active') AS key_created_at";

#[derive(Deserialize)]
pub struct GaugeRow {
    pub sessions: f64,
    pub users: f64,
    pub locked: f64,
    pub clients: f64,
    pub key_created_at: Option<f64>,
}

/// The gauges at `now` ([`GaugeRow`]); `idle_cutoff`: sessions unused since are not live.
pub fn gauges(now: UnixTime, idle_cutoff: UnixTime) -> Statement<'static> {
    (GAUGES_SQL, vec![now.into(), idle_cutoff.into()])
}
