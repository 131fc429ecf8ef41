//! SQL shared by the D1 store (edge) and the SQLite store (native tests), so both run the
//! same statements against the same schema.

use super::clients::{AuthMethod, Client, ClientSecret, ClientType};
use super::codes::AuthorizationCode;
use super::error::InternalError;
use super::pkce::Method as PkceMethod;
use super::ports::UnixTime;
use super::refresh::RefreshToken;
use super::users::{Role, User};

/// A client and its secrets: one row per secret (a client without secrets gives one row
/// with NULL secret columns). ?1 client_id.
pub const CLIENT_WITH_SECRETS_SQL: &str = "SELECT c.client_id, c.client_name, c.client_type, \
c.token_endpoint_auth_method, c.redirect_uris, c.grant_types, c.response_types, c.scopes, c.access_token_ttl, \
c.refresh_token_ttl, c.refresh_token_rotation, c.first_party, c.post_logout_redirect_uris, c.logo_uri, s.secret_id, s.secret_hash, s.created_at, s.expires_at \
FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.client_id WHERE c.client_id = ?1";

/// Decodes the rows of [`CLIENT_WITH_SECRETS_SQL`] (as JSON objects, D1's shape).
pub fn client_from_rows(rows: Vec<serde_json::Value>) -> Result<Option<(Client, Vec<ClientSecret>)>, InternalError> {
    let row_err = |e: serde_json::Error| InternalError::new(format!("client row: {e}"));
    let Some(first) = rows.first() else { return Ok(None) };
    let client = serde_json::from_value::<ClientRow>(first.clone()).map_err(row_err)?.into_client()?;
    let mut secrets = Vec::new();
    for row in rows {
        if let Some(secret) = serde_json::from_value::<SecretRow>(row).map_err(row_err)?.into_secret() {
            secrets.push(secret);
        }
    }
    Ok(Some((client, secrets)))
}

/// Inserts a client unless one with this id exists (bootstrap: an admin's later edits win).
pub const ENSURE_CLIENT_SQL: &str = "INSERT INTO clients (client_id, client_name, client_type, \
token_endpoint_auth_method, redirect_uris, grant_types, response_types, scopes, access_token_ttl, \
refresh_token_ttl, refresh_token_rotation, first_party, post_logout_redirect_uris, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14, ?12, ?12) ON CONFLICT (client_id) DO NOTHING";

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
    pub first_party: f64,
    pub post_logout_redirect_uris: String,
    pub logo_uri: Option<String>,
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
            first_party: self.first_party != 0.0,
            logo_uri: self.logo_uri,
            post_logout_redirect_uris: json_list(&self.post_logout_redirect_uris)?,
        })
    }
}

/// Whether an access token is revoked: by its jti, or by a cut-off for its client
/// (tokens issued at or before `revoked_before`). One statement. ?1 jti, ?2 client, ?3 iat.
pub const ACCESS_TOKEN_REVOKED_SQL: &str = "SELECT (EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
OR EXISTS (SELECT 1 FROM client_token_cutoffs WHERE client_id = ?2 AND revoked_before >= ?3)) AS revoked";

/// [`ACCESS_TOKEN_REVOKED_SQL`] plus the email of the user `?4` (the token's subject),
/// which introspection answers as `username`: one statement for both.
pub const ACCESS_TOKEN_STATE_SQL: &str = "SELECT (EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
OR EXISTS (SELECT 1 FROM client_token_cutoffs WHERE client_id = ?2 AND revoked_before >= ?3)) AS revoked, \
(SELECT email FROM users WHERE id = ?4) AS username";

#[derive(Debug, serde::Deserialize)]
pub struct AccessTokenStateRow {
    pub revoked: f64,
    pub username: Option<String>,
}

/// Records a revoked access token until it would have expired anyway.
pub const REVOKE_ACCESS_TOKEN_SQL: &str = "INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) \
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (jti) DO NOTHING";

