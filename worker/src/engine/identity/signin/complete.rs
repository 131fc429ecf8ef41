//! The steps after a first factor: the second factor or its enrolment when the account
//! has or needs one (the pending state, no session yet), the change of an expired
//! password, and the end of every sign-in: the browser's previous session replaced by a
//! new one, the sign-in recorded, the new-login notice.

use shared::mfa::SignInStep;

use super::errors::SignInError;
use super::{AccountFacts, SignInOutcome, SignedIn};
use crate::engine::crypto::passwords::verify_password;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::accounts::{utc_time, Accounts};
use crate::engine::identity::devices::device_name;
use crate::engine::identity::login::{login_statements, LoginContext};
use crate::engine::identity::mail::MailContent;
use crate::engine::identity::mfa::{self, AfterPassword};
use crate::engine::identity::password_expiry::{self, Expiry};
use crate::engine::identity::password_history;
use crate::engine::identity::rate_limit::CounterWrite;
use crate::engine::identity::sessions::{self, Session};
use crate::engine::identity::signin::pending::Pending;
use crate::engine::identity::users::Role;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{KeyValue, KV_MIN_TTL};
use crate::engine::platform::request::Platform;
use futures_util::future::join4;
use shared::api::FieldError;

/// How long a browser counts as known to an account (no new-login mail from it).
const KNOWN_DEVICE_SECONDS: u32 = 90 * 86_400;

impl<P: Platform> Accounts<'_, P> {
    /// A sign-in through another identity provider (`engine::federation`), audited
    /// `social.login` (amr `fed`); the account's second factor still comes first.
    pub(super) async fn sign_in_federated(
        &self,
        user: Box<User>,
        provider: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        // The account's lock and EMAIL_VERIFICATION_REQUIRED hold whatever the first factor.
        if user.locked_until.is_some_and(|until| until > self.now) {
            return Err(ApiError::forbidden(
                crate::engine::federation::identities::SOCIAL_LOGIN_REFUSED,
                shared::i18n::ENGLISH.account_locked,
            ));
        }
        if self.config.security.email_verification_required && !user.email_verified {
            return Err(SignInError::EmailNotVerified.into());
        }
        let event =
            self.event("social.login")?.actor("user", &user.id).metadata(serde_json::json!({ "provider": provider }));
        self.store.record(&event).await?;
        self.after_first_factor(*user, "fed", previous, None).await
    }

    /// After the first factor (`method`, RFC 8176): the second factor or its enrolment
    /// when the account has or needs one (no session yet), else the sign-in completes.
    /// `facts`: read with the account, or `None` to read them now.
    pub(super) async fn after_first_factor(
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
                let pending = Pending::new(&user, vec![method.into()], now, step);
                Ok(SignInOutcome::SecondStep { step, challenge: pending.seal(config, self.rng)? })
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
    pub(super) async fn complete_with(
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
                    let challenge = Pending::new(&user, amr, self.now, step);
                    return Ok(SignInOutcome::SecondStep { step, challenge: challenge.seal(self.config, self.rng)? });
                }
                Expiry::Soon { .. } => soon = Some(SignInStep::ChangePasswordSoon),
                Expiry::Fresh => {}
            }
        }
        let owed = facts.and_then(|f| f.owed.take());
        Ok(SignInOutcome::SignedIn(Box::new(self.finish_sign_in_owing(user, amr, previous, owed).await?), soon))
    }

    /// `POST /api/password/expired`: the new password of a sign-in whose password expired
    /// (the challenge proves the old one, and the second factor when there is one); the
    /// rules of any new password apply, and it must differ from the expired one. Then the
    /// sign-in completes.
    pub(super) async fn change_expired_password(
        &self,
        pending: Pending,
        new_password: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let expired_step = || ApiError::from(SignInError::Expired(SignInStep::ChangePassword));
        if pending.step != SignInStep::ChangePassword {
            return Err(expired_step());
        }
        let user = match self.store.user_by_id(&pending.user_id).await? {
            Some(user) if user.active && pending.still_current(&user) => user,
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
        let amr: Vec<&str> = pending.amr.iter().map(String::as_str).collect();
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
        self.finish_sign_in_owing(user, amr, previous, None).await
    }

    /// [`Self::finish_sign_in`], writing the attempt's rate-limit count (`owed`) in the
    /// same round trip.
    pub(super) async fn finish_sign_in_owing(
        &self,
        user: User,
        amr: &[&str],
        previous: Option<&str>,
        owed: Option<CounterWrite>,
    ) -> Result<SignedIn, ApiError> {
        let cx =
            LoginContext { config: self.config, meta: self.meta, now: self.now, method: "browser", client_id: None };
        // The sign-in's record commits with the session's row; the old session ends and
        // the browser is looked up at the same time (one sequential round trip each).
        let login = login_statements(self.rng, &cx, &user, amr.contains(&"mfa"))?;
        let start = sessions::start(&self.rc, amr, &user.id, login);
        let agent = self.meta.user_agent.as_deref().unwrap_or("unknown");
        let (ended, started, known, ()) =
            join4(self.end_previous(previous), start, self.known_browser(&user, agent), self.settle(owed)).await;
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
    /// the account has signed in before from another one (and `NOTIFY_NEW_SESSION`).
    async fn remember_browser(&self, user: &User, session: &Session) -> Result<(), InternalError> {
        let prefix = format!("device:{}:", user.id);
        let agent = session.user_agent.as_deref().unwrap_or("unknown");
        let key = device_key(user, agent);
        let first_ever = self.kv.keys_with_prefix(&prefix).await?.is_empty();
        self.kv.put(&key, &self.now.to_string(), KNOWN_DEVICE_SECONDS.max(KV_MIN_TTL)).await?;
        // NOTIFY_NEW_SESSION=false: the browser is still remembered, the mail not sent.
        if first_ever || !self.config.sessions.notify_new_session {
            return Ok(());
        }
        let content = MailContent::NewLogin {
            when: utc_time(self.now),
            ip_address: session.ip_address.clone(),
            device: session.user_agent.as_deref().map(|agent| device_name(agent).unwrap_or_else(|| agent.to_owned())),
            location: session.location.clone(),
            account_url: self.config.endpoint("/account"),
        };
        self.send(user, content).await
    }
}

/// The KV key that remembers `user`'s sign-ins from one browser (user agent, hashed).
fn device_key(user: &User, agent: &str) -> String {
    format!("device:{}:{}", user.id, hash_token(agent))
}
