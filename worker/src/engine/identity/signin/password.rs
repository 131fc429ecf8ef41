//! The first factor of a browser sign-in: the password (`POST /api/session`). The rate
//! limits and the account are read at once, the password verified once both allow it, and
//! the account's second-factor state and password age come with it (one D1 batch), so the
//! next step needs no further read.

use std::cell::Cell;

use futures_util::future::join;

use super::errors::SignInError;
use super::SignInOutcome;
use crate::engine::identity::accounts::Accounts;
use crate::engine::identity::login::{self, verify_account, LoginContext, LoginError};
use crate::engine::identity::mfa::MfaState;
use crate::engine::identity::rate_limit::{self, Bucket, CounterWrite};
use crate::engine::identity::users::User;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::platform::request::Platform;

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
        // The attempt's count is written with the sign-in's own write (`finish_sign_in`),
        // or, for any other outcome, before the answer: never a round trip of its own.
        let limits = async {
            let ip = self.meta.ip_address.as_deref().unwrap_or("unknown");
            let login = async {
                if rate_limit::exempt(config, self.meta.ip_address.as_deref()) {
                    return Ok::<_, ApiError>(None);
                }
                Ok(rate_limit::decide(self.kv, Bucket::Login, ip, config.rate_limits.login, now).await?.1)
            };
            let lockout = rate_limit::ip_lockout_check(self.kv, config, self.meta.ip_address.as_deref(), now);
            let (owed, lockout) = join(login, lockout).await;
            let owed: Option<CounterWrite> = owed?;
            lockout.map(|()| owed)
        };
        let (limited, account) = join(limits, self.account_by_email(email.trim())).await;
        let owed = limited?;
        let (account, facts) = account?;
        facts.owed.set(owed);
        let cx = LoginContext { config, meta: self.meta, now, method: "browser", client_id: None };
        let verified = verify_account(self.store, self.rng, &cx, account, password).await;
        if matches!(verified, Err(LoginError::Invalid)) {
            let count = rate_limit::ip_lockout_count(self.kv, config, self.meta.ip_address.as_deref(), now);
            let (counted, ()) = join(count, self.settle(facts.owed.take())).await;
            counted?;
        }
        let outcome = self.signed_in_with_password(verified, previous, &facts).await;
        self.settle(facts.owed.take()).await;
        outcome
    }

    /// What a verified (or refused) password leads to.
    async fn signed_in_with_password(
        &self,
        verified: Result<User, LoginError>,
        previous: Option<&str>,
        facts: &AccountFacts,
    ) -> Result<SignInOutcome, ApiError> {
        let user = verified.map_err(|e| match e {
            // One answer for unknown, wrong and locked (login.rs); it says how a lock ends.
            LoginError::Invalid => SignInError::InvalidCredentials.into(),
            LoginError::EmailNotVerified => SignInError::EmailNotVerified.into(),
            LoginError::Internal(e) => ApiError::Internal(e),
        })?;
        self.after_first_factor(user, "pwd", previous, Some(facts)).await
    }

    /// Writes a rate-limit count this request owes; fails open like every limit.
    pub(super) async fn settle(&self, owed: Option<CounterWrite>) {
        if let Some(write) = owed {
            if let Err(e) = write.apply(self.kv, self.now).await {
                log::error!("rate limit write failed: {}", e.detail());
            }
        }
    }

    /// The account with this address and what a sign-in decides with it, in one batch.
    async fn account_by_email(&self, email: &str) -> Result<(Option<User>, AccountFacts), InternalError> {
        let results = self.store.query_batch(&login::account_statements(email)).await?;
        let read = login::decode_account(&mut results.into_iter())?;
        let facts =
            AccountFacts { mfa: read.mfa, password_changed_at: read.password_changed_at, owed: Cell::new(None) };
        Ok((read.user, facts))
    }
}

/// What a password sign-in reads with the account ([`Accounts::sign_in`]): the second
/// factor's state and the password's last change.
pub(super) struct AccountFacts {
    pub(super) mfa: MfaState,
    pub(super) password_changed_at: Option<UnixTime>,
    /// The attempt's rate-limit count, until a write takes it along.
    pub(super) owed: Cell<Option<CounterWrite>>,
}