pub const USER_COLUMNS: &str = "id, email, password_hash, name, given_name, family_name, picture, locale, \
phone_number, phone_number_verified, address, email_verified, role, active, locked_until, created_at, updated_at";

/// A `users` row as stored; numbers and 0/1 flags as `f64` (D1 hands integers to JS as numbers).
#[derive(Debug, serde::Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: f64,
    pub address: Option<String>,
    pub email_verified: f64,
    pub role: String,
    pub active: f64,
    /// Absent from rows that predate the lockout columns' use (serde: missing Option is None).
    pub locked_until: Option<f64>,
    pub created_at: f64,
    pub updated_at: f64,
}

impl UserRow {
    pub fn into_user(self) -> Result<User, InternalError> {
        Ok(User {
            role: Role::parse(&self.role)?,
            id: self.id,
            email: self.email,
            password_hash: self.password_hash,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            picture: self.picture,
            locale: self.locale,
            phone_number: self.phone_number,
            phone_number_verified: self.phone_number_verified != 0.0,
            address: self.address,
            email_verified: self.email_verified != 0.0,
            active: self.active != 0.0,
            locked_until: self.locked_until.map(|t| t as UnixTime),
            created_at: self.created_at as UnixTime,
            updated_at: self.updated_at as UnixTime,
        })
    }
}

/// Inserts the first super_admin: only while none exists, and never over an existing email.
pub const INSERT_FIRST_SUPER_ADMIN_SQL: &str = "INSERT INTO users (id, email, password_hash, name, email_verified, \
role, active, password_changed_at, created_at, updated_at) \
SELECT ?1, ?2, ?3, ?4, 1, 'super_admin', 1, ?5, ?5, ?5 \
WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin') ON CONFLICT DO NOTHING";

/// Counts one failed password sign-in (see `UserStore::record_failed_login`). SQLite
/// evaluates every SET expression on the old row, so the threshold test is the same in
/// each. ?1 id, ?2 now, ?3 threshold, ?4 lock seconds.
pub const RECORD_FAILED_LOGIN_SQL: &str = "UPDATE users SET \
failed_attempts = CASE WHEN failed_attempts + 1 >= ?3 THEN 0 ELSE failed_attempts + 1 END, \
locked_at = CASE WHEN failed_attempts + 1 >= ?3 THEN ?2 ELSE locked_at END, \
locked_until = CASE WHEN failed_attempts + 1 >= ?3 THEN ?2 + ?4 ELSE locked_until END, \
lockout_count = lockout_count + (CASE WHEN failed_attempts + 1 >= ?3 THEN 1 ELSE 0 END) \
WHERE id = ?1 RETURNING (CASE WHEN locked_at = ?2 AND failed_attempts = 0 THEN locked_until END) AS locked_until";

#[derive(Debug, serde::Deserialize)]
pub struct FailedLoginRow {
    pub locked_until: Option<f64>,
}

pub const RECORD_SUCCESSFUL_LOGIN_SQL: &str =
    "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = ?2 WHERE id = ?1";

pub const REFRESH_COLUMNS: &str =
    "token_hash, family_id, parent_hash, client_id, user_id, scope, auth_time, session_id, \
created_at, expires_at, rotated_at, successor_hash, successor_sealed, revoked_at";

/// A `users` row as one JSON object (or NULL), for joins with tables that share its
/// column names. `u` is the joined users table.
macro_rules! user_json {
    () => {
        "CASE WHEN u.id IS NULL THEN NULL ELSE json_object('id', u.id, 'email', u.email, \
'password_hash', u.password_hash, 'name', u.name, 'given_name', u.given_name, 'family_name', u.family_name, \
'picture', u.picture, 'locale', u.locale, 'phone_number', u.phone_number, \
'phone_number_verified', u.phone_number_verified, 'address', u.address, 'email_verified', u.email_verified, \
'role', u.role, 'active', u.active, 'locked_until', u.locked_until, 'created_at', u.created_at, \
'updated_at', u.updated_at) END AS user_json"
    };
}

