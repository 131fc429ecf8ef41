//! The accounts' storage, written once for D1 and SQLite over [`SqlRunner`].

use shared::account::ConsentSummary;

use crate::engine::identity::users::User;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, SqlArg, SqlRunner, UnixTime};

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

const INSERT_USER_SQL: &str = "INSERT INTO users (id, email, password_hash, name, email_verified, role, active, \
password_changed_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?7) ON CONFLICT DO NOTHING";
const RETIRE_TOKENS_SQL: &str =
    "UPDATE email_tokens SET used_at = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL";
const INSERT_TOKEN_SQL: &str = "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, \
expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const SPEND_TOKEN_SQL: &str = "UPDATE email_tokens SET used_at = ?3 WHERE token_hash = ?1 AND purpose = ?2 \
AND used_at IS NULL AND expires_at > ?3 RETURNING user_id, email";
const PEEK_TOKEN_SQL: &str = "SELECT user_id, email FROM email_tokens WHERE token_hash = ?1 AND purpose = ?2 \
AND used_at IS NULL AND expires_at > ?3";
const MARK_VERIFIED_SQL: &str = "UPDATE users SET email_verified = 1, updated_at = ?3 \
WHERE id = ?1 AND email = ?2 COLLATE NOCASE AND email_verified = 0";
const SET_PASSWORD_SQL: &str = "UPDATE users SET password_hash = ?2, password_changed_at = ?3, updated_at = ?3, \
failed_attempts = 0, locked_until = NULL, lockout_count = 0, \
email_verified = CASE WHEN ?4 IS NOT NULL AND email = ?4 COLLATE NOCASE THEN 1 ELSE email_verified END \
WHERE id = ?1";
const UPDATE_PROFILE_SQL: &str =
    "UPDATE users SET name = ?2, given_name = ?3, family_name = ?4, locale = ?5, updated_at = ?6 WHERE id = ?1";
const CONSENTS_OF_SQL: &str = "SELECT c.client_id, cl.client_name, c.scopes, c.updated_at FROM consents c \
JOIN clients cl ON cl.client_id = c.client_id WHERE c.user_id = ?1 ORDER BY c.updated_at DESC, c.client_id";
const DELETE_CONSENT_SQL: &str = "DELETE FROM consents WHERE user_id = ?1 AND client_id = ?2";
const REVOKE_CLIENT_USER_REFRESH_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?3, successor_sealed = NULL \
WHERE user_id = ?1 AND client_id = ?2 AND revoked_at IS NULL";
const REVOKE_USER_REFRESH_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE user_id = ?1 AND revoked_at IS NULL";

#[derive(serde::Deserialize)]
struct ConsentSummaryRow {
    client_id: String,
    client_name: String,
    scopes: String,
    updated_at: f64,
}

impl<T: SqlRunner> AccountStore for T {
    async fn insert_user(&self, u: &User) -> Result<bool, InternalError> {
        let args = [
            SqlArg::from(&u.id),
            SqlArg::from(&u.email),
            u.password_hash.as_deref().into(),
            u.name.as_deref().into(),
            SqlArg::Int(i64::from(u.email_verified)),
            u.role.as_str().into(),
            SqlArg::Int(u.created_at),
        ];
        Ok(self.execute(INSERT_USER_SQL, &args).await? == 1)
    }

    async fn issue_email_token(&self, t: &EmailToken, now: UnixTime) -> Result<(), InternalError> {
        let purpose = t.purpose.as_str();
        let changes = self
            .batch(&[
                (RETIRE_TOKENS_SQL, vec![(&t.user_id).into(), purpose.into(), SqlArg::Int(now)]),
                (
                    INSERT_TOKEN_SQL,
                    vec![
                        (&t.token_hash).into(),
                        purpose.into(),
                        (&t.user_id).into(),
                        (&t.email).into(),
                        SqlArg::Int(t.created_at),
                        SqlArg::Int(t.expires_at),
                    ],
                ),
            ])
            .await?;
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
        first_row(self.query(PEEK_TOKEN_SQL, &[token_hash.into(), purpose.as_str().into(), SqlArg::Int(now)]).await?)
    }

    async fn spend_email_token(
        &self,
        token_hash: &str,
        purpose: Purpose,
        now: UnixTime,
    ) -> Result<Option<SpentToken>, InternalError> {
        let rows = self.query(SPEND_TOKEN_SQL, &[token_hash.into(), purpose.as_str().into(), SqlArg::Int(now)]).await?;
        first_row(rows)
    }

    async fn mark_email_verified(&self, user_id: &str, email: &str, now: UnixTime) -> Result<bool, InternalError> {
        Ok(self.execute(MARK_VERIFIED_SQL, &[user_id.into(), email.into(), SqlArg::Int(now)]).await? == 1)
    }

    async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        verified_email: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, InternalError> {
        let args = [user_id.into(), password_hash.into(), SqlArg::Int(now), verified_email.into()];
        Ok(self.execute(SET_PASSWORD_SQL, &args).await? == 1)
    }

    async fn update_profile(&self, user_id: &str, f: &ProfileFields, now: UnixTime) -> Result<(), InternalError> {
        let args = [
            user_id.into(),
            f.name.as_deref().into(),
            f.given_name.as_deref().into(),
            f.family_name.as_deref().into(),
            f.locale.as_deref().into(),
            SqlArg::Int(now),
        ];
        match self.execute(UPDATE_PROFILE_SQL, &args).await? {
            1 => Ok(()),
            n => Err(InternalError::new(format!("profile update changed {n} rows"))),
        }
    }

    async fn consents_of(&self, user_id: &str) -> Result<Vec<ConsentSummary>, InternalError> {
        let rows = self.query(CONSENTS_OF_SQL, &[user_id.into()]).await?;
        rows.into_iter()
            .map(|row| {
                let r: ConsentSummaryRow = crate::engine::platform::json::row(row, "consent")?;
                Ok(ConsentSummary {
                    client_id: r.client_id,
                    client_name: r.client_name,
                    scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    updated_at: r.updated_at as UnixTime,
                })
            })
            .collect()
    }

    async fn revoke_consent(&self, user_id: &str, client_id: &str, now: UnixTime) -> Result<bool, InternalError> {
        let changes = self
            .batch(&[
                (DELETE_CONSENT_SQL, vec![user_id.into(), client_id.into()]),
                (REVOKE_CLIENT_USER_REFRESH_SQL, vec![user_id.into(), client_id.into(), SqlArg::Int(now)]),
            ])
            .await?;
        Ok(changes.first().copied().unwrap_or(0) == 1)
    }

    async fn revoke_user_refresh_tokens(&self, user_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        self.execute(REVOKE_USER_REFRESH_SQL, &[user_id.into(), SqlArg::Int(now)]).await
    }
}
