//! Password sign-in, shared by the browser sign-in and the password grant: argon2id
//! verification, account lockout and the audit trail (contract "Security").

use serde_json::json;

use crate::engine::crypto::passwords::{burn_verification_time, verify_password};
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

/// Why a sign-in failed. `Invalid` covers unknown emails, wrong passwords and disabled
/// accounts alike, so the answer does not tell which accounts exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    Invalid,
    /// `LOCKOUT_THRESHOLD` wrong passwords in a row; refused until the lock ends.
    Locked {
        until: UnixTime,
    },
    /// `EMAIL_VERIFICATION_REQUIRED=true` and the address is not verified yet.
    EmailNotVerified,
    Internal(InternalError),
}

impl From<InternalError> for LoginError {
    fn from(e: InternalError) -> Self {
        LoginError::Internal(e)
    }
}

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

/// The user whose email and password these are.
///
/// An unknown email spends the same argon2 time as a known one (no enumeration by
/// timing). Wrong passwords count toward the lockout: `LOCKOUT_THRESHOLD` consecutive
/// failures lock password sign-in for `LOCKOUT_DURATION` minutes, and a locked account is
/// refused before its password is checked, so guessing cannot go on. Every outcome is
/// audited (`user.login`, `user.login_failed`, `user.locked`).
pub async fn verify_login<S: UserStore + AuditStore>(
    store: &S,
    rng: &impl Random,
    cx: &LoginContext<'_>,
    email: &str,
    password: &str,
) -> Result<User, LoginError> {
    let user = store.user_by_email(email.trim()).await?;
    if let Some(locked) = user.as_ref().filter(|u| u.locked_until.is_some_and(|until| until > cx.now)) {
        failed(store, rng, cx, Some(locked), "locked").await?;
        return Err(LoginError::Locked { until: locked.locked_until.unwrap_or(cx.now) });
    }
    let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(phc) => verify_password(password, phc)?,
        None => {
            burn_verification_time(password);
            false
        }
    };
    let user = match user {
        Some(user) if verified && user.active => user,
        Some(user) if verified => {
            failed(store, rng, cx, Some(&user), "inactive").await?;
            return Err(LoginError::Invalid);
        }
        Some(user) => {
            failed(store, rng, cx, Some(&user), "credentials").await?;
            count_failure(store, rng, cx, &user).await?;
            return Err(LoginError::Invalid);
        }
        None => {
            failed(store, rng, cx, None, "unknown_user").await?;
            return Err(LoginError::Invalid);
        }
    };
    if cx.config.security.email_verification_required && !user.email_verified {
        failed(store, rng, cx, Some(&user), "email_not_verified").await?;
        return Err(LoginError::EmailNotVerified);
    }
    store.record_successful_login(&user.id, cx.now).await?;
    let mut event = AuditEvent::new("user.login", cx.meta, cx.now, rng)?
        .actor("user", &user.id)
        .metadata(json!({ "method": cx.method }));
    if let Some(client_id) = cx.client_id {
        event = event.resource("client", client_id);
    }
    store.record(&event).await?;
    Ok(user)
}

async fn failed<S: AuditStore>(
    store: &S,
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: Option<&User>,
    reason: &str,
) -> Result<(), InternalError> {
    let mut event = AuditEvent::new("user.login_failed", cx.meta, cx.now, rng)?
        .metadata(json!({ "method": cx.method, "reason": reason }));
    if let Some(client_id) = cx.client_id {
        event = event.resource("client", client_id);
    }
    if let Some(user) = user {
        event = event.actor("user", &user.id);
    }
    store.record(&event).await
}

/// One more wrong password for `user`; audits `user.locked` when it locks the account.
async fn count_failure<S: UserStore + AuditStore>(
    store: &S,
    rng: &impl Random,
    cx: &LoginContext<'_>,
    user: &User,
) -> Result<(), InternalError> {
    let security = &cx.config.security;
    let duration = security.lockout_duration.saturating_mul(60);
    let locked = store.record_failed_login(&user.id, cx.now, security.lockout_threshold, duration).await?;
    if let Some(until) = locked {
        let event = AuditEvent::new("user.locked", cx.meta, cx.now, rng)?
            .actor("user", &user.id)
            .resource("user", &user.id)
            .metadata(json!({ "failed_attempts": security.lockout_threshold, "locked_until": until }));
        store.record(&event).await?;
    }
    Ok(())
}
