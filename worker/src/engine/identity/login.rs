//! Password sign-in, shared by the browser sign-in and the password grant: argon2id
//! verification, account lockout and the audit trail (docs/api.md, "Security").

use serde_json::json;

use crate::engine::crypto::passwords::{burn_verification_time, verify_password};
use crate::engine::identity::mfa::MfaState;
use crate::engine::identity::users::User;
use crate::engine::ops::audit::{AuditEvent, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::net;
use crate::engine::platform::ports::{first_row, int, Random, SqlRunner, Statement, UnixTime};
use crate::engine::tables::users::{self, first_user, record_successful_login_statement};
use crate::engine::tables::{self, audit_log};

/// Why a sign-in failed. `Invalid` covers unknown emails, wrong passwords, disabled and
/// locked accounts alike, with the same answer and the same argon2 time, so neither the
/// answer nor its timing tells which accounts exist or are locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    Invalid,
    /// `EMAIL_VERIFICATION_REQUIRED=true` and the address is not verified yet.
    EmailNotVerified,
    Internal(InternalError),
}

impl From<InternalError> for LoginError {
    fn from(e: InternalError) -> Self {
        LoginError::Internal(e)
    }
}

/// An account read by its address with what a password sign-in decides with it: the
/// second factor's state and the password's last change. Read in one batch with whatever
/// else the request needs ([`account_statements`], [`decode_account`]): the browser
/// sign-in with nothing else, the password grant with its client.
pub struct AccountRead {
    pub user: Option<User>,
    pub mfa: MfaState,
    pub password_changed_at: Option<UnixTime>,
}

/// The statements of an [`AccountRead`], in the order [`decode_account`] takes them.
pub fn account_statements(email: &str) -> [Statement<'static>; 3] {
    [users::by_email(email), tables::mfa_state_by_email(email), users::password_changed_by_email(email)]
}

/// The [`AccountRead`] from the results of [`account_statements`].
pub fn decode_account(
    results: &mut impl Iterator<Item = Vec<serde_json::Value>>,
) -> Result<AccountRead, InternalError> {
    let user = first_user(results.next().unwrap_or_default())?;
    let mfa = tables::decode_mfa_state(results.next().unwrap_or_default())?;
    let password_changed_at = decode_password_changed(results.next().unwrap_or_default())?;
    Ok(AccountRead { user, mfa, password_changed_at })
}

/// The time of the password's last change from `users::password_changed*`'s rows.
pub fn decode_password_changed(rows: Vec<serde_json::Value>) -> Result<Option<UnixTime>, InternalError> {
    #[derive(serde::Deserialize)]
    struct ChangedRow {
        changed_at: f64,
    }
    let changed: Option<ChangedRow> = first_row(rows)?;
    Ok(changed.map(|c| int(c.changed_at)))
}

/// How long a lock lasts with `ENABLE_AUTO_UNLOCK=false`: 100 years.
const NO_AUTO_UNLOCK: u32 = 100 * 365 * 86_400;

/// Who is signing in, through what, for the audit log.
pub struct LoginContext<'a> {
    pub config: &'a Config,
    pub meta: &'a RequestMeta,
    pub now: UnixTime,
    /// `password_grant` or `browser`.
    pub method: &'static str,
    /// The client the sign-in is for, if any.
    pub client_id: Option<&'a str>,
}

