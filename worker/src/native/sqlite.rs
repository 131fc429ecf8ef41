use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use crate::engine::access_token::{AccessTokenClaims, AccessTokenState, RevocationStore};
use crate::engine::audit::{AuditEvent, AuditStore};
use crate::engine::clients::{Client, ClientRecord, ClientSecret, ClientStore};
use crate::engine::codes::{AuthorizationCode, CodeStore, Redemption};
use crate::engine::consent::{Consent, ConsentStore};
use crate::engine::error::InternalError;
use crate::engine::ports::{KeyStatus, KeyStore, SqlArg, SqlRunner, StoredSigningKey, UnixTime};
use crate::engine::refresh::{RefreshStore, RefreshToken};
use crate::engine::sql::{
    client_from_rows, AccessTokenStateRow, CodeWithUserRow, ConsentRow, FailedLoginRow, RefreshRow, RefreshWithUserRow,
    UserRow, ACCESS_TOKEN_REVOKED_SQL, ACCESS_TOKEN_STATE_SQL, CLIENT_WITH_SECRETS_SQL, CODE_WITH_USER_SQL,
    CONSENT_SQL, CONSUME_CODE_SQL, ENSURE_CLIENT_SQL, INSERT_AUDIT_SQL, INSERT_CODE_SQL, INSERT_FIRST_SUPER_ADMIN_SQL,
    INSERT_REFRESH_FOR_CODE_SQL, INSERT_REFRESH_SQL, INSERT_SUCCESSOR_SQL, RECORD_FAILED_LOGIN_SQL,
    RECORD_SUCCESSFUL_LOGIN_SQL, REFRESH_COLUMNS, REFRESH_WITH_USER_SQL, REVOKE_ACCESS_TOKEN_SQL, REVOKE_FAMILY_SQL,
    REVOKE_SESSION_REFRESH_SQL, ROTATE_PARENT_SQL, UPSERT_CONSENT_SQL, UPSERT_SECRET_SQL, USER_COLUMNS,
};
use crate::engine::token::TokenLookups;
use crate::engine::users::{User, UserStore};

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
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<ClientRecord>, InternalError> {
        client_from_rows(self.query_json(CLIENT_WITH_SECRETS_SQL, [client_id])?)
    }

    async fn ensure_client(
        &self,
        client: &Client,
        secret: Option<&ClientSecret>,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let mut conn = self.conn()?;
        // One transaction, as D1's batch() is one.
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute(ENSURE_CLIENT_SQL, params_from_iter(client_params(client, now))).map_err(db_err)?;
        if let Some(secret) = secret {
            tx.execute(
                UPSERT_SECRET_SQL,
                params![secret.secret_id, client.client_id, secret.secret_hash, secret.created_at, secret.expires_at],
            )
            .map_err(db_err)?;
        }
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
        Value::Integer(i64::from(client.first_party)),
        Value::Text(to_json(&client.post_logout_redirect_uris)),
    ]
}

impl RevocationStore for SqliteStore {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError> {
        self.conn()?
            .query_row(ACCESS_TOKEN_REVOKED_SQL, params![claims.jti, claims.client_id, claims.iat], |r| r.get(0))
            .map_err(db_err)
    }

    async fn access_token_state(&self, claims: &AccessTokenClaims) -> Result<AccessTokenState, InternalError> {
        let row: Option<AccessTokenStateRow> =
            self.first_as(ACCESS_TOKEN_STATE_SQL, params![claims.jti, claims.client_id, claims.iat, claims.sub])?;
        let row = row.ok_or_else(|| InternalError::new("access token state: no row"))?;
        Ok(AccessTokenState { revoked: row.revoked != 0.0, subject_email: row.username })
    }

    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        self.conn()?
            .execute(REVOKE_ACCESS_TOKEN_SQL, params![jti, client_id, expires_at, now])
            .map(|_| ())
            .map_err(db_err)
    }
}

