use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use crate::engine::access_token::{AccessTokenClaims, RevocationStore};
use crate::engine::clients::{Client, ClientSecret, ClientStore};
use crate::engine::error::InternalError;
use crate::engine::ports::{KeyStatus, KeyStore, StoredSigningKey, UnixTime};
use crate::engine::sql::{
    ClientRow, ACCESS_TOKEN_REVOKED_SQL, CLIENT_COLUMNS, ENSURE_CLIENT_SQL, REVOKE_ACCESS_TOKEN_SQL, UPSERT_SECRET_SQL,
};

/// SQLite with the same schema as D1: it applies `migrations/*.sql` in order, recording
/// them in `d1_migrations` as wrangler does, so the tests run against the real schema.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db_err(e: rusqlite::Error) -> InternalError {
    InternalError::new(format!("sqlite: {e}"))
}

impl SqliteStore {
    pub fn open_in_memory() -> Result<Self, InternalError> {
        let store = Self::open_unmigrated_in_memory()?;
        store.migrate()?;
        Ok(store)
    }

    /// A database without the schema, as D1 is before `wrangler d1 migrations apply`.
    pub fn open_unmigrated_in_memory() -> Result<Self, InternalError> {
        Ok(SqliteStore { conn: Mutex::new(Connection::open_in_memory().map_err(db_err)?) })
    }

    /// A file database shared by several connections (several "isolates").
    pub fn open_file(path: &Path) -> Result<Self, InternalError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
        let store = SqliteStore { conn: Mutex::new(conn) };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, InternalError> {
        self.conn.lock().map_err(|_| InternalError::new("sqlite connection lock poisoned"))
    }

    fn migrate(&self) -> Result<(), InternalError> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| InternalError::new(format!("reading {}: {e}", dir.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        )
        .map_err(db_err)?;
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let applied: bool = tx
                .query_row("SELECT EXISTS(SELECT 1 FROM d1_migrations WHERE name = ?1)", [&name], |r| r.get(0))
                .map_err(db_err)?;
            if applied {
                continue;
            }
            let sql = std::fs::read_to_string(&file).map_err(|e| InternalError::new(format!("reading {name}: {e}")))?;
            tx.execute_batch(&sql).map_err(|e| InternalError::new(format!("migration {name}: {e}")))?;
            tx.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [&name]).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    pub fn count_signing_keys(&self) -> Result<i64, InternalError> {
        self.conn()?.query_row("SELECT COUNT(*) FROM signing_keys", [], |r| r.get(0)).map_err(db_err)
    }

    /// What a rotation does to the old key: stop signing, stay published until `publish_until`.
    pub fn demote_to_verify(&self, kid: &str, publish_until: UnixTime) -> Result<(), InternalError> {
        let changed = self
            .conn()?
            .execute(
                "UPDATE signing_keys SET status = 'verify', publish_until = ?2 WHERE kid = ?1 AND status = 'active'",
                params![kid, publish_until],
            )
            .map_err(db_err)?;
        if changed == 1 {
            Ok(())
        } else {
            Err(InternalError::new(format!("no active key {kid} to demote")))
        }
    }
}

const KEY_COLUMNS: &str = "kid, alg, status, public_n, public_e, private_key_sealed, created_at, publish_until";

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<StoredSigningKey> {
    let status: String = row.get(2)?;
    let status = KeyStatus::parse(&status).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.detail().to_owned().into())
    })?;
    Ok(StoredSigningKey {
        kid: row.get(0)?,
        alg: row.get(1)?,
        status,
        public_n: row.get(3)?,
        public_e: row.get(4)?,
        private_key_sealed: row.get(5)?,
        created_at: row.get(6)?,
        publish_until: row.get(7)?,
    })
}

impl KeyStore for SqliteStore {
    async fn active_signing_key(&self) -> Result<Option<StoredSigningKey>, InternalError> {
        self.conn()?
            .query_row(&format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE status = 'active'"), [], key_from_row)
            .optional()
            .map_err(db_err)
    }

    async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM signing_keys
                 WHERE status = 'active' OR (status = 'verify' AND (publish_until IS NULL OR publish_until > ?1))
                 ORDER BY created_at, kid"
            ))
            .map_err(db_err)?;
        let rows = stmt.query_map([now], key_from_row).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        let changed = self
            .conn()?
            .execute(
                &format!(
                    "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT DO NOTHING"
                ),
                params![
                    key.kid,
                    key.alg,
                    key.public_n,
                    key.public_e,
                    key.private_key_sealed,
                    key.created_at,
                    key.publish_until
                ],
            )
            .map_err(db_err)?;
        Ok(changed == 1)
    }

    async fn ping(&self) -> Result<(), InternalError> {
        self.conn()?
            .query_row("SELECT COUNT(*) FROM signing_keys", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(db_err)
    }
}

