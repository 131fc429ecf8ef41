//! Passkeys (WebAuthn Level 2) between the SPA and the worker: the ceremony options in
//! their JSON form (binary members as base64url, WebAuthn §5.1–5.5 names), the browser's
//! answers flattened to base64url strings, and a registered passkey as the account page
//! lists it.

use serde::{Deserialize, Serialize};

/// §5.4 PublicKeyCredentialCreationOptions (`POST /api/passkeys/register/options`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    pub challenge: String,
    pub rp: RelyingParty,
    pub user: PasskeyUser,
    pub pub_key_cred_params: Vec<CredentialParameter>,
    /// Milliseconds.
    pub timeout: u32,
    pub exclude_credentials: Vec<CredentialDescriptor>,
    pub authenticator_selection: AuthenticatorSelection,
    pub attestation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyUser {
    /// The user handle, base64url: opaque, never the email (§14.6.1).
    pub id: String,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialParameter {
    #[serde(rename = "type")]
    pub kind: String,
    pub alg: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDescriptor {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    pub resident_key: String,
    pub require_resident_key: bool,
    pub user_verification: String,
}

/// §5.5 PublicKeyCredentialRequestOptions (`POST /api/passkeys/sign-in/options`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    pub challenge: String,
    pub rp_id: String,
    pub timeout: u32,
    pub user_verification: String,
    /// Empty for a usernameless sign-in (discoverable credentials).
    pub allow_credentials: Vec<CredentialDescriptor>,
}

/// What `navigator.credentials.create()` answered, binary members as base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationResponse {
    pub id: String,
    pub client_data_json: String,
    pub attestation_object: String,
    #[serde(default)]
    pub transports: Vec<String>,
}

/// `POST /api/passkeys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPasskey {
    /// A name the person recognises it by ("Laptop"); a default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub credential: RegistrationResponse,
}

/// What `navigator.credentials.get()` answered, binary members as base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionResponse {
    pub id: String,
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<String>,
}

/// `POST /api/passkeys/sign-in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySignIn {
    pub credential: AssertionResponse,
}

/// A registered passkey (`GET /api/passkeys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    /// The credential id, base64url.
    pub id: String,
    pub name: String,
    /// Backup eligible: synced between the person's devices.
    pub synced: bool,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// The longest passkey name.
pub const NAME_MAX: usize = 64;
