//! The second factor around the browser: the `/mfa` step after a right password, step-up
//! of a signed-in session (`acr_values`), enrolling an authenticator app with its backup
//! codes, and turning it off. The rules and rows are `identity::mfa`'s; here are the
//! audit trail (`mfa.*`), the `mfa-enabled` mail and the sessions they start.

use serde_json::json;
use shared::codes;
use shared::mfa::{classify_code, CodeKind, MfaStatus, SignInStep, TotpEnrolment};

use super::signin::{SignInOutcome, INVALID_CREDENTIALS};
use super::{utc_time, Accounts};
use crate::engine::identity::login::{second_factor_failed, LoginContext};
use crate::engine::identity::mail::MailContent;
use crate::engine::identity::mfa::challenge::Challenge;
use crate::engine::identity::mfa::{self, Proof};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::request::Platform;

/// Who is showing or setting up the second factor.
#[derive(Debug)]
pub enum Basis {
    /// A password sign-in waiting for it (no session yet).
    Pending(Challenge),
    /// A signed-in browser: the account page, or a step-up an app asked for.
    Session(Session),
    /// A usernameless passkey sign-in: whose passkey verified.
    Passkey(String),
}

impl Basis {
    fn user_id(&self) -> &str {
        match self {
            Basis::Pending(c) => &c.user_id,
            Basis::Session(s) => &s.user_id,
            Basis::Passkey(user_id) => user_id,
        }
    }

    /// The methods shown so far, plus a code from the app (RFC 8176 `otp`, `mfa`).
    fn amr_with_code(&self) -> Vec<String> {
        let mut amr = match self {
            Basis::Pending(c) => c.amr.clone(),
            Basis::Session(s) => s.amr.clone(),
            Basis::Passkey(_) => Vec::new(),
        };
        for method in ["otp", "mfa"] {
            if !amr.iter().any(|m| m == method) {
                amr.push(method.into());
            }
        }
        amr
    }
}

fn wrong_code() -> ApiError {
    ApiError::Request {
        status: 401,
        code: codes::INVALID_CODE,
        description: "That code is not right, or it was already used. Enter the current code from your app, or \
                      one of your backup codes."
            .into(),
    }
}

fn conflict(code: &'static str, description: &str) -> ApiError {
    ApiError::Request { status: 409, code, description: description.into() }
}

