//! The `client_secrets` table (migrations/0002, 0026): one live secret of a client (at most
//! two while rotating), its SHA-256 (and for `client_secret_jwt` the secret sealed); the
//! row type and every statement on it.

use serde::Deserialize;
use shared::clients::SecretInfo;

use crate::engine::clients::ClientSecret;
use crate::engine::platform::ports::{int, SqlArg, Statement, UnixTime};

/// A bootstrap client's seed secret, inserted only if the statement before it in the
/// batch ([`ENSURE_CLIENT_SQL`]) created the client (`changes()`: rows of the last
/// statement): the environment seeds once and never restores a retired secret.
const SEED_SECRET_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, \
expires_at, secret_sealed) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE changes() = 1 ON CONFLICT (secret_id) DO NOTHING";

const OF_CLIENT_SQL: &str =
    "SELECT secret_id, created_at, expires_at FROM client_secrets WHERE client_id = ?1 ORDER BY created_at, secret_id";
const INSERT_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at, \
secret_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Adds a secret only while fewer than ?7 live ones exist (one statement: no race).
/// The client may have been deleted since it was read: then no row (not a foreign-key error).
const ADD_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at, \
secret_sealed) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2) \
AND (SELECT COUNT(*) FROM client_secrets WHERE client_id = ?2 AND (expires_at IS NULL OR expires_at > ?4)) < ?7";
/// A renewed secret, only while the client exists (it may be deleted meanwhile).
const RENEW_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, \
expires_at, secret_sealed) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2)";
const DELETE_OF_CLIENT_SQL: &str = "DELETE FROM client_secrets WHERE client_id = ?1";
/// Retires one secret unless it is the client's last.
const REMOVE_SQL: &str = "DELETE FROM client_secrets WHERE client_id = ?1 AND secret_id = ?2 \
AND (SELECT COUNT(*) FROM client_secrets WHERE client_id = ?1) > 1";

/// A `client_secrets` row as stored.
#[derive(Debug, Deserialize)]
pub struct SecretRow {
    pub secret_id: String,
    #[serde(default)]
    pub secret_hash: String,
    pub created_at: f64,
    pub expires_at: Option<f64>,
    #[serde(default)]
    pub secret_sealed: Option<String>,
}

impl SecretRow {
    pub fn into_secret(self) -> ClientSecret {
        ClientSecret {
            secret_id: self.secret_id,
            secret_hash: self.secret_hash,
            created_at: int(self.created_at),
            expires_at: self.expires_at.map(int),
            sealed: self.secret_sealed,
        }
    }

    /// What the admin API shows of a secret: never its hash.
    pub fn into_info(self) -> SecretInfo {
        SecretInfo {
            secret_id: self.secret_id,
            created_at: int(self.created_at),
            expires_at: self.expires_at.map_or(0, int),
        }
    }
}

/// The columns of a new secret row, in the order its inserts take them: the sealed secret
/// only for a `client_secret_jwt` client.
pub fn columns(
    secret_id: &str,
    client_id: &str,
    secret_hash: &str,
    created_at: UnixTime,
    expires_at: Option<UnixTime>,
    sealed: Option<&str>,
) -> Vec<SqlArg> {
    vec![secret_id.into(), client_id.into(), secret_hash.into(), created_at.into(), expires_at.into(), sealed.into()]
}

/// A bootstrap client's seed secret ([`SEED_SECRET_SQL`]); `columns` from [`columns`].
pub fn seed(columns: Vec<SqlArg>) -> Statement<'static> {
    (SEED_SECRET_SQL, columns)
}

pub fn insert(columns: Vec<SqlArg>) -> Statement<'static> {
    (INSERT_SQL, columns)
}

/// A further live secret, only while the client holds fewer than `max_live`.
pub fn add_below(mut columns: Vec<SqlArg>, max_live: i64) -> Statement<'static> {
    columns.push(max_live.into());
    (ADD_SQL, columns)
}

/// A renewed secret, only while the client exists.
pub fn renew(columns: Vec<SqlArg>) -> Statement<'static> {
    (RENEW_SQL, columns)
}

/// A client's secrets, oldest first ([`SecretRow`] without hashes).
pub fn of_client(client_id: &str) -> Statement<'static> {
    (OF_CLIENT_SQL, vec![client_id.into()])
}

pub fn delete_of_client(client_id: &str) -> Statement<'static> {
    (DELETE_OF_CLIENT_SQL, vec![client_id.into()])
}

/// Retires one secret unless it is the client's last.
pub fn remove(client_id: &str, secret_id: &str) -> Statement<'static> {
    (REMOVE_SQL, vec![client_id.into(), secret_id.into()])
}
