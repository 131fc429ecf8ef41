//! What a mailed link that proves the address changes (verification, password reset):
//! provider identities linked while the address was unproven go, because whoever linked
//! them never showed they own the mailbox — a pre-account takeover otherwise survives the
//! real owner's reset (docs/security.md, "Provider accounts"). And a reset lists the
//! account's passkeys and linked providers with a ten-minute grant to remove any: the
//! person who lost control of the account takes back every way in, not only the password.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::account::{ResetRemoval, ResetReview, ReviewItem};

use super::Accounts;
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::identity::mail::MethodChange;
use crate::engine::identity::passkeys::Passkeys;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::platform::request::Platform;
use crate::engine::tables::social_identities;

/// How long a reset's review may remove ways in.
const REVIEW_SECONDS: UnixTime = 600;
const REVIEW_AD: &[u8] = b"reset-review";

#[derive(Serialize, Deserialize)]
struct Grant {
    user_id: String,
    issued_at: UnixTime,
}

impl<P: Platform> Accounts<'_, P> {
    /// Drops `user_id`'s links made before the address was proven; a sentence for the
    /// answer naming them, when there were any. Audited `social_account_unlinked`.
    pub(crate) async fn drop_unproven_links(&self, user_id: &str) -> Result<Option<String>, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            provider: String,
        }
        let rows = self.store.select(social_identities::drop_unverified(user_id)).await?;
        let providers: Vec<String> = rows
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<Row>(r, "identity").map(|r| r.provider))
            .collect::<Result<_, _>>()?;
        if providers.is_empty() {
            return Ok(None);
        }
        for provider in &providers {
            let event = self.event("social_account_unlinked")?.actor("user", user_id).resource("user", user_id);
            let reason = "linked before the address was proven";
            self.store.record(&event.metadata(json!({ "provider": provider, "reason": reason }))).await?;
        }
        Ok(Some(format!(
            "Sign-in with {} was linked before your address was confirmed and has been removed; link it again from \
             your account page if it is yours.",
            providers.join(", ")
        )))
    }

    /// What a reset shows for review: the passkeys and linked providers, and the grant to
    /// remove any; `None` when the account has neither.
    pub(crate) async fn reset_review(&self, user: &User) -> Result<Option<ResetReview>, InternalError> {
        #[derive(Deserialize)]
        struct Linked {
            provider: String,
        }
        let passkeys: Vec<ReviewItem> = Passkeys { rc: self.rc }
            .list(&user.id)
            .await?
            .into_iter()
            .map(|p| ReviewItem { id: p.id, name: p.name })
            .collect();
        let providers: Vec<ReviewItem> = self
            .store
            .select(social_identities::of_user(&user.id))
            .await?
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<Linked>(r, "identity"))
            .map(|r| {
                r.map(|l| {
                    let name = self.config.providers.iter().find(|p| p.name == l.provider);
                    let name = name.map_or_else(|| l.provider.clone(), |p| p.display_name.clone());
                    ReviewItem { id: l.provider, name }
                })
            })
            .collect::<Result<_, _>>()?;
        if passkeys.is_empty() && providers.is_empty() {
            return Ok(None);
        }
        let grant = Grant { user_id: user.id.clone(), issued_at: self.now };
        let json = serde_json::to_vec(&grant).map_err(|e| InternalError::new(format!("review grant: {e}")))?;
        let grant = sealed::seal(&self.config.secret_key, Purpose::ResetReview, REVIEW_AD, &json, self.rng)?;
        Ok(Some(ResetReview { grant, passkeys, providers }))
    }

    /// `POST /api/password-reset/review`: removes the listed passkeys and linked providers
    /// of the account the grant names, within ten minutes of its reset; each removal is
    /// audited and the owner is told in one mail.
    pub async fn remove_after_reset(&self, request: &ResetRemoval) -> Result<(), ApiError> {
        let expired = || ApiError::refused(401, "invalid_grant", "This review has expired. Reset your password again.");
        let bytes = sealed::open(&self.config.secret_key, Purpose::ResetReview, REVIEW_AD, &request.grant)
            .map_err(|_| expired())?;
        let grant: Grant = crate::engine::platform::json::parse(&bytes).map_err(|_| expired())?;
        if !(0..REVIEW_SECONDS).contains(&(self.now - grant.issued_at)) {
            return Err(expired());
        }
        let Some(user) = self.store.user_by_id(&grant.user_id).await?.filter(|u| u.active) else {
            return Err(expired());
        };
        let passkeys = Passkeys { rc: self.rc };
        let (mut removed_passkeys, mut removed_providers) = (0, Vec::new());
        for id in &request.passkeys {
            if passkeys.remove(&user.id, id).await? {
                removed_passkeys += 1;
            }
        }
        for provider in &request.providers {
            if self.store.exec(social_identities::unlink(&user.id, provider)).await? > 0 {
                let event = self.event("social_account_unlinked")?.actor("user", &user.id).resource("user", &user.id);
                self.store
                    .record(&event.metadata(json!({ "provider": provider, "reason": "password_reset_review" })))
                    .await?;
                removed_providers.push(provider.clone());
            }
        }
        if removed_passkeys > 0 || !removed_providers.is_empty() {
            let change = MethodChange::RemovedAfterReset { passkeys: removed_passkeys, providers: removed_providers };
            self.notify_sign_in_method(&user, change).await?;
        }
        Ok(())
    }
}