/// The user whose password this is, for the account already read by its address
/// (`None`: no account has it; [`account_statements`] reads it with what else the
/// request needs in one round trip).
///
/// An unknown email spends the same argon2 time as a known one (no enumeration by
/// timing). Wrong passwords count toward the lockout: `LOCKOUT_THRESHOLD` consecutive
/// failures lock password sign-in for `LOCKOUT_DURATION` minutes (`PROGRESSIVE_LOCKOUT`,
/// `ENABLE_AUTO_UNLOCK`), and a locked account is refused whatever the password, so
/// guessing cannot go on. Addresses in `LOCKOUT_WHITELIST` are neither refused by a lock
/// nor counted, so an attacker elsewhere cannot lock the office out. Failures are audited
/// (`user.login_failed`, `user.locked`); a success is not recorded yet, because a second
/// factor may follow: the caller writes [`login_statements`] once the sign-in is complete (so
/// a right password alone neither resets the failure count nor counts as a sign-in).
pub async fn verify_account<S: SqlRunner>(
    store: &S,
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: Option<User>,
    password: &str,
) -> Result<User, LoginError> {
    let trusted = net::listed(&cx.config.security.lockout_whitelist, cx.meta.ip_address.as_deref());
    if let Some(locked) = user.as_ref().filter(|u| !trusted && u.locked_until.is_some_and(|until| until > cx.now)) {
        // The same work and answer as a wrong password: a lock reveals nothing.
        burn_verification_time(password);
        store.batch(&[failed(rng, cx, Some(locked), "locked")?]).await?;
        return Err(LoginError::Invalid);
    }
    let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(phc) => verify_password(password, phc)?,
        None => {
            burn_verification_time(password);
            false
        }
    };
    // Every failure is one write batch, whatever the account: an unknown address, a wrong
    // password (its count and any lock with it) and a locked or inactive account make the
    // same storage calls, so neither their number nor their time tells them apart
    // (docs/security.md, "Guessing a secret").
    let refused = |statements: Vec<Statement<'static>>| async move {
        store.batch(&statements).await?;
        Err(LoginError::Invalid)
    };
    let user = match user {
        Some(user) if verified && user.active => user,
        Some(user) if verified => return refused(vec![failed(rng, cx, Some(&user), "inactive")?]).await,
        Some(user) => {
            let mut statements = vec![failed(rng, cx, Some(&user), "credentials")?];
            if !trusted {
                statements.extend(failure_count_statements(rng, cx, &user)?);
            }
            return refused(statements).await;
        }
        None => return refused(vec![failed(rng, cx, None, "unknown_user")?]).await,
    };
    if cx.config.security.email_verification_required && !user.email_verified {
        store.batch(&[failed(rng, cx, Some(&user), "email_not_verified")?]).await?;
        return Err(LoginError::EmailNotVerified);
    }
    Ok(user)
}

/// A complete sign-in's writes: the failure count resets, `last_login_at` moves, and
/// `user.login` is audited with whether a second factor was shown (`mfa_used` in its
/// metadata). For a batch that commits them with what the sign-in yields (a session, a
/// refresh token): one round trip, both or neither.
pub fn login_statements(
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: &User,
    mfa_used: bool,
) -> Result<Vec<Statement<'static>>, InternalError> {
    let mut event = AuditEvent::new("user.login", cx.meta, cx.now, rng)?
        .actor("user", &user.id)
        .metadata(json!({ "method": cx.method, "mfa_used": mfa_used }));
    if let Some(client_id) = cx.client_id {
        event = event.resource("client", client_id);
    }
    Ok(vec![record_successful_login_statement(&user.id, cx.now), event.statement()])
}

/// A wrong second-factor code: audited (`mfa.challenge_failed`) and counted toward the
/// lockout like a wrong password, so knowing the password does not buy unlimited guesses
/// at a six-digit code.
pub async fn second_factor_failed<S: SqlRunner>(
    store: &S,
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: &User,
) -> Result<(), InternalError> {
    let event = AuditEvent::new("mfa.challenge_failed", cx.meta, cx.now, rng)?
        .actor("user", &user.id)
        .metadata(json!({ "method": cx.method }));
    let mut statements = vec![event.statement()];
    if !net::listed(&cx.config.security.lockout_whitelist, cx.meta.ip_address.as_deref()) {
        statements.extend(failure_count_statements(rng, cx, user)?);
    }
    store.batch(&statements).await.map(|_| ())
}

fn failed(
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: Option<&User>,
    reason: &str,
) -> Result<Statement<'static>, InternalError> {
    let mut event = AuditEvent::new("user.login_failed", cx.meta, cx.now, rng)?
        .metadata(json!({ "method": cx.method, "reason": reason }));
    if let Some(client_id) = cx.client_id {
        event = event.resource("client", client_id);
    }
    if let Some(user) = user {
        event = event.actor("user", &user.id);
    }
    Ok(event.statement())
}

/// One more wrong secret of `user`, for the batch that records the failure: the count
/// toward the lockout and, when this failure locks the account, `user.locked` (decided in
/// SQL, so a failure is one round trip whether or not it locks).
pub(crate) fn failure_count_statements(
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: &User,
) -> Result<[Statement<'static>; 2], InternalError> {
    let security = &cx.config.security;
    // Without auto-unlock a lock lasts until an admin or a password reset ends it.
    let duration = if security.auto_unlock { security.lockout_duration.saturating_mul(60) } else { NO_AUTO_UNLOCK };
    let count = users::record_failed_login(
        &user.id,
        cx.now,
        security.lockout_threshold,
        duration,
        security.progressive_lockout,
    );
    let locked = AuditEvent::new("user.locked", cx.meta, cx.now, rng)?
        .actor("user", &user.id)
        .resource("user", &user.id)
        .metadata(json!({ "failed_attempts": security.lockout_threshold }));
    Ok([count, audit_log::insert_if_locked_now(&locked, &user.id)])
}
