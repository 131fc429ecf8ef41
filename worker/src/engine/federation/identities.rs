//! Provider identities and the accounts they belong to (migrations/0016). Who a verified
//! provider identity signs in as, without takeover: a known identity is its account's; a
//! new one links to a signed-in account that asked (`link=true`), or to the account with
//! the same address only when the provider asserts the address verified and the account's
//! is verified too; otherwise a new account, unless the address is taken (then the person
//! must sign in with the password first and link from the account page).

use serde::Deserialize;
use serde_json::json;
use shared::account::LinkedIdentity;

use super::id_token::ProviderClaims;
use super::protocols::{Answer, ProviderTokens};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{first_row, int, SqlRunner};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables;
use crate::engine::tables::social_identities as table;

/// The error code of a sign-in a provider identity may not make.
pub const SOCIAL_LOGIN_REFUSED: &str = "social_login_refused";

/// What a verified provider identity leads to.
#[derive(Debug)]
pub enum Resolution {
    /// Sign in as this account.
    SignIn(Box<User>),
    /// Linked to the signed-in account that asked; its session goes on.
    Linked,
}

/// The associated data binding sealed tokens to one identity.
fn associated(provider: &str, subject: &str) -> Vec<u8> {
    format!("{provider}\n{subject}").into_bytes()
}

fn refused(description: impl Into<String>) -> ApiError {
    ApiError::forbidden(SOCIAL_LOGIN_REFUSED, description)
}

/// One sign-in or link attempt.
pub struct Federation<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

request_context_view!(Federation);

