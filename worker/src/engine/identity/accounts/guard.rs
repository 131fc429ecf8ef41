//! Secrets checked through a session (the current password at a change, a code before
//! the second factor changes or steps up): an attacker holding only a stolen session
//! cookie must not be able to guess them. Each check is limited per client address like a
//! sign-in (`RATE_LIMIT_LOGIN_*`), a wrong answer counts toward the account's lockout,
//! and a locked account's secrets are not checked at all (OWASP ASVS V2.2.1).

use serde_json::json;

use super::Accounts;
use crate::engine::identity::login::{failure_count_statements, second_factor_failed};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::users::User;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::net;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::Platform;

/// What was guessed wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The current password at a change (`password.change_failed`).
    Password,
    /// The password of a "confirm it's you" (`session.reauthentication_failed`).
    ConfirmPassword,
    Code,
}

impl<P: Platform> Accounts<'_, P> {
    /// Before checking one of `user`'s secrets through a session: the address's limit,
    /// then the lock (429 with `Retry-After` until it ends).
    pub(crate) async fn before_secret_check(&self, user: &User) -> Result<(), ApiError> {
        let (config, now) = (self.config, self.now);
        if !rate_limit::exempt(config, self.meta.ip_address.as_deref()) {
            let ip = self.meta.ip_address.as_deref().unwrap_or("unknown");
            rate_limit::hit(self.kv, Bucket::Login, ip, config.rate_limits.login, now).await?;
        }
        match user.locked_until {
            Some(until) if until > now => Err(ApiError::RateLimited {
                retry_after: u64::try_from(until - now).unwrap_or(0),
                limit: config.security.lockout_threshold,
                reset: until,
            }),
            _ => Ok(()),
        }
    }

    /// After a wrong secret through a session: audited, and counted toward the lockout
    /// like a wrong sign-in (unless the address is on the lockout whitelist).
    pub(crate) async fn secret_check_failed(&self, user: &User, secret: Secret) -> Result<(), ApiError> {
        let cx = self.login_context();
        match secret {
            Secret::Code => second_factor_failed(self.store, self.rng, &cx, user).await?,
            Secret::Password | Secret::ConfirmPassword => {
                let name = match secret {
                    Secret::ConfirmPassword => "session.reauthentication_failed",
                    _ => "password.change_failed",
                };
                let event = self.event(name)?.actor("user", &user.id).resource("user", &user.id);
                let mut statements = vec![event.metadata(json!({ "reason": "wrong_current_password" })).statement()];
                if !net::listed(&self.config.security.lockout_whitelist, self.meta.ip_address.as_deref()) {
                    statements.extend(failure_count_statements(self.rng, &cx, user)?);
                }
                self.store.batch(&statements).await?;
            }
        }
        Ok(())
    }
}
