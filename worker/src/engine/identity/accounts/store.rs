//! The accounts' storage: [`AccountStore`] over the one SQL port, composed from the
//! builders of `engine::tables`.

use shared::account::ConsentSummary;

use crate::engine::identity::users::User;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, SqlRunner, UnixTime};
use crate::engine::tables::{consents, email_tokens, refresh_tokens, users};

/// What a mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// A mailed link's token as stored (its hash only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    pub token_hash: String,
    pub purpose: Purpose,
    pub user_id: String,
    pub email: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A spent token: whose it was and where it was sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SpentToken {
    pub user_id: String,
    pub email: String,
}

/// Profile fields after an update (`None` clears).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFields {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
}

#[allow(async_fn_in_trait)]
pub trait AccountStore {
    /// Inserts a new user; `false` when the email is taken (case-insensitively).
    async fn insert_user(&self, user: &User) -> Result<bool, InternalError>;
    /// Stores a new link token and retires the user's unused ones of the same purpose, in
    /// one transaction: only the newest link works.
    async fn issue_email_token(&self, token: &EmailToken, now: UnixTime) -> Result<(), InternalError>;
    /// The account a live token of `purpose` is for, without spending it (a reset checks
    /// the new password against the account before the link is used up).
    async fn peek_email_token(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: UnixTime,
    ) -> Result<Option<SpentToken>, InternalError>;
    /// Spends a live token of `purpose` (one conditional UPDATE: it works once).
    async fn spend_email_token(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: UnixTime,
    ) -> Result<Option<SpentToken>, InternalError>;
    /// Marks the address verified, if the account still has `email`; whether it changed.
    async fn mark_email_verified(&self, user_id: &str, email: &str, now: UnixTime) -> Result<bool, InternalError>;
    /// Sets a new password hash, ends any lockout, and (for a reset, which proves the
    /// mailbox) marks `verified_email` verified if it is still the account's address.
    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        verified_email: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, InternalError>;
    async fn update_profile(&self, user_id: &str, fields: &ProfileFields, now: UnixTime) -> Result<(), InternalError>;
    /// The apps the user consented to, most recent first.
    async fn consents_of(&self, user_id: &str) -> Result<Vec<ConsentSummary>, InternalError>;
    /// Forgets the consent and revokes the refresh tokens the client holds for the user,
    /// in one transaction; whether there was a consent.
    async fn revoke_consent(&self, user_id: &str, client_id: &str, now: UnixTime) -> Result<bool, InternalError>;
    /// Revokes every refresh token of the user (after a password reset or change).
    async fn revoke_user_refresh_tokens(&self, user_id: &str, now: UnixTime) -> Result<u64, InternalError>;
}

impl<T: SqlRunner> AccountStore for T {
    async fn insert_user(&self, u: &User) -> Result<bool, InternalError> {
        Ok(self.exec(users::insert(u)).await? == 1)
    }

    async fn issue_email_token(&self, t: &EmailToken, now: UnixTime) -> Result<(), InternalError> {
        let changes =
            self.batch(&[email_tokens::retire_unused(&t.user_id, t.purpose, now), email_tokens::insert(t)]).await?;
        match changes.get(1) {
            Some(1) => Ok(()),
            _ => Err(InternalError::new("email token insert changed no row")),
        }
    }

    async fn peek_email_token(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: UnixTime,
    ) -> Result<Option<SpentToken>, InternalError> {
        first_row(self.select(email_tokens::live(token_hash, purpose, now)).await?)
    }

    async fn spend_email_token(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: UnixTime,
    ) -> Result<Option<SpentToken>, InternalError> {
        first_row(self.select(email_tokens::spend(token_hash, purpose, now)).await?)
    }

    async fn mark_email_verified(&self, user_id: &str, email: &str, now: UnixTime) -> Result<bool, InternalError> {
        Ok(self.exec(users::mark_email_verified(user_id, email, now)).await? == 1)
    }

    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        verified_email: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, InternalError> {
        Ok(self.exec(users::set_password(user_id, password_hash, verified_email, now)).await? == 1)
    }

    async fn update_profile(&self, user_id: &str, f: &ProfileFields, now: UnixTime) -> Result<(), InternalError> {
        match self.exec(users::update_profile(user_id, f, now)).await? {
            1 => Ok(()),
            n => Err(InternalError::new(format!("profile update changed {n} rows"))),
        }
    }

    async fn consents_of(&self, user_id: &str) -> Result<Vec<ConsentSummary>, InternalError> {
        consents::decode_summaries(self.select(consents::of_user_with_clients(user_id)).await?)
    }

    async fn revoke_consent(&self, user_id: &str, client_id: &str, now: UnixTime) -> Result<bool, InternalError> {
        let changes = self
            .batch(&[
                consents::delete(user_id, client_id),
                refresh_tokens::revoke_of_user_and_client(user_id, client_id, now),
            ])
            .await?;
        Ok(changes.first().copied().unwrap_or(0) == 1)
    }

    async fn revoke_user_refresh_tokens(&self, user_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        self.exec(refresh_tokens::revoke_of_user(user_id, now)).await
    }
}
