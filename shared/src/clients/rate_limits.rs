//! A client's own rate limits (docs/api.md, "Client rate limits"): `rate_limits.token`,
//! `{"max": 1000, "window": 60}`, counts this client's requests to the token family
//! against its own budget instead of `RATE_LIMIT_TOKEN_MAX` / `_WINDOW`. Set by an admin
//! only; the same bounds as the global limits.

use serde::{Deserialize, Serialize};

use super::{ClientSettings, MetadataProblem};

/// The most requests a limit allows per window, and the longest window (seconds): the
/// bounds of `RATE_LIMIT_*` (docs/configuration.md).
pub const MAX_REQUESTS: u32 = 1_000_000;
pub const MAX_WINDOW_SECONDS: u32 = 86_400;

/// `max` requests per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub max: u32,
    pub window: u32,
}

/// `rate_limits` in a client's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRateLimits {
    /// `/token`, `/device`, `/token/introspect`, `/token/revoke` and `/par` (one budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<RateLimit>,
}

impl ClientRateLimits {
    /// Nothing set: the client follows the global limits.
    pub fn is_empty(&self) -> bool {
        self.token.is_none()
    }
}

impl ClientSettings {
    /// What is wrong with `rate_limits`, as [`ClientSettings::problems`] reports it.
    pub(super) fn rate_limit_problems(&self) -> Vec<MetadataProblem> {
        let Some(RateLimit { max, window }) = self.rate_limits.as_ref().and_then(|r| r.token) else { return vec![] };
        if (1..=MAX_REQUESTS).contains(&max) && (1..=MAX_WINDOW_SECONDS).contains(&window) {
            return vec![];
        }
        vec![MetadataProblem {
            error: "invalid_client_metadata",
            field: "rate_limits",
            message: format!(
                "rate_limits.token takes max 1 to {MAX_REQUESTS} requests per window of 1 to {MAX_WINDOW_SECONDS} seconds"
            ),
        }]
    }
}
