//! Fresh proof before a change to how one signs in (NIST SP 800-63B §6.1, OWASP ASVS
//! V3.7.1): adding or removing a passkey or an authenticator app, new backup codes,
//! turning the second factor off, a new password, linking or unlinking a provider need a
//! sign-in within `REAUTHENTICATION_MAX_AGE` seconds, with the second factor when the account has one
//! (docs/security.md, "Changing how one signs in"). A stolen session cookie alone, or a
//! browser left signed in, cannot add the attacker's passkey. The account page asks for
//! the proof inline (`POST /api/account/confirm`), which starts a new session. Every way
//! to sign in that is added or removed mails the owner (`sign-in-method-changed`).

use serde_json::json;
use shared::codes;

use super::guard::Secret;
use super::{utc_time, Accounts};
use crate::engine::crypto::passwords::{burn_verification_time, verify_password};
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::mail::{MailContent, MethodChange};
use crate::engine::identity::mfa;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::signin::errors::SignInError;
use crate::engine::identity::signin::SignedIn;
use crate::engine::identity::users::User;
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::UnixTime;
use crate::engine::platform::request::Platform;

impl<P: Platform> Accounts<'_, P> {
    /// Refuses with 403 `reauthentication_required` unless `session` signed in within
    /// `REAUTHENTICATION_MAX_AGE`, with the second factor (`mfa` among its methods) when the
    /// account has an authenticator app.
    pub async fn require_recent_sign_in(&self, session: &Session, user: &User) -> Result<(), ApiError> {
        let recent = self.now - session.auth_time < UnixTime::from(self.config.sessions.reauthentication_max_age);
        let factors_shown = session.multi_factor() || !mfa::state(self.store, &user.id).await?.enabled();
        if recent && factors_shown {
            return Ok(());
        }
        Err(ApiError::refused(
            403,
            codes::REAUTHENTICATION_REQUIRED,
            "Confirm it's you: enter your password (and a code from your app, if you use one) to change how you \
             sign in.",
        ))
    }

    /// `POST /api/account/confirm`: the password, and a code when the account has an
    /// authenticator app, checked like any secret through a session (limited, counted
    /// toward the lockout, not while locked); then a new session with a fresh `auth_time`
    /// replaces this one.
    pub async fn confirm_identity(
        &self,
        session: &Session,
        user: &User,
        password: &str,
        code: Option<&str>,
        previous: Option<&str>,
    ) -> Result<SignedIn, ApiError> {
        self.before_secret_check(user).await?;
        let right = match user.password_hash.as_deref() {
            Some(phc) => verify_password(password, phc)?,
            None => {
                burn_verification_time(password);
                false
            }
        };
        if !right {
            self.secret_check_failed(user, Secret::ConfirmPassword).await?;
            return Err(ApiError::refused(401, codes::INVALID_CREDENTIALS, "That password is not right."));
        }
        let mut amr = vec!["pwd"];
        if mfa::state(self.store, &user.id).await?.enabled() {
            let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
                return Err(ApiError::refused(
                    401,
                    codes::INVALID_CODE,
                    "Enter a code from your app, or a backup code.",
                ));
            };
            if mfa::check_code(self.store, self.config, &user.id, code, self.now).await?.is_none() {
                self.secret_check_failed(user, Secret::Code).await?;
                return Err(SignInError::WrongCode.into());
            }
            amr.extend(["otp", "mfa"]);
        }
        let event = self.event("session.reauthenticated")?.actor("user", &user.id).resource("user", &user.id);
        self.store.record(&event.metadata(json!({ "methods": amr, "previous_auth_time": session.auth_time }))).await?;
        self.finish_sign_in(user.clone(), &amr, previous).await
    }

    /// After the user removed one of their own ways to sign in: what may have signed in
    /// with it ends — their other sessions and their refresh tokens — and they are told.
    pub async fn factor_removed(&self, session: &Session, user: &User, change: MethodChange) -> Result<(), ApiError> {
        self.end_sessions(&user.id, Some(&session.id_hash)).await?;
        self.store.revoke_user_refresh_tokens(&user.id, self.now).await?;
        self.notify_sign_in_method(user, change).await?;
        Ok(())
    }

    /// A way to sign in was added or removed (`change` says which): the
    /// owner is told by mail, so a change they did not make does not go unseen. Only the
    /// outbox write can fail (`identity::mail::send`).
    pub async fn notify_sign_in_method(&self, user: &User, change: MethodChange) -> Result<(), InternalError> {
        let content = MailContent::SignInMethodChanged {
            change,
            when: utc_time(self.now),
            ip_address: self.meta.ip_address.clone(),
            account_url: self.config.endpoint("/account"),
        };
        self.send(user, content).await
    }
}
