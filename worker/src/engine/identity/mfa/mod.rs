//! Multi-factor sign-in: an authenticator app (RFC 6238 TOTP) with backup codes, what a
//! right password leads to (`REQUIRE_MFA`, `REQUIRE_ADMIN_MFA`, `MFA_GRACE_PERIOD_DAYS`),
//! and the rows that hold them (migrations/0014). Audit, mail and sessions around these
//! steps are `identity::accounts::second_factor`'s.

pub mod backup_codes;
pub mod challenge;
pub mod qr;
pub mod totp;

#[cfg(test)]
mod tests;

use serde::Deserialize;
use shared::mfa::{classify_code, CodeKind, TotpEnrolment};

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::identity::users::{Role, User};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, whole, Random, SqlArg, SqlRunner, UnixTime};

/// A user's second factor as the rows hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaState {
    /// When the authenticator app was confirmed; `None`: no app in force.
    pub totp_confirmed_at: Option<UnixTime>,
    pub backup_codes_left: u32,
    /// Registered passkeys (each one a second factor, `identity::passkeys`).
    pub passkeys: u32,
    /// When `REQUIRE_*MFA` first asked this user to enrol.
    pub asked_at: Option<UnixTime>,
}

impl MfaState {
    /// The account signs in with a second factor: an app or a passkey.
    pub fn enabled(&self) -> bool {
        self.totp_confirmed_at.is_some() || self.passkeys > 0
    }
}

/// `REQUIRE_MFA` applies to everyone, `REQUIRE_ADMIN_MFA` to admins and super_admins.
pub fn required(config: &Config, role: Role) -> bool {
    config.security.require_mfa || (config.security.require_admin_mfa && role != Role::User)
}

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
pub const STATE_SQL: &str = state_sql!("?1");
/// ?1 the account's address: the state, for a batch that reads the account by address.
pub const STATE_BY_EMAIL_SQL: &str = state_sql!("(SELECT id FROM users WHERE email = ?1 COLLATE NOCASE)");

#[derive(Deserialize)]
struct StateRow {
    totp_confirmed_at: Option<f64>,
    backup_codes_left: f64,
    passkeys: f64,
    asked_at: Option<f64>,
}

pub async fn state(store: &impl SqlRunner, user_id: &str) -> Result<MfaState, InternalError> {
    decode_state(store.query(STATE_SQL, &[user_id.into()]).await?)
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

/// What a right password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// No second factor, none required: the session starts.
    SignIn,
    /// Ask for the enrolled second factor first.
    Verify,
    /// A second factor is required and the grace period is over: enrol first.
    Enrol,
    /// A second factor is required; the session starts, enrolment is due by `until`.
    EnrolSoon { until: UnixTime },
}

const ASK_SQL: &str = "UPDATE users SET mfa_asked_at = ?2 WHERE id = ?1 AND mfa_asked_at IS NULL";

/// Decides the step after a right password; the first time enrolment is required it
/// starts the user's grace period.
pub async fn after_password(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    now: UnixTime,
) -> Result<AfterPassword, InternalError> {
    after_password_with(store, config, user, &state(store, &user.id).await?, now).await
}

/// [`after_password`] with the user's state already read.
pub async fn after_password_with(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    state: &MfaState,
    now: UnixTime,
) -> Result<AfterPassword, InternalError> {
    if state.enabled() {
        return Ok(AfterPassword::Verify);
    }
    if !required(config, user.role) {
        return Ok(AfterPassword::SignIn);
    }
    let asked = match state.asked_at {
        Some(at) => at,
        None => {
            store.execute(ASK_SQL, &[user.id.as_str().into(), now.into()]).await?;
            now
        }
    };
    let until = asked + i64::from(config.security.mfa_grace_period_days) * 86_400;
    Ok(if now < until { AfterPassword::EnrolSoon { until } } else { AfterPassword::Enrol })
}

// ---- the authenticator app

/// A new secret for `user`, replacing an unconfirmed one; `None` while a confirmed app
/// is in force (it must be turned off first).
const BEGIN_SQL: &str = "INSERT INTO mfa_totp (user_id, secret_sealed, created_at, confirmed_at, last_step) \
VALUES (?1, ?2, ?3, NULL, 0) ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
created_at = excluded.created_at, last_step = 0 WHERE mfa_totp.confirmed_at IS NULL";

pub async fn begin_totp(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    rng: &impl Random,
    now: UnixTime,
) -> Result<Option<TotpEnrolment>, InternalError> {
    let secret = totp::new_secret(rng)?;
    let sealed = sealed::seal(&config.secret_key, Purpose::TotpSecret, user.id.as_bytes(), &secret, rng)?;
    let args = [user.id.as_str().into(), sealed.as_str().into(), now.into()];
    if store.execute(BEGIN_SQL, &args).await? == 0 {
        return Ok(None);
    }
    let uri = totp::otpauth_uri(&config.branding.app_name, &user.email, &secret);
    Ok(Some(TotpEnrolment { secret: totp::secret_base32(&secret), qr_svg: qr::svg(&uri)?, otpauth_uri: uri }))
}

