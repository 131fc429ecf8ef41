//! Self-service accounts: browser sign-in (`signin`), sign-up, email verification,
//! password reset, and what the account page changes (profile, password, sessions,
//! consents). The edge reads bodies and cookies; every decision is here.
//!
//! Mailed links carry 256 random bits; only their SHA-256 is stored, each works once
//! (a conditional UPDATE) until `EMAIL_VERIFICATION_TTL` / `PASSWORD_RESET_TTL`, and a
//! newer link of the same kind retires the older ones. With `HIDE_EMAIL_EXISTENCE=true`
//! sign-up and reset answer the same whether or not the address has an account.

pub(crate) mod guard;
mod proven;
pub mod reauth;
pub mod second_factor;
#[cfg(test)]
mod second_factor_tests;
pub mod store;
#[cfg(test)]
mod tests;

use serde_json::json;
use shared::account::{
    email_problem, ChangePassword, Message, PasswordResetComplete, PasswordResetDone, ProfileUpdate, SessionSummary,
    SignUpRequest, MAX_PROFILE_FIELD_CHARS,
};
use shared::api::FieldError;
use shared::codes;

use crate::engine::crypto::passwords::{burn_verification_time, hash_password, verify_password};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::crypto::tokens::random_token;
use crate::engine::identity::mail::{self, MailContent, MethodChange};
use crate::engine::identity::password_history;
use crate::engine::identity::password_rules;
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::{self, Session};
use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::UnixTime;
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use store::{AccountStore, EmailToken, ProfileFields, Purpose};

/// The answer to a password-reset request: one sentence for every address (docs/api.md,
/// "Public").
pub const RESET_REQUESTED: &str = shared::i18n::ENGLISH.reset_link_sent;

/// What an answer leaves to do. The edge runs it after answering (`ctx.waitUntil`), so a
/// known address and an unknown one answer after the same work: with
/// `HIDE_EMAIL_EXISTENCE=true` neither the text nor the time tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followup {
    Nothing,
    /// Audit `user.signup`, then the verification link and mail.
    SignedUp(Box<User>),
    /// Audit `user.signup_failed` (the address has an account).
    SignUpTaken,
    /// A new verification link and mail.
    Verification(Box<User>),
    /// The reset link and mail, audited `password.reset_requested`.
    Reset(Box<User>),
}

/// Everything the account flows need: the stores, the mail transport, the request.
pub struct Accounts<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

request_context_view!(Accounts);

fn invalid_link() -> ApiError {
    ApiError::bad_request("invalid_token", shared::i18n::ENGLISH.link_invalid)
}

