//! The first factor of a browser sign-in: the password (`POST /api/session`). The rate
//! limits and the account are read at once, the password verified once both allow it, and
//! the account's second-factor state and password age come with it (one D1 batch), so the
//! next step needs no further read.

use futures_util::future::join;

use super::errors::SignInError;
use super::SignInOutcome;
use crate::engine::identity::accounts::Accounts;
use crate::engine::identity::login::{verify_account, LoginContext, LoginError};
use crate::engine::identity::mfa::MfaState;
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::users::User;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{first_row, int, SqlRunner, UnixTime};
use crate::engine::platform::request::Platform;
use crate::engine::tables;
use crate::engine::tables::users::{self, first_user};

impl<P: Platform> Accounts<'_, P> {
    /// Signs `email` in with `password`. `previous` is the session cookie this browser
    /// already had: it is ended, so a sign-in never keeps an old (possibly planted)
    /// session id (session fixation, OWASP ASVS V3.2.1).
    pub(super) async fn sign_in_with_password(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let (config, now) = (self.config, self.now);
        // RATE_LIMIT_LOGIN_* per client address: each attempt costs an argon2 verification.
        // The limits (KV) and the account (one D1 batch) are read at once; the password is
        // verified only once both allow it.
        let limits = async {
            let ip = self.meta.ip_address.as_deref().unwrap_or("unknown");
            if !rate_limit::exempt(config, self.meta.ip_address.as_deref()) {
                rate_limit::hit(self.kv, Bucket::Login, ip, config.rate_limits.login, now).await?;
            }
            rate_limit::ip_lockout_check(self.kv, config, self.meta.ip_address.as_deref(), now).await
        };
        let (limited, account) = join(limits, self.account_by_email(email.trim())).await;
        limited?;
        let (account, facts) = account?;
        let cx = LoginContext { config, meta: self.meta, now, method: "browser", client_id: None };
        let verified = verify_account(self.store, self.rng, &cx, account, password).await;
        if matches!(verified, Err(LoginError::Invalid)) {
            rate_limit::ip_lockout_count(self.kv, config, self.meta.ip_address.as_deref(), now).await?;
        }
        let user = verified.map_err(|e| match e {
            // One answer for unknown, wrong and locked (login.rs); it says how a lock ends.
            LoginError::Invalid => SignInError::InvalidCredentials.into(),
            LoginError::EmailNotVerified => SignInError::EmailNotVerified.into(),
            LoginError::Internal(e) => ApiError::Internal(e),
        })?;
        self.after_first_factor(user, "pwd", previous, Some(&facts)).await
    }

    /// The account with this address and what a sign-in decides with it, in one batch.
    async fn account_by_email(&self, email: &str) -> Result<(Option<User>, AccountFacts), InternalError> {
        let statements =
            [users::by_email(email), tables::mfa_state_by_email(email), users::password_changed_by_email(email)];
        let mut results = self.store.query_batch(&statements).await?.into_iter();
        let user = first_user(results.next().unwrap_or_default())?;
        let mfa = tables::decode_mfa_state(results.next().unwrap_or_default())?;
        let changed: Option<ChangedRow> = first_row(results.next().unwrap_or_default())?;
        Ok((user, AccountFacts { mfa, password_changed_at: changed.map(|c| int(c.changed_at)) }))
    }
}

/// What a password sign-in reads with the account ([`Accounts::sign_in`]): the second
/// factor's state and the password's last change.
pub(super) struct AccountFacts {
    pub(super) mfa: MfaState,
    pub(super) password_changed_at: Option<UnixTime>,
}

#[derive(serde::Deserialize)]
pub(super) struct ChangedRow {
    pub(super) changed_at: f64,
}
