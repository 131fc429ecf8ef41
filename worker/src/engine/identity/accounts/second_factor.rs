//! The second factor on the account page and the `/mfa` screen: its state, enrolling an
//! authenticator app with its backup codes (which completes a sign-in that had to enrol),
//! new backup codes, turning it off. The rules and rows are `identity::mfa`'s; here are
//! the audit trail (`mfa.*`) and the `mfa-enabled` mail. The code that completes a
//! sign-in is `identity::signin`'s.

use serde_json::json;
use shared::codes;
use shared::mfa::{classify_code, CodeKind, MfaStatus, SignInStep, TotpEnrolment};

use super::guard::Secret;
use super::{utc_time, Accounts};
use crate::engine::identity::mail::{MailContent, MethodChange};
use crate::engine::identity::mfa;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::signin::errors::SignInError;
use crate::engine::identity::signin::{Basis, SignInOutcome};
use crate::engine::identity::users::User;
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::request::Platform;

impl<P: Platform> Accounts<'_, P> {
    /// `GET /api/mfa`.
    pub async fn mfa_status(&self, basis: &Basis) -> Result<MfaStatus, ApiError> {
        let user = self.mfa_user(basis).await?;
        let state = mfa::state(self.store, &user.id).await?;
        let required = mfa::required(self.config, user.role);
        let grace = i64::from(self.config.security.mfa_grace_period_days) * 86_400;
        let enrol_by = match (required && !state.enabled(), state.asked_at) {
            (true, Some(asked)) if self.now < asked + grace => Some(asked + grace),
            _ => None,
        };
        Ok(MfaStatus {
            email: user.email,
            pending_sign_in: matches!(basis, Basis::Pending(_)),
            totp_enabled: state.enabled(),
            totp_configured_at: state.totp_confirmed_at,
            backup_codes_left: state.backup_codes_left,
            passkeys: state.passkeys,
            required,
            enrol_by,
        })
    }

    /// `POST /api/mfa/totp`: a new secret to scan. Allowed to a signed-in browser, and
    /// to a sign-in that must enrol before its session starts.
    pub async fn begin_totp(&self, basis: &Basis) -> Result<TotpEnrolment, ApiError> {
        if let Basis::Pending(challenge) = basis {
            if challenge.step != SignInStep::Enrol {
                return Err(ApiError::conflict(
                    codes::MFA_ALREADY_ENABLED,
                    "This account already has an authenticator app.",
                ));
            }
        }
        let user = self.mfa_user(basis).await?;
        if let Basis::Session(session) = basis {
            self.require_recent_sign_in(session, &user).await?;
        }
        mfa::begin_totp(self.store, self.config, &user, self.rng, self.now).await?.ok_or_else(|| {
            ApiError::conflict(
                codes::MFA_ALREADY_ENABLED,
                "This account already has an authenticator app; turn it off first to set up another.",
            )
        })
    }

    /// `POST /api/mfa/totp/confirm`: the first code from the app puts it in force. Answers
    /// the ten backup codes (shown once) and the session that now starts with `otp` and
    /// `mfa` (a pending sign-in completes; a signed-in browser's session is renewed).
    pub async fn confirm_totp(
        &self,
        basis: Basis,
        typed: &str,
        previous: Option<&str>,
    ) -> Result<(Vec<String>, SignInOutcome), ApiError> {
        let user = self.mfa_user(&basis).await?;
        if let Basis::Session(session) = &basis {
            self.require_recent_sign_in(session, &user).await?;
        }
        let Some(CodeKind::Totp(code)) = classify_code(typed) else {
            return Err(SignInError::NotAnAppCode.into());
        };
        if !mfa::check_totp(self.store, self.config, &user.id, &code, true, self.now).await? {
            return Err(SignInError::WrongCode.into());
        }
        let backup_codes = mfa::regenerate_backup_codes(self.store, self.config, &user.id, self.rng, self.now).await?;
        let event = self.event("mfa.enabled")?.actor("user", &user.id).metadata(json!({ "method": "totp" }));
        self.store.record(&event).await?;
        let content =
            MailContent::MfaEnabled { when: utc_time(self.now), account_url: self.config.endpoint("/account") };
        // The enrolment stands even if its mail cannot be written; the log says why.
        let mail_failed: Option<InternalError> = self.send(&user, content).await.err();
        let amr = basis.amr_with_code();
        let amr: Vec<&str> = amr.iter().map(String::as_str).collect();
        let mut outcome = self.complete(user, &amr, previous, None).await?;
        if let SignInOutcome::SignedIn(signed_in, _) = &mut outcome {
            signed_in.notice_failed = signed_in.notice_failed.take().or(mail_failed);
        }
        Ok((backup_codes, outcome))
    }

    /// A current code (app or backup) of the signed-in user, before a change to the
    /// second factor itself; a wrong one counts like a wrong sign-in code.
    async fn prove_second_factor(&self, user: &User, typed: &str) -> Result<(), ApiError> {
        if !mfa::state(self.store, &user.id).await?.enabled() {
            return Err(ApiError::conflict(codes::MFA_NOT_ENABLED, "This account has no authenticator app."));
        }
        self.before_secret_check(user).await?;
        if mfa::check_code(self.store, self.config, &user.id, typed, self.now).await?.is_none() {
            self.secret_check_failed(user, Secret::Code).await?;
            return Err(SignInError::WrongCode.into());
        }
        Ok(())
    }

    /// `POST /api/mfa/disable`: turns the second factor off (app and backup codes), with
    /// a current code; refused while `REQUIRE_MFA`/`REQUIRE_ADMIN_MFA` applies.
    pub async fn disable_mfa(&self, session: &Session, typed: &str) -> Result<(), ApiError> {
        let user = self.mfa_user(&Basis::Session(session.clone())).await?;
        if mfa::required(self.config, user.role) {
            return Err(ApiError::conflict(codes::MFA_REQUIRED, "Two-step sign-in is required for this account."));
        }
        self.require_recent_sign_in(session, &user).await?;
        self.prove_second_factor(&user, typed).await?;
        mfa::remove(self.store, &user.id, false).await?;
        let event = self.event("mfa.disabled")?.actor("user", &user.id).resource("user", &user.id);
        self.store.record(&event).await?;
        self.factor_removed(session, &user, MethodChange::TwoStepOff).await
    }

    /// `POST /api/mfa/backup-codes`: ten new backup codes, with a current code; the old
    /// ones stop working.
    pub async fn regenerate_backup_codes(&self, session: &Session, typed: &str) -> Result<Vec<String>, ApiError> {
        let user = self.mfa_user(&Basis::Session(session.clone())).await?;
        self.require_recent_sign_in(session, &user).await?;
        self.prove_second_factor(&user, typed).await?;
        let codes = mfa::regenerate_backup_codes(self.store, self.config, &user.id, self.rng, self.now).await?;
        let event = self.event("mfa.backup_codes_regenerated")?.actor("user", &user.id);
        self.store.record(&event).await?;
        self.notify_sign_in_method(&user, MethodChange::BackupCodesRenewed).await?;
        Ok(codes)
    }
}