fn to_json(list: &[String]) -> String {
    serde_json::Value::from(list).to_string()
}

impl ClientStore for SqliteStore {
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<(Client, Vec<ClientSecret>)>, InternalError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {CLIENT_COLUMNS}, s.secret_id, s.secret_hash, s.created_at, s.expires_at
                 FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.client_id
                 WHERE c.client_id = ?1"
            ))
            .map_err(db_err)?;
        let mut rows = stmt.query([client_id]).map_err(db_err)?;
        let mut found: Option<(Client, Vec<ClientSecret>)> = None;
        while let Some(row) = rows.next().map_err(db_err)? {
            if found.is_none() {
                let raw = ClientRow {
                    client_id: row.get(0).map_err(db_err)?,
                    client_name: row.get(1).map_err(db_err)?,
                    client_type: row.get(2).map_err(db_err)?,
                    token_endpoint_auth_method: row.get(3).map_err(db_err)?,
                    redirect_uris: row.get(4).map_err(db_err)?,
                    grant_types: row.get(5).map_err(db_err)?,
                    response_types: row.get(6).map_err(db_err)?,
                    scopes: row.get(7).map_err(db_err)?,
                    access_token_ttl: row.get(8).map_err(db_err)?,
                    refresh_token_ttl: row.get(9).map_err(db_err)?,
                    refresh_token_rotation: row.get(10).map_err(db_err)?,
                };
                found = Some((raw.into_client()?, Vec::new()));
            }
            let secret_id: Option<String> = row.get(11).map_err(db_err)?;
            if let (Some(secret_id), Some((_, secrets))) = (secret_id, found.as_mut()) {
                secrets.push(ClientSecret {
                    secret_id,
                    secret_hash: row.get(12).map_err(db_err)?,
                    created_at: row.get(13).map_err(db_err)?,
                    expires_at: row.get(14).map_err(db_err)?,
                });
            }
        }
        Ok(found)
    }

    async fn ensure_client(&self, client: &Client, secret: &ClientSecret) -> Result<(), InternalError> {
        let mut conn = self.conn()?;
        // One transaction, as D1's batch() is one.
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute(ENSURE_CLIENT_SQL, params_from_iter(client_params(client, secret.created_at))).map_err(db_err)?;
        tx.execute(
            UPSERT_SECRET_SQL,
            params![secret.secret_id, client.client_id, secret.secret_hash, secret.created_at, secret.expires_at],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }
}

/// Column values for [`ENSURE_CLIENT_SQL`], in order.
fn client_params(client: &Client, now: UnixTime) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    let opt = |v: Option<i64>| v.map(Value::Integer).unwrap_or(Value::Null);
    vec![
        Value::Text(client.client_id.clone()),
        Value::Text(client.client_name.clone()),
        Value::Text(client.client_type.as_str().into()),
        Value::Text(client.auth_method.as_str().into()),
        Value::Text(to_json(&client.redirect_uris)),
        Value::Text(to_json(&client.grant_types)),
        Value::Text(to_json(&client.response_types)),
        Value::Text(to_json(&client.scopes)),
        opt(client.access_token_ttl.map(i64::from)),
        opt(client.refresh_token_ttl.map(i64::from)),
        opt(client.refresh_token_rotation.map(i64::from)),
        Value::Integer(now),
    ]
}

impl RevocationStore for SqliteStore {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError> {
        self.conn()?
            .query_row(ACCESS_TOKEN_REVOKED_SQL, params![claims.jti, claims.client_id, claims.iat], |r| r.get(0))
            .map_err(db_err)
    }

    async fn revoke_access_token(&self, claims: &AccessTokenClaims, now: UnixTime) -> Result<(), InternalError> {
        self.conn()?
            .execute(REVOKE_ACCESS_TOKEN_SQL, params![claims.jti, claims.client_id, claims.exp, now])
            .map(|_| ())
            .map_err(db_err)
    }
}
