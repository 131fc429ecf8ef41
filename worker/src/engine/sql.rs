//! SQL shared by the D1 store (edge) and the SQLite store (native tests), so both run the
//! same statements against the same schema.

use super::clients::{AuthMethod, Client, ClientSecret, ClientType};
use super::error::InternalError;
use super::ports::UnixTime;

/// Client columns, prefixed `c.` for the join with `client_secrets s`.
pub const CLIENT_COLUMNS: &str = "c.client_id, c.client_name, c.client_type, c.token_endpoint_auth_method, \
c.redirect_uris, c.grant_types, c.response_types, c.scopes, c.access_token_ttl, c.refresh_token_ttl, \
c.refresh_token_rotation";

/// Inserts a client unless one with this id exists (bootstrap: an admin's later edits win).
pub const ENSURE_CLIENT_SQL: &str = "INSERT INTO clients (client_id, client_name, client_type, \
token_endpoint_auth_method, redirect_uris, grant_types, response_types, scopes, access_token_ttl, \
refresh_token_ttl, refresh_token_rotation, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) ON CONFLICT (client_id) DO NOTHING";

/// Inserts a secret, or replaces the hash of the secret with the same id.
pub const UPSERT_SECRET_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, \
expires_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (secret_id) DO UPDATE SET secret_hash = excluded.secret_hash, \
created_at = excluded.created_at, expires_at = excluded.expires_at";

/// A `clients` row as stored (JSON lists as text). Numbers are `f64` because D1 hands
/// every SQL integer to JavaScript as a number.
#[derive(Debug, serde::Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    pub client_name: String,
    pub client_type: String,
    pub token_endpoint_auth_method: String,
    pub redirect_uris: String,
    pub grant_types: String,
    pub response_types: String,
    pub scopes: String,
    pub access_token_ttl: Option<f64>,
    pub refresh_token_ttl: Option<f64>,
    pub refresh_token_rotation: Option<f64>,
}

/// The `client_secrets` half of a client/secret join row (all NULL for a client without secrets).
#[derive(Debug, serde::Deserialize)]
pub struct SecretRow {
    pub secret_id: Option<String>,
    pub secret_hash: Option<String>,
    pub created_at: Option<f64>,
    pub expires_at: Option<f64>,
}

impl SecretRow {
    pub fn into_secret(self) -> Option<ClientSecret> {
        Some(ClientSecret {
            secret_id: self.secret_id?,
            secret_hash: self.secret_hash?,
            created_at: self.created_at.unwrap_or(0.0) as UnixTime,
            expires_at: self.expires_at.map(|t| t as UnixTime),
        })
    }
}

fn json_list(text: &str) -> Result<Vec<String>, InternalError> {
    serde_json::from_str(text).map_err(|e| InternalError::new(format!("bad JSON list in clients: {e}")))
}

impl ClientRow {
    pub fn into_client(self) -> Result<Client, InternalError> {
        Ok(Client {
            client_type: ClientType::parse(&self.client_type)?,
            auth_method: AuthMethod::parse(&self.token_endpoint_auth_method)?,
            redirect_uris: json_list(&self.redirect_uris)?,
            grant_types: json_list(&self.grant_types)?,
            response_types: json_list(&self.response_types)?,
            scopes: json_list(&self.scopes)?,
            client_id: self.client_id,
            client_name: self.client_name,
            access_token_ttl: self.access_token_ttl.map(|t| t as u32),
            refresh_token_ttl: self.refresh_token_ttl.map(|t| t as u32),
            refresh_token_rotation: self.refresh_token_rotation.map(|v| v != 0.0),
        })
    }
}

/// Whether an access token is revoked: by its jti, or by a cut-off for its client
/// (tokens issued at or before `revoked_before`). One statement. ?1 jti, ?2 client, ?3 iat.
pub const ACCESS_TOKEN_REVOKED_SQL: &str = "SELECT (EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
OR EXISTS (SELECT 1 FROM client_token_cutoffs WHERE client_id = ?2 AND revoked_before >= ?3)) AS revoked";

/// Records a revoked access token until it would have expired anyway.
pub const REVOKE_ACCESS_TOKEN_SQL: &str = "INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) \
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (jti) DO NOTHING";