impl<P: Platform> Accounts<'_, P> {
    pub(crate) fn event(&self, name: &'static str) -> Result<AuditEvent, InternalError> {
        AuditEvent::new(name, self.meta, self.now, self.rng)
    }

    /// `content` to `user`, in their language (identity::mail).
    pub(crate) async fn send(&self, user: &User, content: MailContent) -> Result<(), InternalError> {
        let to = mail::Recipient { email: &user.email, name: user.name.as_deref(), locale: user.locale.as_deref() };
        mail::send(&self.rc, &to, &content).await
    }

    /// A fresh link token of `purpose` for `user`, stored hashed; returns the token.
    async fn link_token(&self, user: &User, purpose: Purpose, ttl: u32) -> Result<String, InternalError> {
        let token = random_token(self.rng)?;
        let record = EmailToken {
            token_hash: hash_token(&token),
            purpose,
            user_id: user.id.clone(),
            email: user.email.clone(),
            created_at: self.now,
            expires_at: self.now + i64::from(ttl),
        };
        self.store.issue_email_token(&record, self.now).await?;
        Ok(token)
    }

    async fn send_verification(&self, user: &User) -> Result<(), InternalError> {
        let ttl = self.config.tokens.email_verification_ttl;
        let token = self.link_token(user, Purpose::VerifyEmail, ttl).await?;
        let url = self.config.endpoint(&format!("/verify-email?token={token}"));
        self.send(user, MailContent::Verification { url, valid_hours: ttl.div_ceil(3600) }).await
    }

    /// Sets `user`'s new password (its rules and history already checked): argon2id, the
    /// replaced hash remembered (`PASSWORD_HISTORY_COUNT`), the user's refresh tokens
    /// revoked. `verified_email`: the address a mailed link just proved.
    pub(crate) async fn store_new_password(
        &self,
        user: &User,
        password: &str,
        verified_email: Option<&str>,
    ) -> Result<(), ApiError> {
        let hash = hash_password(password, self.rng)?;
        if !self.store.set_password(&user.id, &hash, verified_email, self.now).await? {
            return Err(InternalError::new("setting a password changed no row").into());
        }
        password_history::remember(self.store, self.config, user, self.now).await?;
        self.store.revoke_user_refresh_tokens(&user.id, self.now).await?;
        Ok(())
    }

    /// The policy's complaints about `password` as validation details of `field`; an
    /// admin's (`admin`) minimum is `ADMIN_PASSWORD_MIN_LENGTH` when larger.
    pub(crate) fn password_errors(&self, field: &str, password: &str, admin: bool) -> Vec<FieldError> {
        password_rules::problems(self.config, password, admin)
            .into_iter()
            .map(|message| FieldError { field: field.into(), message })
            .collect()
    }

    /// `POST /api/signup`: a new account, unverified, and a verification mail.
    ///
    /// The answer never signs anyone in: it says to follow the mailed link. So with
    /// `HIDE_EMAIL_EXISTENCE=true` an address that already has an account gets the same
    /// answer (audited as `user.signup_failed`); otherwise 409 `email_taken`.
    pub async fn sign_up(&self, request: &SignUpRequest) -> Result<Message, ApiError> {
        let (answer, followup) = self.sign_up_answer(request).await?;
        self.follow_up(followup).await?;
        Ok(answer)
    }

    /// [`Self::sign_up`] up to the answer: what is left (audit, link, mail) is the
    /// [`Followup`], which the edge runs after answering so that a taken address and a
    /// new one take equally long to answer.
    pub async fn sign_up_answer(&self, request: &SignUpRequest) -> Result<(Message, Followup), ApiError> {
        let email = request.email.trim();
        let name = request.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let mut problems = Vec::new();
        if let Some(problem) = email_problem(email) {
            problems.push(FieldError { field: "email".into(), message: problem.into() });
        }
        problems.extend(self.password_errors("password", &request.password, false));
        if name.is_some_and(|n| n.chars().count() > MAX_PROFILE_FIELD_CHARS) {
            problems.push(FieldError {
                field: "name".into(),
                message: format!("Name must be at most {MAX_PROFILE_FIELD_CHARS} characters"),
            });
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        // Hashed before the insert either way, so a taken address takes as long.
        let password_hash = hash_password(&request.password, self.rng)?;
        let mut user = User::with_password(new_uuid(self.rng)?, email, password_hash, name, Role::User, self.now);
        user.locale = request.locale.as_deref().and_then(shared::i18n::Locale::parse).map(|l| l.tag().to_owned());
        let answer = Message {
            message: format!(
                "We sent a verification link to {email}. Follow it to confirm your address, then sign in."
            ),
        };
        if self.store.insert_user(&user).await? {
            return Ok((answer, Followup::SignedUp(Box::new(user))));
        }
        if self.config.security.hide_email_existence {
            return Ok((answer, Followup::SignUpTaken));
        }
        self.follow_up(Followup::SignUpTaken).await?;
        Err(ApiError::conflict(codes::EMAIL_TAKEN, shared::i18n::ENGLISH.email_taken))
    }

    /// The writes an answer left for later (see [`Followup`]).
    pub async fn follow_up(&self, followup: Followup) -> Result<(), ApiError> {
        match followup {
            Followup::Nothing => {}
            Followup::SignedUp(user) => {
                let event = self.event("user.signup")?.actor("user", &user.id).resource("user", &user.id);
                self.store.record(&event).await?;
                self.send_verification(&user).await?;
            }
            Followup::SignUpTaken => {
                let event = self.event("user.signup_failed")?.metadata(json!({ "reason": "email_taken" }));
                self.store.record(&event).await?;
            }
            Followup::Verification(user) => self.send_verification(&user).await?,
            Followup::Reset(user) => {
                let ttl = self.config.tokens.password_reset_ttl;
                let token = self.link_token(&user, Purpose::PasswordReset, ttl).await?;
                let url = self.config.endpoint(&format!("/reset-password?token={token}"));
                self.send(&user, MailContent::PasswordReset { url, valid_minutes: ttl.div_ceil(60) }).await?;
                let event = self.event("password.reset_requested")?.actor("user", &user.id).resource("user", &user.id);
                self.store.record(&event).await?;
            }
        }
        Ok(())
    }

    /// `POST /api/verify-email`: the mailed link's token verifies the address it was
    /// sent to (`email.verified`), and the welcome mail goes out.
    pub async fn verify_email(&self, token: &str) -> Result<Message, ApiError> {
        let spent = self.store.spend_email_token(&hash_token(token), Purpose::VerifyEmail, self.now).await?;
        let Some(spent) = spent else { return Err(invalid_link()) };
        if self.store.mark_email_verified(&spent.user_id, &spent.email, self.now).await? {
            let event = self.event("email.verified")?.actor("user", &spent.user_id).resource("user", &spent.user_id);
            self.store.record(&event.metadata(json!({ "email": spent.email }))).await?;
            let account_url = self.config.endpoint("/account");
            if let Some(user) = self.store.user_by_id(&spent.user_id).await? {
                self.send(&user, MailContent::Welcome { account_url }).await?;
            }
            if let Some(dropped) = self.drop_unproven_links(&spent.user_id).await? {
                return Ok(Message { message: format!("{} {dropped}", shared::i18n::ENGLISH.email_verified) });
            }
        } else {
            // Already verified (a password reset proves the mailbox too) is fine; a link
            // for an address the account no longer has verifies nothing.
            let user = self.store.user_by_id(&spent.user_id).await?;
            let still_this_address =
                user.is_some_and(|u| u.email_verified && u.email.eq_ignore_ascii_case(&spent.email));
            if !still_this_address {
                return Err(invalid_link());
            }
        }
        Ok(Message { message: shared::i18n::ENGLISH.email_verified.into() })
    }

    /// A well-formed address that may be sent another link now
    /// (`RATE_LIMIT_PASSWORD_RESET_*` per address, whether or not it has an account).
    async fn mail_allowed<'e>(&self, email: &'e str) -> Result<&'e str, ApiError> {
        let email = email.trim();
        if let Some(problem) = email_problem(email) {
            return Err(ApiError::invalid("email", problem));
        }
        let (bucket, limit) = (Bucket::MailPerAddress, self.config.rate_limits.password_reset);
        rate_limit::hit(self.kv, bucket, &email.to_lowercase(), limit, self.now).await?;
        Ok(email)
    }

    /// `POST /api/verify-email/resend`: a new link for an unverified account; the same
    /// answer for every address. Limited per address like reset mails.
    pub async fn resend_verification(&self, email: &str) -> Result<Message, ApiError> {
        let (answer, followup) = self.resend_verification_answer(email).await?;
        self.follow_up(followup).await?;
        Ok(answer)
    }

    /// [`Self::resend_verification`] up to the answer; the link and mail are the followup.
    pub async fn resend_verification_answer(&self, email: &str) -> Result<(Message, Followup), ApiError> {
        let email = self.mail_allowed(email).await?;
        let followup = match self.store.user_by_email(email).await?.filter(|u| u.active && !u.email_verified) {
            Some(user) => Followup::Verification(Box::new(user)),
            None => Followup::Nothing,
        };
        let message = shared::i18n::ENGLISH.verification_link_sent;
        Ok((Message { message: message.into() }, followup))
    }

    /// `POST /api/password-reset` (docs/api.md, "Public"): a reset link by mail,
    /// `RATE_LIMIT_PASSWORD_RESET_*` per address. With `HIDE_EMAIL_EXISTENCE=true` the
    /// answer is the same sentence for every address; otherwise an unknown one is 404.
    pub async fn request_password_reset(&self, email: &str) -> Result<Message, ApiError> {
        let (answer, followup) = self.request_password_reset_answer(email).await?;
        self.follow_up(followup).await?;
        Ok(answer)
    }

    /// [`Self::request_password_reset`] up to the answer: the same reads for every
    /// address; the link, mail and audit of a known one are the followup.
    pub async fn request_password_reset_answer(&self, email: &str) -> Result<(Message, Followup), ApiError> {
        let email = self.mail_allowed(email).await?;
        let followup = match self.store.user_by_email(email).await?.filter(|u| u.active) {
            Some(user) => Followup::Reset(Box::new(user)),
            None if !self.config.security.hide_email_existence => {
                return Err(ApiError::not_found(codes::USER_NOT_FOUND, "No account uses this email address."));
            }
            None => Followup::Nothing,
        };
        Ok((Message { message: RESET_REQUESTED.into() }, followup))
    }

    /// `POST /api/password-reset/complete`: the new password must meet the policy (a weak
    /// one does not spend the link); then the link is spent, the password set, every
    /// session of the account ended and its refresh tokens revoked (`password.reset`).
    pub async fn complete_password_reset(
        &self,
        request: &PasswordResetComplete,
    ) -> Result<PasswordResetDone, ApiError> {
        let problems = self.password_errors("password", &request.password, false);
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let token_hash = hash_token(&request.token);
        // The account first, without spending the link: a recently used password is
        // refused and the link still works for another.
        let peeked = self.store.peek_email_token(&token_hash, Purpose::PasswordReset, self.now).await?;
        let Some(peeked) = peeked else { return Err(invalid_link()) };
        let Some(user) = self.store.user_by_id(&peeked.user_id).await?.filter(|u| u.active) else {
            return Err(invalid_link());
        };
        let admin_problems = self.password_errors("password", &request.password, user.role != Role::User);
        if !admin_problems.is_empty() {
            return Err(ApiError::Validation(admin_problems));
        }
        password_history::refuse_reuse(self.store, self.config, &user, "password", &request.password).await?;
        let spent = self.store.spend_email_token(&token_hash, Purpose::PasswordReset, self.now).await?;
        let Some(spent) = spent.filter(|s| s.user_id == user.id) else { return Err(invalid_link()) };
        self.store_new_password(&user, &request.password, Some(&spent.email)).await?;
        self.end_sessions(&user.id, None).await?;
        self.store.record(&self.event("password.reset")?.actor("user", &user.id).resource("user", &user.id)).await?;
        let mut message = String::from("Your password has been updated. Sign in with your new password.");
        if let Some(dropped) = self.drop_unproven_links(&user.id).await? {
            message = format!("{message} {dropped}");
        }
        let review = self.reset_review(&user).await?;
        Ok(PasswordResetDone { message, review })
    }

    /// Ends the user's sessions, all but `keep`.
    pub(crate) async fn end_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<(), InternalError> {
        for session in sessions::list(self.store, self.config, user_id, self.now).await? {
            if Some(session.id_hash.as_str()) != keep {
                sessions::end(self.kv, self.store, self.config, &session, self.now).await?;
            }
        }
        Ok(())
    }

    /// `POST /api/account/password`: the current password proves it is the person; the new
    /// one must meet the policy. Other sessions end and refresh tokens are revoked.
    pub async fn change_password(
        &self,
        user: &User,
        session: &Session,
        request: &ChangePassword,
    ) -> Result<(), ApiError> {
        self.require_recent_sign_in(session, user).await?;
        self.before_secret_check(user).await?;
        let current_ok = match user.password_hash.as_deref() {
            Some(phc) => verify_password(&request.current_password, phc)?,
            None => {
                burn_verification_time(&request.current_password);
                false
            }
        };
        let mut problems = Vec::new();
        if !current_ok {
            self.secret_check_failed(user, guard::Secret::Password).await?;
            problems.push(FieldError {
                field: "current_password".into(),
                message: "The current password is incorrect".into(),
            });
        }
        problems.extend(self.password_errors("new_password", &request.new_password, user.role != Role::User));
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        password_history::refuse_reuse(self.store, self.config, user, "new_password", &request.new_password).await?;
        self.store_new_password(user, &request.new_password, None).await?;
        self.end_sessions(&user.id, Some(&session.id_hash)).await?;
        self.store.record(&self.event("password.changed")?.actor("user", &user.id).resource("user", &user.id)).await?;
        self.notify_sign_in_method(user, MethodChange::PasswordChanged).await?;
        Ok(())
    }

    /// `PATCH /api/account`: absent fields stay, empty strings clear.
    pub async fn update_profile(&self, user: &User, update: &ProfileUpdate) -> Result<User, ApiError> {
        let mut problems = Vec::new();
        let mut field = |name: &str, new: &Option<String>, old: &Option<String>| -> Option<String> {
            match new.as_deref().map(str::trim) {
                None => old.clone(),
                Some("") => None,
                Some(value)
                    if value.chars().count() > MAX_PROFILE_FIELD_CHARS || value.chars().any(char::is_control) =>
                {
                    problems.push(FieldError {
                        field: name.into(),
                        message: format!(
                            "Must be at most {MAX_PROFILE_FIELD_CHARS} characters, without control characters"
                        ),
                    });
                    None
                }
                Some(value) => Some(value.to_owned()),
            }
        };
        let fields = ProfileFields {
            name: field("name", &update.name, &user.name),
            given_name: field("given_name", &update.given_name, &user.given_name),
            family_name: field("family_name", &update.family_name, &user.family_name),
            locale: field("locale", &update.locale, &user.locale),
        };
        // BCP 47 as OIDC Core §5.1 says: letters, digits and hyphens, e.g. en-US.
        if let Some(locale) = &fields.locale {
            let bcp47 = locale.len() <= 35
                && locale
                    .split('-')
                    .all(|part| !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric()));
            if !bcp47 {
                problems.push(FieldError {
                    field: "locale".into(),
                    message: "Must be a language tag such as en-US".into(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        self.store.update_profile(&user.id, &fields, self.now).await?;
        let changed: Vec<&str> = [
            ("name", &fields.name, &user.name),
            ("given_name", &fields.given_name, &user.given_name),
            ("family_name", &fields.family_name, &user.family_name),
            ("locale", &fields.locale, &user.locale),
        ]
        .iter()
        .filter(|(_, new, old)| new != old)
        .map(|(name, _, _)| *name)
        .collect();
        let event = self.event("user.updated")?.actor("user", &user.id).resource("user", &user.id);
        self.store.record(&event.metadata(json!({ "fields": changed }))).await?;
        Ok(User {
            name: fields.name,
            given_name: fields.given_name,
            family_name: fields.family_name,
            locale: fields.locale,
            updated_at: self.now,
            ..user.clone()
        })
    }

    /// `GET /api/account/sessions`: the user's live sessions, this one marked.
    pub async fn sessions(&self, user: &User, current: &Session) -> Result<Vec<SessionSummary>, InternalError> {
        let mut list: Vec<SessionSummary> = sessions::list(self.store, self.config, &user.id, self.now)
            .await?
            .into_iter()
            .map(|s| SessionSummary {
                current: s.id_hash == current.id_hash,
                id: s.id_hash,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
            })
            .collect();
        list.sort_by(|a, b| b.current.cmp(&a.current).then(b.last_seen_at.cmp(&a.last_seen_at)));
        Ok(list)
    }

    /// `DELETE /api/account/sessions/{id}`: signs one of the user's sessions out
    /// (`session.revoked`); someone else's id is "not found".
    pub async fn end_session(&self, user: &User, id: &str) -> Result<(), ApiError> {
        let found =
            sessions::list(self.store, self.config, &user.id, self.now).await?.into_iter().find(|s| s.id_hash == id);
        let Some(session) = found else { return Err(ApiError::Missing("session")) };
        sessions::end(self.kv, self.store, self.config, &session, self.now).await?;
        let event = self.event("session.revoked")?.actor("user", &user.id).resource("session", &session.id_hash);
        self.store.record(&event).await?;
        Ok(())
    }

    /// `DELETE /api/account/consents/{client_id}`: the app must ask again, and its refresh
    /// tokens for this user stop working (`consent.revoked`).
    pub async fn revoke_consent(&self, user: &User, client_id: &str) -> Result<(), ApiError> {
        if !self.store.revoke_consent(&user.id, client_id, self.now).await? {
            return Err(ApiError::Missing("consent"));
        }
        let event = self.event("consent.revoked")?.actor("user", &user.id).resource("client", client_id);
        self.store.record(&event).await?;
        Ok(())
    }
}

/// `2026-11-28 09:30 UTC`.
pub fn utc_time(t: UnixTime) -> String {
    crate::engine::platform::time::utc_minutes(t)
}