fn decode_user_json(text: Option<String>) -> Result<Option<User>, InternalError> {
    match text {
        Some(text) => Ok(Some(
            serde_json::from_str::<UserRow>(&text)
                .map_err(|e| InternalError::new(format!("user JSON: {e}")))?
                .into_user()?,
        )),
        None => Ok(None),
    }
}

/// A refresh token with its user, so the refresh grant reads both in one statement.
/// ?1 token hash.
pub const REFRESH_WITH_USER_SQL: &str = concat!(
    "SELECT r.token_hash, r.family_id, r.parent_hash, r.client_id, r.user_id, r.scope, r.auth_time, r.session_id, ",
    "r.created_at, r.expires_at, r.rotated_at, r.successor_hash, r.successor_sealed, r.revoked_at, ",
    user_json!(),
    " FROM refresh_tokens r LEFT JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?1"
);

/// A row of [`REFRESH_WITH_USER_SQL`].
#[derive(Debug, serde::Deserialize)]
pub struct RefreshWithUserRow {
    #[serde(flatten)]
    pub token: RefreshRow,
    pub user_json: Option<String>,
}

impl RefreshWithUserRow {
    pub fn decode(self) -> Result<(RefreshToken, Option<User>), InternalError> {
        Ok((RefreshToken::from(self.token), decode_user_json(self.user_json)?))
    }
}

pub const INSERT_REFRESH_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Step 1 of a rotation: claim the parent, once. ?1 parent, ?2 successor hash, ?3 sealed, ?4 now.
pub const ROTATE_PARENT_SQL: &str = "UPDATE refresh_tokens SET rotated_at = ?4, successor_hash = ?2, \
successor_sealed = ?3 WHERE token_hash = ?1 AND rotated_at IS NULL AND revoked_at IS NULL";

/// Step 2, in the same batch: insert the successor only if step 1 claimed the parent for it.
/// ?1..?10 as INSERT_REFRESH_SQL; ?3 is the parent.
pub const INSERT_SUCCESSOR_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
WHERE EXISTS (SELECT 1 FROM refresh_tokens WHERE token_hash = ?3 AND successor_hash = ?1)";

pub const REVOKE_SESSION_REFRESH_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE session_id = ?1 AND revoked_at IS NULL";

pub const REVOKE_FAMILY_SQL: &str =
    "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL WHERE family_id = ?1 AND revoked_at IS NULL";

/// A `refresh_tokens` row; numbers as `f64` for D1.
#[derive(Debug, serde::Deserialize)]
pub struct RefreshRow {
    pub token_hash: String,
    pub family_id: String,
    pub parent_hash: Option<String>,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub auth_time: Option<f64>,
    #[serde(default)]
    pub session_id: Option<String>,
    pub created_at: f64,
    pub expires_at: f64,
    pub rotated_at: Option<f64>,
    pub successor_hash: Option<String>,
    pub successor_sealed: Option<String>,
    pub revoked_at: Option<f64>,
}

impl From<RefreshRow> for RefreshToken {
    fn from(r: RefreshRow) -> Self {
        let t = |v: f64| v as UnixTime;
        RefreshToken {
            token_hash: r.token_hash,
            family_id: r.family_id,
            parent_hash: r.parent_hash,
            client_id: r.client_id,
            user_id: r.user_id,
            scope: r.scope,
            auth_time: r.auth_time.map(t),
            session_id: r.session_id,
            created_at: t(r.created_at),
            expires_at: t(r.expires_at),
            rotated_at: r.rotated_at.map(t),
            successor_hash: r.successor_hash,
            successor_sealed: r.successor_sealed,
            revoked_at: r.revoked_at.map(t),
        }
    }
}

pub const INSERT_AUDIT_SQL: &str = "INSERT INTO audit_log (id, timestamp, event, actor_id, actor_type, resource_type, \
resource_id, ip_address, user_agent, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// The scopes table's names, for discovery's `scopes_supported`.
pub const SCOPE_NAMES_SQL: &str = "SELECT name FROM scopes ORDER BY created_at, name";
pub const SCOPE_DESCRIPTIONS_SQL: &str = "SELECT name, description FROM scopes ORDER BY created_at, name";

