//! The second step of a sign-in: a code (the app's or a backup code) or a passkey for the
//! pending sign-in, or a code that steps up a signed-in session (`acr_values`). Either
//! way a new session starts with `otp`/`mfa` (or the passkey's methods) among its
//! methods; a wrong code counts toward the account's lockout.

use serde_json::json;

use super::errors::SignInError;
use super::pending::Pending;
use super::{AccountFacts, Basis, SignInOutcome};
use crate::engine::identity::accounts::guard::Secret;
use crate::engine::identity::accounts::Accounts;
use crate::engine::identity::login::{self, LoginContext};
use crate::engine::identity::mfa::{self, CodeFacts, Proof};
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{first_row, SqlRunner};
use crate::engine::platform::request::Platform;
use crate::engine::tables::users::{self, first_user};
use crate::engine::tables::{self, mfa_totp};

impl<P: Platform> Accounts<'_, P> {
    /// The basis' user, active; a sign-in (pending, or by passkey) to an account disabled
    /// or locked meanwhile ends with the sign-in screen's answer.
    pub(crate) async fn mfa_user(&self, basis: &Basis) -> Result<User, ApiError> {
        self.active_for(basis, self.store.user_by_id(basis.user_id()).await?)
    }

    fn active_for(&self, basis: &Basis, user: Option<User>) -> Result<User, ApiError> {
        let locked = |u: &User| u.locked_until.is_some_and(|until| until > self.now);
        match user {
            // A lock stops a sign-in being made, not a session already running.
            Some(user) if user.active && (matches!(basis, Basis::Session(_)) || !locked(&user)) => match basis {
                // A challenge completes once, for the password it was issued for.
                Basis::Pending(pending) if !pending.still_current(&user) => {
                    Err(SignInError::Expired(pending.step).into())
                }
                _ => Ok(user),
            },
            _ => Err(SignInError::InvalidCredentials.into()),
        }
    }

    /// What the code step decides with, read in one batch like the password step's
    /// account: the user, the app's row, the second factor's state, the password's age.
    async fn code_step_facts(&self, user_id: &str) -> Result<(Option<User>, CodeFacts, AccountFacts), ApiError> {
        let statements = [
            users::user_by_id_statement(user_id),
            mfa_totp::of_user(user_id),
            tables::mfa_state(user_id),
            users::password_changed(user_id),
        ];
        let mut results = self.store.query_batch(&statements).await?.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let user = first_user(next())?;
        let totp = first_row(next())?;
        let state = tables::decode_mfa_state(next())?;
        let password_changed_at = login::decode_password_changed(next())?;
        let account = AccountFacts { mfa: state.clone(), password_changed_at, owed: std::cell::Cell::new(None) };
        Ok((user, CodeFacts { totp, state }, account))
    }

    pub(crate) fn login_context(&self) -> LoginContext<'_> {
        LoginContext { config: self.config, meta: self.meta, now: self.now, method: "browser", client_id: None }
    }

    /// `POST /api/mfa/verify`: the second step of a sign-in, or a step-up of this
    /// browser's session. Either way a new session starts (the old one, if any, ends)
    /// with `otp` and `mfa` among its methods. A wrong code counts toward the lockout.
    pub(super) async fn verify_second_factor(
        &self,
        basis: Basis,
        typed: &str,
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let (user, code, account) = self.code_step_facts(basis.user_id()).await?;
        let user = self.active_for(&basis, user)?;
        // The address's limit, and no check at all while the account is locked (a
        // session's step-up included: a lock stops guessing, not the session).
        self.before_secret_check(&user).await?;
        let Some(proof) = mfa::check_code_with(self.store, self.config, &user.id, typed, self.now, &code).await? else {
            self.secret_check_failed(&user, Secret::Code).await?;
            return Err(SignInError::WrongCode.into());
        };
        if proof == Proof::BackupCode {
            let left = code.state.backup_codes_left.saturating_sub(1);
            let event = self.event("mfa.backup_code_used")?.actor("user", &user.id).metadata(json!({ "left": left }));
            self.store.record(&event).await?;
        }
        let amr = basis.amr_with_code();
        let amr: Vec<&str> = amr.iter().map(String::as_str).collect();
        self.complete_with(user, &amr, previous, None, Some(&account)).await
    }

    /// `POST /api/passkeys/sign-in` after the assertion verified: a usernameless sign-in
    /// with the passkey's methods, or the second step of a pending sign-in (the same
    /// account's passkey; `mfa` added). A new session starts either way.
    pub(super) async fn finish_with_passkey(
        &self,
        pending: Option<Pending>,
        user_id: &str,
        methods: &[&str],
        previous: Option<&str>,
    ) -> Result<SignInOutcome, ApiError> {
        let (basis, mut amr) = match pending {
            Some(challenge) if challenge.user_id == user_id => {
                let amr = challenge.amr.clone();
                (Basis::Pending(challenge), amr)
            }
            Some(_) => return Err(SignInError::OtherAccountsPasskey.into()),
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
}
