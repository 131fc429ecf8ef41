//! The activation page's conversation (`/activate`, RFC 8628 §3.3): the code the person
//! typed, what the device asks for, and the answer.

use serde::{Deserialize, Serialize};

use crate::session::ScopeInfo;

/// `POST /api/device/lookup` and the `user_code` of `POST /api/device/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCodeRequest {
    pub user_code: String,
}

/// What the device that showed this code asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRequestDetails {
    /// The code, normalised to `XXXX-XXXX`.
    pub user_code: String,
    pub client_id: String,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    pub scopes: Vec<ScopeInfo>,
}

/// `POST /api/device/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDecision {
    pub user_code: String,
    pub allow: bool,
}