impl<P: Platform> Accounts<'_, P> {
    /// The basis' user, active; a sign-in (pending, or by passkey) to an account disabled
    /// or locked meanwhile ends with the sign-in screen's answer.
    async fn mfa_user(&self, basis: &Basis) -> Result<User, ApiError> {
        let user = self.store.user_by_id(basis.user_id()).await?;
        let locked = |u: &User| u.locked_until.is_some_and(|until| until > self.now);
        match user {
            // A lock stops a sign-in being made, not a session already running.
            Some(user) if user.active && (matches!(basis, Basis::Session(_)) || !locked(&user)) => Ok(user),
            _ => Err(ApiError::Request {
                status: 401,
                code: codes::INVALID_CREDENTIALS,
                description: INVALID_CREDENTIALS.into(),
            }),
        }
    }

    fn login_context(&self) -> LoginContext<'_> {
        LoginContext { config: self.config, meta: self.meta, now: self.now, method: "browser", client_id: None }
    }

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

    /// `POST /api/mfa/verify`: the second step of a sign-in, or a step-up of this
    /// browser's session. Either way a new session starts (the old one, if any, ends)
    /// with `otp` and `mfa` among its methods. A wrong code counts toward the lockout.
    pub async fn verify_second_factor(
        &self,
        basis: Basis,
        typed: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let ip = self.meta.ip_address.as_deref().unwrap_or("unknown");
        if !rate_limit::exempt(self.config, self.meta.ip_address.as_deref()) {
            rate_limit::hit(self.kv, Bucket::Login, ip, self.config.rate_limits.login, self.now).await?;
        }
        let user = self.mfa_user(&basis).await?;
        let Some(proof) = mfa::check_code(self.store, self.config, &user.id, typed, self.now).await? else {
            second_factor_failed(self.store, self.rng, &self.login_context(), &user).await?;
            return Err(wrong_code());
        };
        if proof == Proof::BackupCode {
            let left = mfa::state(self.store, &user.id).await?.backup_codes_left;
            let event = self.event("mfa.backup_code_used")?.actor("user", &user.id).metadata(json!({ "left": left }));
            self.store.record(&event).await?;
        }
        let amr = basis.amr_with_code();
        let amr: Vec<&str> = amr.iter().map(String::as_str).collect();
        self.complete(user, &amr, previous, None).await
    }

    /// `POST /api/passkeys/sign-in` after the assertion verified: a usernameless sign-in
    /// with the passkey's methods, or the second step of a pending sign-in (the same
    /// account's passkey; `mfa` added). A new session starts either way.
    pub async fn finish_with_passkey(
        &self,
        pending: Option<Challenge>,
        user_id: &str,
        methods: &[&str],
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let (basis, mut amr) = match pending {
            Some(challenge) if challenge.user_id == user_id => {
                let amr = challenge.amr.clone();
                (Basis::Pending(challenge), amr)
            }
            Some(_) => {
                return Err(ApiError::Request {
                    status: 401,
                    code: codes::INVALID_CREDENTIALS,
                    description: "This passkey belongs to another account than the one signing in.".into(),
                })
            }
            None => (Basis::Passkey(user_id.to_owned()), Vec::new()),
        };
        let user = self.mfa_user(&basis).await?;
        for method in methods.iter().chain(if matches!(basis, Basis::Pending(_)) { &["mfa"][..] } else { &[][..] }) {
            if !amr.iter().any(|m| m == method) {
                amr.push((*method).to_owned());
            }
        }
        let amr: Vec<&str> = amr.iter().map(String::as_str).collect();
        self.complete(user, &amr, previous, None).await
    }

    /// `POST /api/mfa/totp`: a new secret to scan. Allowed to a signed-in browser, and
    /// to a sign-in that must enrol before its session starts.
    pub async fn begin_totp(&self, basis: &Basis) -> Result<TotpEnrolment, ApiError> {
        if let Basis::Pending(challenge) = basis {
            if challenge.step != SignInStep::Enrol {
                return Err(conflict(codes::MFA_ALREADY_ENABLED, "This account already has an authenticator app."));
            }
        }
        let user = self.mfa_user(basis).await?;
        mfa::begin_totp(self.store, self.config, &user, self.rng, self.now).await?.ok_or_else(|| {
            conflict(
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
        let Some(CodeKind::Totp(code)) = classify_code(typed) else {
            return Err(ApiError::bad_request(codes::INVALID_CODE, "Enter the six-digit code your app shows."));
        };
        if !mfa::check_totp(self.store, self.config, &user.id, &code, true, self.now).await? {
            return Err(wrong_code());
        }
        let backup_codes = mfa::regenerate_backup_codes(self.store, self.config, &user.id, self.rng, self.now).await?;
        let event = self.event("mfa.enabled")?.actor("user", &user.id).metadata(json!({ "method": "totp" }));
        self.store.record(&event).await?;
        let content =
            MailContent::MfaEnabled { when: utc_time(self.now), account_url: self.config.endpoint("/account") };
        // The enrolment stands even if its mail cannot be written; the log says why.
        let mail_failed: Option<InternalError> = self.send(&user.email, content).await.err();
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
            return Err(conflict(codes::MFA_NOT_ENABLED, "This account has no authenticator app."));
        }
        if mfa::check_code(self.store, self.config, &user.id, typed, self.now).await?.is_none() {
            second_factor_failed(self.store, self.rng, &self.login_context(), user).await?;
            return Err(wrong_code());
        }
        Ok(())
    }

    /// `POST /api/mfa/disable`: turns the second factor off (app and backup codes), with
    /// a current code; refused while `REQUIRE_MFA`/`REQUIRE_ADMIN_MFA` applies.
    pub async fn disable_mfa(&self, session: &Session, typed: &str) -> Result<(), ApiError> {
        let user = self.mfa_user(&Basis::Session(session.clone())).await?;
        if mfa::required(self.config, user.role) {
            return Err(conflict(codes::MFA_REQUIRED, "Two-step sign-in is required for this account."));
        }
        self.prove_second_factor(&user, typed).await?;
        mfa::remove(self.store, &user.id, false).await?;
        let event = self.event("mfa.disabled")?.actor("user", &user.id).resource("user", &user.id);
        self.store.record(&event).await?;
        Ok(())
    }

    /// `POST /api/mfa/backup-codes`: ten new backup codes, with a current code; the old
    /// ones stop working.
    pub async fn regenerate_backup_codes(&self, session: &Session, typed: &str) -> Result<Vec<String>, ApiError> {
        let user = self.mfa_user(&Basis::Session(session.clone())).await?;
        self.prove_second_factor(&user, typed).await?;
        let codes = mfa::regenerate_backup_codes(self.store, self.config, &user.id, self.rng, self.now).await?;
        let event = self.event("mfa.backup_codes_regenerated")?.actor("user", &user.id);
        self.store.record(&event).await?;
        Ok(codes)
    }
}
