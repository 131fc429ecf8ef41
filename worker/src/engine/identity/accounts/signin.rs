//! Password sign-in from a browser (`POST /api/session`): the rate limit, the password
//! check, replacing the browser's previous session, the new session and the new-login
//! notice, decided here; the edge only reads the body and writes the cookie.

use shared::codes;
use shared::mfa::SignInStep;

use super::Accounts;
use crate::engine::crypto::passwords::verify_password;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::login::{login_statements, verify_account, LoginContext, LoginError};
use crate::engine::identity::mail::MailContent;
use crate::engine::identity::mfa::challenge::Challenge;
use crate::engine::identity::mfa::{self, AfterPassword, MfaState};
use crate::engine::identity::password_expiry::{self, Expiry};
use crate::engine::identity::password_history;
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::{self, Session};
use crate::engine::identity::users::Role;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{first_row, int, KeyValue, SqlRunner, UnixTime, KV_MIN_TTL};
use crate::engine::platform::request::Platform;
use crate::engine::tables;
use crate::engine::tables::users::{self, first_user};
use futures_util::future::{join, join3};
use shared::api::FieldError;

use super::utc_time;

/// The answer to every failed password sign-in, whatever the reason.
pub const INVALID_CREDENTIALS: &str = "The email or password is incorrect. After several failed attempts, \
sign-in to an account pauses for a while; resetting the password ends the pause.";

/// How long a browser counts as known to an account (no new-login mail from it).
const KNOWN_DEVICE_SECONDS: u32 = 90 * 86_400;

/// A successful sign-in: who, and the new session with the cookie value that names it.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    /// The `authority_session` cookie's value (only its SHA-256 is stored).
    pub cookie: String,
    /// Why the new-login notice could not be written, for the log: the sign-in stands.
    pub notice_failed: Option<InternalError>,
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// Signed in. `EnrolSoon` when a second factor is required and the grace period runs.
    SignedIn(Box<SignedIn>, Option<SignInStep>),
    /// No session yet: the second factor (or its enrolment) comes first. `challenge` is
    /// the sealed `authority_mfa` cookie value.
    SecondStep { step: SignInStep, challenge: String },
}

