//! Remembered consent (OIDC Core §3.1.2.4): what a person allowed a client. The consent
//! screen is skipped while a request stays within it, and comes back when scopes grow.

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::UnixTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub scopes: Vec<String>,
    pub updated_at: UnixTime,
}

#[allow(async_fn_in_trait)]
pub trait ConsentStore {
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, InternalError>;
    /// Stores `scopes` as the user's whole consent to the client, dated `now`.
    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<(), InternalError>;
}

/// The consent after allowing `requested` on top of `existing` (order kept, no repeats).
pub fn merged(existing: Option<&Consent>, requested: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = existing.map(|c| c.scopes.clone()).unwrap_or_default();
    for scope in requested {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}