#[derive(Debug, serde::Deserialize)]
pub struct ScopeRow {
    pub name: String,
    pub description: String,
}

pub const INSERT_CODE_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, \
scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// A code with its user. ?1 code hash.
pub const CODE_WITH_USER_SQL: &str = concat!(
    "SELECT c.code_hash, c.client_id, c.user_id, c.redirect_uri, c.scope, c.nonce, c.code_challenge, ",
    "c.code_challenge_method, c.session_id, c.auth_time, c.created_at, c.expires_at, c.consumed_at, ",
    "c.issued_jti, c.issued_jti_expires_at, c.issued_family_id, ",
    user_json!(),
    " FROM authorization_codes c LEFT JOIN users u ON u.id = c.user_id WHERE c.code_hash = ?1"
);

/// Redeems a code once (RFC 6749 §4.1.2 "MUST NOT be used more than once"): only the
/// statement that finds `consumed_at` NULL changes the row, and it records what it
/// issues. ?1 hash, ?2 now, ?3 jti, ?4 its expiry, ?5 refresh family or NULL.
pub const CONSUME_CODE_SQL: &str = "UPDATE authorization_codes SET consumed_at = ?2, issued_jti = ?3, \
issued_jti_expires_at = ?4, issued_family_id = ?5 WHERE code_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2";

/// In the same batch: the refresh token, only if the consume above was this request's.
/// ?1..?10 as INSERT_REFRESH_SQL, ?11 code hash, ?12 the jti the consume recorded.
pub const INSERT_REFRESH_FOR_CODE_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, \
client_id, user_id, scope, auth_time, created_at, expires_at, session_id) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
WHERE EXISTS (SELECT 1 FROM authorization_codes WHERE code_hash = ?11 AND issued_jti = ?12)";

#[derive(Debug, serde::Deserialize)]
pub struct CodeWithUserRow {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub session_id: Option<String>,
    pub auth_time: f64,
    pub created_at: f64,
    pub expires_at: f64,
    pub consumed_at: Option<f64>,
    pub issued_jti: Option<String>,
    pub issued_jti_expires_at: Option<f64>,
    pub issued_family_id: Option<String>,
    pub user_json: Option<String>,
}

impl CodeWithUserRow {
    pub fn decode(self) -> Result<(AuthorizationCode, Option<User>), InternalError> {
        let t = |v: f64| v as UnixTime;
        let method = match self.code_challenge_method.as_deref() {
            None => None,
            Some(m) => {
                Some(PkceMethod::parse(m).ok_or_else(|| InternalError::new(format!("bad code_challenge_method {m}")))?)
            }
        };
        let code = AuthorizationCode {
            code_hash: self.code_hash,
            client_id: self.client_id,
            user_id: self.user_id,
            redirect_uri: self.redirect_uri,
            scope: self.scope,
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            code_challenge_method: method,
            session_id: self.session_id,
            auth_time: t(self.auth_time),
            created_at: t(self.created_at),
            expires_at: t(self.expires_at),
            consumed_at: self.consumed_at.map(t),
            issued_jti: self.issued_jti,
            issued_jti_expires_at: self.issued_jti_expires_at.map(t),
            issued_family_id: self.issued_family_id,
        };
        Ok((code, decode_user_json(self.user_json)?))
    }
}

pub const CONSENT_SQL: &str = "SELECT scopes, updated_at FROM consents WHERE user_id = ?1 AND client_id = ?2";

#[derive(Debug, serde::Deserialize)]
pub struct ConsentRow {
    pub scopes: String,
    pub updated_at: f64,
}

/// ?1 user, ?2 client, ?3 scopes (space-separated), ?4 now.
pub const UPSERT_CONSENT_SQL: &str = "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
updated_at = excluded.updated_at";