impl<P: Platform> Accounts<'_, P> {
    /// Signs `email` in with `password`. `previous` is the session cookie this browser
    /// already had: it is ended, so a sign-in never keeps an old (possibly planted)
    /// session id (session fixation, OWASP ASVS V3.2.1).
    pub async fn sign_in(
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
            LoginError::Invalid => ApiError::Request {
                status: 401,
                code: codes::INVALID_CREDENTIALS,
                description: INVALID_CREDENTIALS.into(),
            },
            LoginError::EmailNotVerified => ApiError::Request {
                status: 403,
                code: codes::EMAIL_NOT_VERIFIED,
                description: "Verify your email address first: follow the link in the message we sent you.".into(),
            },
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

    /// A sign-in through another identity provider (`engine::federation`), audited
    /// `social.login` (amr `fed`); the account's second factor still comes first.
    pub async fn sign_in_federated(
        &self,
        user: User,
        provider: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let event =
            self.event("social.login")?.actor("user", &user.id).metadata(serde_json::json!({ "provider": provider }));
        self.store.record(&event).await?;
        self.after_first_factor(user, "fed", previous, None).await
    }

    /// After the first factor (`method`, RFC 8176): the second factor or its enrolment
    /// when the account has or needs one (no session yet), else the sign-in completes.
    /// `facts`: read with the account, or `None` to read them now.
    async fn after_first_factor(
        &self,
        user: User,
        method: &str,
        previous: Option<&str>,
        facts: Option<&AccountFacts>,
    ) -> Result<SignInOutcome, ApiError> {
        let (config, now) = (self.config, self.now);
        let after = match facts {
            Some(facts) => mfa::after_password_with(self.store, config, &user, &facts.mfa, now).await?,
            None => mfa::after_password(self.store, config, &user, now).await?,
        };
        let step = match after {
            AfterPassword::SignIn => None,
            AfterPassword::EnrolSoon { .. } => Some(SignInStep::EnrolSoon),
            AfterPassword::Verify => Some(SignInStep::Verify),
            AfterPassword::Enrol => Some(SignInStep::Enrol),
        };
        match step {
            Some(step @ (SignInStep::Verify | SignInStep::Enrol)) => {
                // The browser's old session ends now too: whoever was signed in here, the
                // person at the keyboard is signing in as someone.
                self.end_previous(previous).await?;
                let challenge = Challenge { user_id: user.id.clone(), amr: vec![method.into()], issued_at: now, step };
                Ok(SignInOutcome::SecondStep { step, challenge: challenge.seal(config, self.rng)? })
            }
            soon => self.complete_with(user, &[method], previous, soon, facts).await,
        }
    }

    /// The end of every sign-in path, once the person proved who they are by `amr`: when
    /// the password was used and has expired (`identity::password_expiry`), a change
    /// before the session (audited `password.expired`); else the session, with the step
    /// the screen may offer (`soon`, or the password change when it is due soon).
    pub(crate) async fn complete(
        &self,
        user: User,
        amr: &[&str],
        previous: Option<&str>,
        soon: Option<SignInStep>,
    ) -> Result<SignInOutcome, ApiError> {
        self.complete_with(user, amr, previous, soon, None).await
    }

    /// [`Self::complete`] with the password's last change already read (`facts`).
    async fn complete_with(
        &self,
        user: User,
        amr: &[&str],
        previous: Option<&str>,
        soon: Option<SignInStep>,
        facts: Option<&AccountFacts>,
    ) -> Result<SignInOutcome, ApiError> {
        let mut soon = soon;
        if amr.contains(&"pwd") {
            let expiry = match facts {
                Some(f) => password_expiry::of_changed_at(self.config, &user, f.password_changed_at, self.now),
                None => password_expiry::of_user(self.store, self.config, &user, self.now).await?,
            };
            match expiry {
                Expiry::Expired { at } => {
                    let event = self
                        .event("password.expired")?
                        .actor("user", &user.id)
                        .resource("user", &user.id)
                        .metadata(serde_json::json!({ "expired_at": at }));
                    self.store.record(&event).await?;
                    self.end_previous(previous).await?;
                    let step = SignInStep::ChangePassword;
                    let amr = amr.iter().map(|m| (*m).to_owned()).collect();
                    let challenge = Challenge { user_id: user.id.clone(), amr, issued_at: self.now, step };
                    return Ok(SignInOutcome::SecondStep { step, challenge: challenge.seal(self.config, self.rng)? });
                }
                Expiry::Soon { .. } => soon = Some(SignInStep::ChangePasswordSoon),
                Expiry::Fresh => {}
            }
        }
        Ok(SignInOutcome::SignedIn(Box::new(self.finish_sign_in(user, amr, previous).await?), soon))
    }

    /// `POST /api/password/expired`: the new password of a sign-in whose password expired
    /// (the challenge proves the old one, and the second factor when there is one); the
    /// rules of any new password apply, and it must differ from the expired one. Then the
    /// sign-in completes.
    pub async fn change_expired_password(
        &self,
        challenge: Challenge,
        new_password: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let expired_step = || ApiError::Request {
            status: 401,
            code: codes::MFA_CHALLENGE_EXPIRED,
            description: "The sign-in waiting for a new password has expired. Sign in again.".into(),
        };
        if challenge.step != SignInStep::ChangePassword {
            return Err(expired_step());
        }
        let user = match self.store.user_by_id(&challenge.user_id).await? {
            Some(user) if user.active => user,
            _ => return Err(expired_step()),
        };
        let mut problems: Vec<FieldError> = self.password_errors("new_password", new_password, user.role != Role::User);
        if let Some(phc) = user.password_hash.as_deref() {
            if verify_password(new_password, phc)? {
                problems.push(FieldError {
                    field: "new_password".into(),
                    message: "Choose a new password: this one has expired.".into(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        password_history::refuse_reuse(self.store, self.config, &user, "new_password", new_password).await?;
        self.store_new_password(&user, new_password, None).await?;
        let event = self.event("password.changed")?.actor("user", &user.id).resource("user", &user.id);
        self.store.record(&event.metadata(serde_json::json!({ "reason": "expired" }))).await?;
        let user = self.store.user_by_id(&user.id).await?.ok_or_else(expired_step)?;
        let amr: Vec<&str> = challenge.amr.iter().map(String::as_str).collect();
        self.complete(user, &amr, previous, None).await
    }

    async fn end_previous(&self, previous: Option<&str>) -> Result<(), InternalError> {
        if let Some(old) = previous {
            if let Some(session) = sessions::load(self.kv, self.store, self.config, old, self.now).await? {
                sessions::end(self.kv, self.store, self.config, &session, self.now).await?;
            }
        }
        Ok(())
    }

    /// A complete sign-in by the methods `amr`: recorded (`user.login`), the browser's
    /// previous session replaced by a new one, the new-login notice sent.
    pub(crate) async fn finish_sign_in(
        &self,
        user: User,
        amr: &[&str],
        previous: Option<&str>,
    ) -> Result<SignedIn, ApiError> {
        let cx =
            LoginContext { config: self.config, meta: self.meta, now: self.now, method: "browser", client_id: None };
        // The sign-in's record commits with the session's row; the old session ends and
        // the browser is looked up at the same time (one sequential round trip each).
        let login = login_statements(self.rng, &cx, &user, amr.contains(&"mfa"))?;
        let start = sessions::start(&self.rc, amr, &user.id, login);
        let agent = self.meta.user_agent.as_deref().unwrap_or("unknown");
        let (ended, started, known) = join3(self.end_previous(previous), start, self.known_browser(&user, agent)).await;
        ended?;
        let (cookie, session) = started?;
        // The sign-in stands even if the new-login notice cannot be written.
        let notice_failed = match known {
            Ok(true) => None,
            Ok(false) => self.remember_browser(&user, &session).await.err(),
            Err(e) => Some(e),
        };
        Ok(SignedIn { user, session, cookie, notice_failed })
    }

    /// Whether `user` signed in from this browser (user agent) in the last 90 days.
    async fn known_browser(&self, user: &User, agent: &str) -> Result<bool, InternalError> {
        Ok(self.kv.get(&device_key(user, agent)).await?.is_some())
    }

    /// After a browser sign-in: a `new-login` mail when the account has signed in before
    /// but never from this browser (user agent) in the last 90 days.
    pub async fn notice_sign_in(&self, user: &User, session: &Session) -> Result<(), InternalError> {
        let agent = session.user_agent.as_deref().unwrap_or("unknown");
        if self.known_browser(user, agent).await? {
            return Ok(());
        }
        self.remember_browser(user, session).await
    }

    /// A browser not [`Self::known_browser`]: remembered, and the `new-login` mail when
    /// the account has signed in before from another one.
    async fn remember_browser(&self, user: &User, session: &Session) -> Result<(), InternalError> {
        let prefix = format!("device:{}:", user.id);
        let agent = session.user_agent.as_deref().unwrap_or("unknown");
        let key = device_key(user, agent);
        let first_ever = self.kv.keys_with_prefix(&prefix).await?.is_empty();
        self.kv.put(&key, &self.now.to_string(), KNOWN_DEVICE_SECONDS.max(KV_MIN_TTL)).await?;
        if first_ever {
            return Ok(());
        }
        let content = MailContent::NewLogin {
            when: utc_time(self.now),
            ip_address: session.ip_address.clone(),
            user_agent: session.user_agent.clone(),
            account_url: self.config.endpoint("/account"),
        };
        self.send(&user.email, content).await
    }
}

/// The KV key that remembers `user`'s sign-ins from one browser (user agent, hashed).
fn device_key(user: &User, agent: &str) -> String {
    format!("device:{}:{}", user.id, hash_token(agent))
}

/// What a password sign-in reads with the account ([`Accounts::sign_in`]): the second
/// factor's state and the password's last change.
struct AccountFacts {
    mfa: MfaState,
    password_changed_at: Option<UnixTime>,
}

#[derive(serde::Deserialize)]
struct ChangedRow {
    changed_at: f64,
}