impl<P: Platform> Federation<'_, P> {
    async fn audit(
        &self,
        event: &'static str,
        user_id: Option<&str>,
        provider: &str,
        extra: serde_json::Value,
    ) -> Result<(), InternalError> {
        let mut record = AuditEvent::new(event, self.meta, self.now, self.rng)?
            .metadata(json!({ "provider": provider, "detail": extra }));
        if let Some(id) = user_id {
            record = record.actor("user", id).resource("user", id);
        }
        self.store.record(&record).await
    }

    /// A failed provider sign-in, audited (`social.login_failed`), as the error to show.
    pub async fn failed(&self, provider: &str, error: ApiError) -> ApiError {
        use crate::engine::platform::error::ErrorResponse;
        let reason = error.description().unwrap_or_default();
        match self.audit("social.login_failed", None, provider, json!({ "reason": reason })).await {
            Ok(()) => error,
            Err(e) => ApiError::Internal(e),
        }
    }

    /// The provider's tokens sealed for this identity, when configured to keep them.
    fn sealed_tokens(
        &self,
        provider: &str,
        claims: &ProviderClaims,
        tokens: &ProviderTokens,
    ) -> Result<Option<String>, InternalError> {
        if !self.config.store_provider_tokens {
            return Ok(None);
        }
        let json = serde_json::to_vec(tokens).map_err(|e| InternalError::new(format!("tokens JSON: {e}")))?;
        let sealed = sealed::seal(
            &self.config.secret_key,
            Purpose::ProviderTokens,
            &associated(provider, &claims.sub),
            &json,
            self.rng,
        )?;
        Ok(Some(sealed))
    }

    async fn link(
        &self,
        provider: &str,
        claims: &ProviderClaims,
        tokens: &ProviderTokens,
        user_id: &str,
    ) -> Result<(), ApiError> {
        let sealed = self.sealed_tokens(provider, claims, tokens)?;
        let link = table::link(provider, &claims.sub, user_id, claims.email.as_deref(), sealed.as_deref(), self.now);
        if self.store.exec(link).await? == 0 {
            return Err(refused("This social account is linked to another user."));
        }
        self.audit("social_account_linked", Some(user_id), provider, json!({ "email": claims.email })).await?;
        Ok(())
    }

    /// Who `claims` (verified by `provider`) signs in as, or the link it makes.
    pub async fn resolve(
        &self,
        provider: &str,
        answer: &Answer,
        link_user: Option<&str>,
    ) -> Result<Resolution, ApiError> {
        let (claims, tokens) = (&answer.claims, &answer.tokens);
        #[derive(Deserialize)]
        struct Owner {
            user_id: String,
        }
        let owner: Option<Owner> = first_row(self.store.select(table::owner(provider, &claims.sub)).await?)?;
        if let Some(owner) = owner {
            if link_user.is_some_and(|u| u != owner.user_id) {
                return Err(refused("This social account is linked to another user."));
            }
            if link_user.is_some() {
                return Ok(Resolution::Linked);
            }
            let user = self.store.user_by_id(&owner.user_id).await?.filter(|u| u.active);
            let Some(user) = user else {
                return Err(refused("The account this social account belongs to is disabled."));
            };
            let sealed = self.sealed_tokens(provider, claims, tokens)?;
            let seen = table::seen(provider, &claims.sub, claims.email.as_deref(), sealed.as_deref(), self.now);
            self.store.exec(seen).await?;
            return Ok(Resolution::SignIn(Box::new(user)));
        }
        if let Some(user_id) = link_user {
            self.link(provider, claims, tokens, user_id).await?;
            return Ok(Resolution::Linked);
        }
        let Some(email) = claims.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
            return Err(refused("The provider did not share an email address, which an account needs."));
        };
        let provider_verified = claims.email_verified == Some(true);
        match self.store.user_by_email(email).await? {
            // No takeover: both sides must vouch for the address before the identity is
            // attached to an existing account without its password.
            Some(user) if provider_verified && user.email_verified && user.active => {
                self.link(provider, claims, tokens, &user.id).await?;
                Ok(Resolution::SignIn(Box::new(user)))
            }
            Some(_) => Err(refused(
                "An account with this email address exists. Sign in with its password, then link this provider \
                 from your account page.",
            )),
            // No account from an address nobody proved (a pre-account takeover waits for
            // the real owner otherwise): with EMAIL_VERIFICATION_REQUIRED the person signs
            // up with the address, follows the mailed link, then links the provider.
            None if !provider_verified && self.config.security.email_verification_required => Err(refused(
                "The provider did not confirm this email address. Create an account with it (we will mail you a \
                 link to confirm it), then link this provider from your account page.",
            )),
            None => {
                let mut user =
                    User::new_account(new_uuid(self.rng)?, email, None, claims.name.as_deref(), Role::User, self.now);
                user.email_verified = provider_verified;
                if !self.store.insert_user(&user).await? {
                    return Err(refused("An account with this email address was created meanwhile; sign in again."));
                }
                self.audit("user.signup", Some(&user.id), provider, json!({ "method": "social" })).await?;
                self.link(provider, claims, tokens, &user.id).await?;
                Ok(Resolution::SignIn(Box::new(user)))
            }
        }
    }

    /// The account page's linked identities.
    pub async fn linked(&self, user_id: &str) -> Result<Vec<LinkedIdentity>, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            provider: String,
            email: Option<String>,
            linked_at: f64,
            last_login_at: Option<f64>,
        }
        let rows = self.store.select(table::of_user(user_id)).await?;
        rows.into_iter()
            .map(|r| {
                let row: Row = crate::engine::platform::json::row(r, "identity")?;
                let display_name = self
                    .config
                    .providers
                    .iter()
                    .find(|p| p.name == row.provider)
                    .map_or_else(|| row.provider.clone(), |p| p.display_name.clone());
                Ok(LinkedIdentity {
                    provider: row.provider,
                    display_name,
                    email: row.email,
                    linked_at: int(row.linked_at),
                    last_login_at: row.last_login_at.map(int),
                })
            })
            .collect()
    }

    /// How many accounts each provider has linked, for the console.
    pub async fn counts(&self) -> Result<std::collections::HashMap<String, i64>, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            provider: String,
            users: f64,
        }
        let rows = self.store.select(table::counts()).await?;
        rows.into_iter()
            .map(|r| {
                let row: Row = crate::engine::platform::json::row(r, "count")?;
                Ok((row.provider, int(row.users)))
            })
            .collect()
    }

    /// The provider tokens kept for `user_id`'s identity at `provider`; `None` when none
    /// are kept, `Missing` when there is no such identity.
    pub async fn stored_tokens(&self, user_id: &str, provider: &str) -> Result<Option<ProviderTokens>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            subject: String,
            tokens: Option<String>,
        }
        let row: Option<Row> = first_row(self.store.select(table::tokens(user_id, provider)).await?)?;
        let Some(row) = row else { return Err(ApiError::Missing("linked account")) };
        let Some(sealed) = row.tokens else { return Ok(None) };
        let ad = associated(provider, &row.subject);
        let bytes = sealed::open(&self.config.secret_key, Purpose::ProviderTokens, &ad, &sealed)?;
        let tokens = crate::engine::platform::json::parse(&bytes)
            .map_err(|e| InternalError::new(format!("kept tokens: {e}")))?;
        Ok(Some(tokens))
    }

    /// `POST /auth/{provider}/unlink`: never the last way to sign in (`cannot_unlink`).
    pub async fn unlink(&self, user_id: &str, provider: &str) -> Result<(), ApiError> {
        let others = self.store.select(tables::sign_in_ways_besides(user_id, provider)).await?;
        let total = crate::engine::platform::ports::count(others)?;
        if total == 0 {
            return Err(ApiError::conflict(
                "cannot_unlink",
                "This is your only way to sign in: set a password or add a passkey first.",
            ));
        }
        if self.store.exec(table::unlink(user_id, provider)).await? == 0 {
            return Err(ApiError::Missing("linked account"));
        }
        self.audit("social_account_unlinked", Some(user_id), provider, json!({})).await?;
        Ok(())
    }
}
