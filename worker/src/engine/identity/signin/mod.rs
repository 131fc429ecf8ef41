//! Sign-in's one home (docs/architecture.md, "Sign-in has one home"). A browser sign-in is
//! a state and proofs: no session until every step is done, and between steps only the
//! sealed [`pending::Pending`] in the `authority_mfa` cookie, which carries who proved
//! what and which step comes next. [`Accounts::advance`] takes the state and one
//! [`Proof`] and answers the next step or the finished session ([`SignInOutcome`]); its
//! refusals are [`errors::SignInError`]'s. The steps are a file each: the password
//! (`password.rs`), the second factor (`second_factor.rs`), and the end of every path
//! (`complete.rs`: enrolment or a second factor due, an expired password, the session).

pub mod errors;
pub mod pending;

mod complete;
mod password;
mod second_factor;

use shared::mfa::SignInStep;

use self::errors::SignInError;
use self::password::AccountFacts;
use self::pending::Pending;
use crate::engine::identity::accounts::Accounts;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::User;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::request::Platform;

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

/// Where a step of a sign-in leads.
#[derive(Debug)]
pub enum SignInOutcome {
    /// Signed in, with the step the screen may offer (`EnrolSoon`, `ChangePasswordSoon`).
    SignedIn(Box<SignedIn>, Option<SignInStep>),
    /// No session yet: `step` comes first. `challenge` is the sealed [`Pending`], the
    /// `authority_mfa` cookie's value.
    SecondStep { step: SignInStep, challenge: String },
}

/// Who is showing or setting up the second factor.
#[derive(Debug)]
pub enum Basis {
    /// A password sign-in waiting for it (no session yet).
    Pending(Pending),
    /// A signed-in browser: the account page, or a step-up an app asked for.
    Session(Session),
    /// A usernameless passkey sign-in: whose passkey verified.
    Passkey(String),
}

impl Basis {
    pub(crate) fn user_id(&self) -> &str {
        match self {
            Basis::Pending(c) => &c.user_id,
            Basis::Session(s) => &s.user_id,
            Basis::Passkey(user_id) => user_id,
        }
    }

    /// The methods shown so far, plus a code from the app (RFC 8176 `otp`, `mfa`).
    pub(crate) fn amr_with_code(&self) -> Vec<String> {
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

/// What the person shows at a step.
#[derive(Debug)]
pub enum Proof<'a> {
    /// The first factor: an address and its password (`POST /api/session`).
    Password { email: &'a str, password: &'a str },
    /// The first factor: an identity another provider verified (`engine::federation`).
    Federated { user: Box<User>, provider: &'a str },
    /// A passkey's verified assertion (`identity::passkeys`): a usernameless sign-in, or
    /// the second factor of the pending one; `methods` are the RFC 8176 values it proved.
    Passkey { user_id: &'a str, methods: &'a [&'a str] },
    /// A code from the app or a backup code: the second factor of the pending sign-in, or
    /// a step-up of the session.
    Code(&'a str),
    /// The new password of a sign-in whose password expired.
    NewPassword(&'a str),
}

impl<P: Platform> Accounts<'_, P> {
    /// Advances a browser sign-in: `state` is what this browser holds (the pending
    /// sign-in, else its session, else nothing), `proof` what the person showed,
    /// `previous` the session cookie it had (replaced by any new session: a sign-in never
    /// keeps an old, possibly planted, session id; OWASP ASVS V3.2.1). A first factor
    /// starts over whatever the state; a second factor or a new password needs the
    /// pending sign-in of that step (a code may also step up the session).
    pub async fn advance(
        &self,
        state: Option<Basis>,
        proof: Proof<'_>,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        match proof {
            Proof::Password { email, password } => self.sign_in_with_password(email, password, previous).await,
            Proof::Federated { user, provider } => self.sign_in_federated(user, provider, previous).await,
            Proof::Passkey { user_id, methods } => {
                let pending = match state {
                    Some(Basis::Pending(pending)) => Some(pending),
                    _ => None,
                };
                self.finish_with_passkey(pending, user_id, methods, previous).await
            }
            Proof::Code(code) => match state {
                Some(basis @ (Basis::Pending(_) | Basis::Session(_))) => {
                    self.verify_second_factor(basis, code, previous).await
                }
                _ => Err(SignInError::Expired(SignInStep::Verify).into()),
            },
            Proof::NewPassword(password) => match state {
                Some(Basis::Pending(pending)) => self.change_expired_password(pending, password, previous).await,
                _ => Err(SignInError::Expired(SignInStep::ChangePassword).into()),
            },
        }
    }
}