impl CodeStore for SqliteStore {
    async fn insert_code(&self, c: &AuthorizationCode) -> Result<(), InternalError> {
        self.conn()?
            .execute(
                INSERT_CODE_SQL,
                params![
                    c.code_hash,
                    c.client_id,
                    c.user_id,
                    c.redirect_uri,
                    c.scope,
                    c.nonce,
                    c.code_challenge,
                    c.code_challenge_method.map(|m| m.as_str()),
                    c.session_id,
                    c.auth_time,
                    c.created_at,
                    c.expires_at
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    async fn code_with_user(
        &self,
        code_hash: &str,
    ) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
        let row: Option<CodeWithUserRow> = self.first_as(CODE_WITH_USER_SQL, [code_hash])?;
        row.map(CodeWithUserRow::decode).transpose()
    }

    async fn consume_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        redemption: &Redemption<'_>,
    ) -> Result<bool, InternalError> {
        let mut conn = self.conn()?;
        // One transaction, as D1's batch() is one.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
        let family = redemption.refresh_token.map(|r| r.family_id.as_str());
        let consumed = tx
            .execute(CONSUME_CODE_SQL, params![code_hash, now, redemption.jti, redemption.jti_expires_at, family])
            .map_err(db_err)?;
        if let Some(t) = redemption.refresh_token {
            tx.execute(
                INSERT_REFRESH_FOR_CODE_SQL,
                params![
                    t.token_hash,
                    t.family_id,
                    t.parent_hash,
                    t.client_id,
                    t.user_id,
                    t.scope,
                    t.auth_time,
                    t.created_at,
                    t.expires_at,
                    t.session_id,
                    code_hash,
                    redemption.jti
                ],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(consumed == 1)
    }
}

impl ConsentStore for SqliteStore {
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, InternalError> {
        let row: Option<ConsentRow> = self.first_as(CONSENT_SQL, [user_id, client_id])?;
        Ok(row.map(|r| Consent {
            scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            updated_at: r.updated_at as UnixTime,
        }))
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<(), InternalError> {
        self.conn()?
            .execute(UPSERT_CONSENT_SQL, params![user_id, client_id, scopes.join(" "), now])
            .map(|_| ())
            .map_err(db_err)
    }
}

impl SqliteStore {
    /// Rows as JSON objects, the shape D1 returns, so both stores decode rows with the
    /// same `engine::sql` structs.
    fn query_json(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<serde_json::Value>, InternalError> {
        use rusqlite::types::ValueRef;
        let conn = self.conn()?;
        let mut stmt = conn.prepare(sql).map_err(db_err)?;
        let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query(params).map_err(db_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_err)? {
            let mut object = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = match row.get_ref(i).map_err(db_err)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => serde_json::Value::from(n),
                    ValueRef::Real(f) => serde_json::Value::from(f),
                    ValueRef::Text(t) => serde_json::Value::from(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => return Err(InternalError::new("unexpected BLOB column")),
                };
                object.insert(name.clone(), value);
            }
            out.push(serde_json::Value::Object(object));
        }
        Ok(out)
    }

    fn first_as<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<T>, InternalError> {
        match self.query_json(sql, params)?.into_iter().next() {
            Some(row) => serde_json::from_value(row).map(Some).map_err(|e| InternalError::new(format!("row: {e}"))),
            None => Ok(None),
        }
    }
}

fn to_sql(arg: &SqlArg) -> rusqlite::types::Value {
    match arg {
        SqlArg::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlArg::Int(n) => rusqlite::types::Value::Integer(*n),
        SqlArg::Null => rusqlite::types::Value::Null,
    }
}

impl SqlRunner for SqliteStore {
    async fn execute(&self, sql: &str, args: &[SqlArg]) -> Result<u64, InternalError> {
        let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
        self.conn()?.execute(sql, params_from_iter(params)).map(|n| n as u64).map_err(db_err)
    }

    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError> {
        let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
        self.query_json(sql, params_from_iter(params))
    }

    /// One transaction, like a D1 batch: all statements or none.
    async fn batch(&self, statements: &[(&str, Vec<SqlArg>)]) -> Result<Vec<u64>, InternalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db_err)?;
        let mut changes = Vec::with_capacity(statements.len());
        for (sql, args) in statements {
            let params: Vec<rusqlite::types::Value> = args.iter().map(to_sql).collect();
            changes.push(tx.execute(sql, params_from_iter(params)).map_err(db_err)? as u64);
        }
        tx.commit().map_err(db_err)?;
        Ok(changes)
    }
}

impl UserStore for SqliteStore {
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, InternalError> {
        let row: Option<UserRow> =
            self.first_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1 COLLATE NOCASE"), [email])?;
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, InternalError> {
        let row: Option<UserRow> = self.first_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"), [id])?;
        row.map(UserRow::into_user).transpose()
    }

    async fn super_admin_exists(&self) -> Result<bool, InternalError> {
        self.conn()?
            .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin')", [], |r| r.get(0))
            .map_err(db_err)
    }

    async fn insert_first_super_admin(&self, user: &User) -> Result<bool, InternalError> {
        let changed = self
            .conn()?
            .execute(
                INSERT_FIRST_SUPER_ADMIN_SQL,
                params![user.id, user.email, user.password_hash, user.name, user.created_at],
            )
            .map_err(db_err)?;
        Ok(changed == 1)
    }

    async fn record_failed_login(
        &self,
        user_id: &str,
        now: UnixTime,
        threshold: u32,
        duration: u32,
    ) -> Result<Option<UnixTime>, InternalError> {
        let row: Option<FailedLoginRow> =
            self.first_as(RECORD_FAILED_LOGIN_SQL, params![user_id, now, threshold, duration])?;
        Ok(row.and_then(|r| r.locked_until).map(|t| t as UnixTime))
    }

    async fn record_successful_login(&self, user_id: &str, now: UnixTime) -> Result<(), InternalError> {
        self.conn()?.execute(RECORD_SUCCESSFUL_LOGIN_SQL, params![user_id, now]).map(|_| ()).map_err(db_err)
    }
}

impl RefreshStore for SqliteStore {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<(), InternalError> {
        self.conn()?
            .execute(
                INSERT_REFRESH_SQL,
                params![
                    t.token_hash,
                    t.family_id,
                    t.parent_hash,
                    t.client_id,
                    t.user_id,
                    t.scope,
                    t.auth_time,
                    t.created_at,
                    t.expires_at,
                    t.session_id
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, InternalError> {
        let row: Option<RefreshRow> = self
            .first_as(&format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = ?1"), [token_hash])?;
        Ok(row.map(RefreshToken::from))
    }

    async fn refresh_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
        let row: Option<RefreshWithUserRow> = self.first_as(REFRESH_WITH_USER_SQL, [token_hash])?;
        row.map(RefreshWithUserRow::decode).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        parent_hash: &str,
        s: &RefreshToken,
        successor_sealed: &str,
        now: UnixTime,
    ) -> Result<bool, InternalError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
        let claimed =
            tx.execute(ROTATE_PARENT_SQL, params![parent_hash, s.token_hash, successor_sealed, now]).map_err(db_err)?;
        tx.execute(
            INSERT_SUCCESSOR_SQL,
            params![
                s.token_hash,
                s.family_id,
                parent_hash,
                s.client_id,
                s.user_id,
                s.scope,
                s.auth_time,
                s.created_at,
                s.expires_at,
                s.session_id
            ],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(claimed == 1)
    }

    async fn revoke_session_refresh_tokens(&self, session_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        let changed = self.conn()?.execute(REVOKE_SESSION_REFRESH_SQL, params![session_id, now]).map_err(db_err)?;
        Ok(changed as u64)
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        let changed = self.conn()?.execute(REVOKE_FAMILY_SQL, params![family_id, now]).map_err(db_err)?;
        Ok(changed as u64)
    }
}

/// One statement at a time, as the trait's defaults do: SQLite has no round trips to save.
impl TokenLookups for SqliteStore {}

impl AuditStore for SqliteStore {
    async fn record(&self, e: &AuditEvent) -> Result<(), InternalError> {
        self.conn()?
            .execute(
                INSERT_AUDIT_SQL,
                params![
                    e.id,
                    e.timestamp,
                    e.event,
                    e.actor_id,
                    e.actor_type,
                    e.resource_type,
                    e.resource_id,
                    e.ip_address,
                    e.user_agent,
                    e.metadata.to_string()
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }
}

impl SqliteStore {
    /// How many refresh tokens a family holds.
    pub fn count_family(&self, family_id: &str) -> Result<i64, InternalError> {
        self.conn()?
            .query_row("SELECT COUNT(*) FROM refresh_tokens WHERE family_id = ?1", [family_id], |r| r.get(0))
            .map_err(db_err)
    }

    /// Audit events recorded so far, oldest first (tests read what was written).
    pub fn audit_events(&self) -> Result<Vec<serde_json::Value>, InternalError> {
        self.query_json("SELECT * FROM audit_log ORDER BY timestamp, rowid", [])
    }

    /// Inserts a user directly (tests and tools; the admin API comes later).
    pub fn deactivate_user(&self, id: &str) -> Result<(), InternalError> {
        self.conn()?.execute("UPDATE users SET active = 0 WHERE id = ?1", [id]).map(|_| ()).map_err(db_err)
    }

    /// Changes a user's address directly (tests; the admin API comes later).
    pub fn change_email(&self, id: &str, email: &str) -> Result<(), InternalError> {
        self.conn()?
            .execute("UPDATE users SET email = ?2, email_verified = 0 WHERE id = ?1", [id, email])
            .map(|_| ())
            .map_err(db_err)
    }

    pub fn insert_user(&self, user: &User) -> Result<(), InternalError> {
        self.conn()?
            .execute(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
                params![
                    user.id,
                    user.email,
                    user.password_hash,
                    user.name,
                    user.given_name,
                    user.family_name,
                    user.picture,
                    user.locale,
                    user.phone_number,
                    user.phone_number_verified,
                    user.address,
                    user.email_verified,
                    user.role.as_str(),
                    user.active,
                    user.locked_until,
                    user.created_at,
                    user.updated_at
                ],
            )
            .map(|_| ())
            .map_err(db_err)
    }
}

impl crate::engine::users::ScopeStore for SqliteStore {
    async fn scope_names(&self) -> Result<Vec<String>, InternalError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(crate::engine::sql::SCOPE_NAMES_SQL).map_err(db_err)?;
        let names = stmt.query_map([], |r| r.get(0)).map_err(db_err)?;
        names.collect::<Result<_, _>>().map_err(db_err)
    }

    async fn scope_descriptions(&self) -> Result<Vec<(String, String)>, InternalError> {
        let rows = self.query_json(crate::engine::sql::SCOPE_DESCRIPTIONS_SQL, [])?;
        rows.into_iter()
            .map(|r| {
                serde_json::from_value::<crate::engine::sql::ScopeRow>(r)
                    .map(|r| (r.name, r.description))
                    .map_err(|e| InternalError::new(format!("scope row: {e}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::users::ScopeStore;

    #[test]
    fn migrations_seed_the_standard_scopes() {
        let store = SqliteStore::open_in_memory().unwrap();
        let names = pollster::block_on(store.scope_names()).unwrap();
        for scope in ["openid", "profile", "email", "address", "phone", "offline_access", "admin"] {
            assert!(names.iter().any(|n| n == scope), "{scope}");
        }
    }
}
