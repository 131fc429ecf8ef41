//! Multi-factor sign-in: an authenticator app (RFC 6238 TOTP) with backup codes, what a
//! right password leads to (`REQUIRE_MFA`, `REQUIRE_ADMIN_MFA`, `MFA_GRACE_PERIOD_DAYS`),
//! and the rows that hold them (migrations/0014). Audit, mail and sessions around these
//! steps are `identity::accounts::second_factor`'s.

pub mod backup_codes;
pub mod qr;
pub mod totp;

#[cfg(test)]
mod tests;

use shared::mfa::{classify_code, CodeKind, TotpEnrolment};

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::identity::users::{Role, User};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, Random, SqlRunner, UnixTime};
use crate::engine::tables::mfa_totp::{self, TotpRow};
use crate::engine::tables::{self, mfa_backup_codes, passkeys, users};

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

/// The user's second-factor state, in one statement.
pub async fn state(store: &impl SqlRunner, user_id: &str) -> Result<MfaState, InternalError> {
    tables::decode_mfa_state(store.select(tables::mfa_state(user_id)).await?)
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
            store.exec(users::mfa_asked(&user.id, now)).await?;
            now
        }
    };
    let until = asked + i64::from(config.security.mfa_grace_period_days) * 86_400;
    Ok(if now < until { AfterPassword::EnrolSoon { until } } else { AfterPassword::Enrol })
}

// ---- the authenticator app

/// A new secret for `user`, replacing an unconfirmed one; `None` while a confirmed app
/// is in force (it must be turned off first).
pub async fn begin_totp(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    rng: &impl Random,
    now: UnixTime,
) -> Result<Option<TotpEnrolment>, InternalError> {
    let secret = totp::new_secret(rng)?;
    let sealed = sealed::seal(&config.secret_key, Purpose::TotpSecret, user.id.as_bytes(), &secret, rng)?;
    if store.exec(mfa_totp::begin(&user.id, &sealed, now)).await? == 0 {
        return Ok(None);
    }
    let uri = totp::otpauth_uri(&config.branding.app_name, &user.email, &secret);
    Ok(Some(TotpEnrolment { secret: totp::secret_base32(&secret), qr_svg: qr::svg(&uri)?, otpauth_uri: uri }))
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
    let Some(row) = first_row::<TotpRow>(store.select(mfa_totp::of_user(user_id)).await?)? else {
        return Ok(false);
    };
    accept_totp(store, config, user_id, &row, code, confirming, now).await
}

/// [`check_totp`] with the app's row already read: one conditional UPDATE, no read.
async fn accept_totp(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    row: &TotpRow,
    code: &str,
    confirming: bool,
    now: UnixTime,
) -> Result<bool, InternalError> {
    if row.confirmed_at.is_some() == confirming {
        return Ok(false);
    }
    let secret = sealed::open(&config.secret_key, Purpose::TotpSecret, user_id.as_bytes(), &row.secret_sealed)?;
    let Some(step) = totp::matching_step(&secret, code, now, int(row.last_step))? else {
        return Ok(false);
    };
    let confirmed = confirming.then_some(now);
    Ok(store.exec(mfa_totp::accept_step(user_id, step, confirmed)).await? == 1)
}

// ---- backup codes

/// Ten new backup codes for `user_id`; the old ones stop working in the same batch.
pub async fn regenerate_backup_codes(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    rng: &impl Random,
    now: UnixTime,
) -> Result<Vec<String>, InternalError> {
    let codes = backup_codes::generate(rng)?;
    let mut statements = vec![mfa_backup_codes::delete_of_user(user_id)];
    for code in &codes {
        let hash = backup_codes::hash(config, user_id, &code.replace('-', ""))?;
        statements.push(mfa_backup_codes::insert(user_id, &hash, now));
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
    let [totp, state] = store.select_pair(mfa_totp::of_user(user_id), tables::mfa_state(user_id)).await?;
    let facts = CodeFacts { totp: first_row(totp)?, state: tables::decode_mfa_state(state)? };
    check_code_with(store, config, user_id, typed, now, &facts).await
}

/// What checking a typed code reads: the app's row and the second factor's state, read
/// with the account in one batch where a sign-in step needs both (`identity::signin`).
pub struct CodeFacts {
    pub totp: Option<TotpRow>,
    pub state: MfaState,
}

/// [`check_code`] with [`CodeFacts`] already read: the only statement is the one that
/// spends the code.
pub async fn check_code_with(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    typed: &str,
    now: UnixTime,
    facts: &CodeFacts,
) -> Result<Option<Proof>, InternalError> {
    match classify_code(typed) {
        Some(CodeKind::Totp(code)) => match &facts.totp {
            Some(row) => Ok(accept_totp(store, config, user_id, row, &code, false, now).await?.then_some(Proof::Totp)),
            None => Ok(None),
        },
        Some(CodeKind::Backup(code)) => {
            // Only an account with an app in force has backup codes that count.
            if facts.state.totp_confirmed_at.is_none() {
                return Ok(None);
            }
            let hash = backup_codes::hash(config, user_id, &code)?;
            let spent = store.exec(mfa_backup_codes::spend(user_id, &hash, now)).await? == 1;
            Ok(spent.then_some(Proof::BackupCode))
        }
        None => Ok(None),
    }
}

/// Removes the app and the backup codes (and the passkeys, for an admin's reset after a
/// lost device); true when anything was removed.
pub async fn remove(store: &impl SqlRunner, user_id: &str, with_passkeys: bool) -> Result<bool, InternalError> {
    let mut statements = vec![mfa_totp::delete_of_user(user_id), mfa_backup_codes::delete_of_user(user_id)];
    if with_passkeys {
        statements.push(passkeys::delete_of_user(user_id));
    }
    let changed = store.batch(&statements).await?;
    Ok(changed.iter().any(|n| *n > 0))
}
