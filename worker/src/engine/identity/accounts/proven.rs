//! What a mailed link that proves the address changes (verification, password reset):
//! provider identities linked while the address was unproven go, because whoever linked
//! them never showed they own the mailbox — a pre-account takeover otherwise survives the
//! real owner's reset (docs/security.md, "Provider accounts").

use serde::Deserialize;
use serde_json::json;

use super::Accounts;
use crate::engine::ops::audit::AuditStore;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::Platform;
use crate::engine::tables::social_identities;

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
}
