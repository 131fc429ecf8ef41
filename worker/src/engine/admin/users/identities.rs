//! A user's provider identities, for admins (`GET /api/users/{id}/identities`), and the
//! provider tokens kept for them (`SOCIAL_STORE_PROVIDER_TOKENS`), which only a
//! super_admin reads (`GET /api/users/{id}/identities/{provider}/tokens`, audited
//! `social.tokens_read`): they act as the person at the provider.

use serde_json::json;
use shared::account::LinkedIdentity;
use shared::codes;

use super::UserAdmin;
use crate::engine::federation::identities::Federation;
use crate::engine::federation::protocols::ProviderTokens;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::request::Platform;

impl<P: Platform> UserAdmin<'_, P> {
    fn federation(&self) -> Federation<'_, P> {
        Federation { rc: self.rc }
    }

    /// `GET /api/users/{id}/identities`.
    pub async fn identities(&self, id: &str) -> Result<Vec<LinkedIdentity>, ApiError> {
        self.row(id).await?;
        Ok(self.federation().linked(id).await?)
    }

    /// `GET /api/users/{id}/identities/{provider}/tokens`: super_admin only; `None` when
    /// none are kept.
    pub async fn provider_tokens(&self, id: &str, provider: &str) -> Result<Option<ProviderTokens>, ApiError> {
        if !self.admin.is_super_admin() {
            return Err(ApiError::forbidden(
                codes::SUPER_ADMIN_REQUIRED,
                "only a super_admin reads the tokens a provider gave for a person",
            ));
        }
        self.row(id).await?;
        let tokens = self.federation().stored_tokens(id, provider).await?;
        self.audit("social.tokens_read", id, json!({ "provider": provider, "kept": tokens.is_some() })).await?;
        Ok(tokens)
    }
}