const TOTP_SQL: &str = "SELECT secret_sealed, confirmed_at, last_step FROM mfa_totp WHERE user_id = ?1";

/// Accepts step ?2 for ?1 only if it is newer than the last accepted: of two requests
/// with the same code, one wins. ?3 confirms an enrolment (NULL keeps the date).
const ACCEPT_SQL: &str = "UPDATE mfa_totp SET last_step = ?2, confirmed_at = COALESCE(confirmed_at, ?3) \
WHERE user_id = ?1 AND last_step < ?2";

#[derive(Deserialize)]
struct TotpRow {
    secret_sealed: String,
    confirmed_at: Option<f64>,
    last_step: f64,
}

/// Checks an app's code for `user_id`. `confirming`: the code confirms a pending
/// enrolment (only then is an unconfirmed secret used). True once per code.
pub async fn check_totp(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    code: &str,
    confirming: bool,
    now: UnixTime,
) -> Result<bool, InternalError> {
    let Some(row) = first_row::<TotpRow>(store.query(TOTP_SQL, &[user_id.into()]).await?)? else {
        return Ok(false);
    };
    if row.confirmed_at.is_some() == confirming {
        return Ok(false);
    }
    let secret = sealed::open(&config.secret_key, Purpose::TotpSecret, user_id.as_bytes(), &row.secret_sealed)?;
    let Some(step) = totp::matching_step(&secret, code, now, int(row.last_step))? else {
        return Ok(false);
    };
    let confirmed: SqlArg = if confirming { now.into() } else { SqlArg::Null };
    Ok(store.execute(ACCEPT_SQL, &[user_id.into(), step.into(), confirmed]).await? == 1)
}

// ---- backup codes

const USE_BACKUP_SQL: &str =
    "UPDATE mfa_backup_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL";
const DELETE_BACKUP_SQL: &str = "DELETE FROM mfa_backup_codes WHERE user_id = ?1";
const INSERT_BACKUP_SQL: &str = "INSERT INTO mfa_backup_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)";

/// Ten new backup codes for `user_id`; the old ones stop working in the same batch.
pub async fn regenerate_backup_codes(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    rng: &impl Random,
    now: UnixTime,
) -> Result<Vec<String>, InternalError> {
    let codes = backup_codes::generate(rng)?;
    let mut statements = vec![(DELETE_BACKUP_SQL, vec![SqlArg::from(user_id)])];
    for code in &codes {
        let hash = backup_codes::hash(config, user_id, &code.replace('-', ""))?;
        statements.push((INSERT_BACKUP_SQL, vec![user_id.into(), hash.into(), now.into()]));
    }
    store.batch(&statements).await?;
    Ok(codes)
}

/// Which kind of code proved the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Totp,
    BackupCode,
}

/// Checks a typed code (app or backup) against `user_id`'s confirmed second factor;
/// a backup code is spent by the check.
pub async fn check_code(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    typed: &str,
    now: UnixTime,
) -> Result<Option<Proof>, InternalError> {
    match classify_code(typed) {
        Some(CodeKind::Totp(code)) => {
            Ok(check_totp(store, config, user_id, &code, false, now).await?.then_some(Proof::Totp))
        }
        Some(CodeKind::Backup(code)) => {
            // Only an account with an app in force has backup codes that count.
            if state(store, user_id).await?.totp_confirmed_at.is_none() {
                return Ok(None);
            }
            let hash = backup_codes::hash(config, user_id, &code)?;
            let spent = store.execute(USE_BACKUP_SQL, &[user_id.into(), hash.into(), now.into()]).await? == 1;
            Ok(spent.then_some(Proof::BackupCode))
        }
        None => Ok(None),
    }
}

const DELETE_TOTP_SQL: &str = "DELETE FROM mfa_totp WHERE user_id = ?1";
const DELETE_PASSKEYS_SQL: &str = "DELETE FROM passkeys WHERE user_id = ?1";

/// Removes the app and the backup codes (and the passkeys, for an admin's reset after a
/// lost device); true when anything was removed.
pub async fn remove(store: &impl SqlRunner, user_id: &str, with_passkeys: bool) -> Result<bool, InternalError> {
    let id = SqlArg::from(user_id);
    let mut statements = vec![(DELETE_TOTP_SQL, vec![id.clone()]), (DELETE_BACKUP_SQL, vec![id.clone()])];
    if with_passkeys {
        statements.push((DELETE_PASSKEYS_SQL, vec![id]));
    }
    let changed = store.batch(&statements).await?;
    Ok(changed.iter().any(|n| *n > 0))
}
