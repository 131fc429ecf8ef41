//! The engine's stores on D1. Each method is one statement or one `batch()` (a batch is
//! one transaction and one round trip): D1 has no interactive transactions (architecture
//! rule 1).

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

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

pub struct D1Store {
    pub db: D1Database,
}

fn d1_err(e: worker::Error) -> InternalError {
    InternalError::new(format!("D1: {e}"))
}

const KEY_COLUMNS: &str = "kid, alg, status, public_n, public_e, private_key_sealed, created_at, publish_until";

#[derive(Deserialize)]
struct KeyRow {
    kid: String,
    alg: String,
    status: String,
    public_n: String,
    public_e: String,
    private_key_sealed: String,
    created_at: f64,
    publish_until: Option<f64>,
}

impl TryFrom<KeyRow> for StoredSigningKey {
    type Error = InternalError;
    fn try_from(row: KeyRow) -> Result<Self, InternalError> {
        Ok(StoredSigningKey {
            kid: row.kid,
            alg: row.alg,
            status: KeyStatus::parse(&row.status)?,
            public_n: row.public_n,
            public_e: row.public_e,
            private_key_sealed: row.private_key_sealed,
            // D1 returns integers as JS numbers; unix seconds are far inside f64's exact range.
            created_at: row.created_at as UnixTime,
            publish_until: row.publish_until.map(|t| t as UnixTime),
        })
    }
}

fn num(t: UnixTime) -> JsValue {
    JsValue::from_f64(t as f64)
}

impl KeyStore for D1Store {
    async fn active_signing_key(&self) -> Result<Option<StoredSigningKey>, InternalError> {
        let row: Option<KeyRow> = self
            .db
            .prepare(format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE status = 'active'"))
            .first(None)
            .await
            .map_err(d1_err)?;
        row.map(StoredSigningKey::try_from).transpose()
    }

    async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
        let rows: Vec<KeyRow> = self
            .db
            .prepare(format!(
                "SELECT {KEY_COLUMNS} FROM signing_keys
                 WHERE status = 'active' OR (status = 'verify' AND (publish_until IS NULL OR publish_until > ?1))
                 ORDER BY created_at, kid"
            ))
            .bind(&[num(now)])
            .map_err(d1_err)?
            .all()
            .await
            .map_err(d1_err)?
            .results()
            .map_err(d1_err)?;
        rows.into_iter().map(StoredSigningKey::try_from).collect()
    }

    async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        let result = self
            .db
            .prepare(format!(
                "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT DO NOTHING"
            ))
            .bind(&[
                key.kid.as_str().into(),
                key.alg.as_str().into(),
                key.public_n.as_str().into(),
                key.public_e.as_str().into(),
                key.private_key_sealed.as_str().into(),
                num(key.created_at),
                key.publish_until.map(num).unwrap_or(JsValue::NULL),
            ])
            .map_err(d1_err)?
            .run()
            .await
            .map_err(d1_err)?;
        let changes = result.meta().map_err(d1_err)?.and_then(|m| m.changes).unwrap_or(0);
        Ok(changes == 1)
    }

    async fn ping(&self) -> Result<(), InternalError> {
        self.db
            .prepare("SELECT COUNT(*) AS n FROM signing_keys")
            .first::<serde_json::Value>(None)
            .await
            .map(|_| ())
            .map_err(d1_err)
    }
}

impl ClientStore for D1Store {
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<ClientRecord>, InternalError> {
        let rows = self.all_rows(self.client_statement(client_id)?).await?;
        client_from_rows(rows)
    }

    async fn ensure_client(
        &self,
        client: &Client,
        secret: Option<&ClientSecret>,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let json = |list: &[String]| JsValue::from_str(&serde_json::Value::from(list).to_string());
        let opt = |v: Option<f64>| v.map(JsValue::from_f64).unwrap_or(JsValue::NULL);
        let insert_client = self
            .db
            .prepare(ENSURE_CLIENT_SQL)
            .bind(&[
                client.client_id.as_str().into(),
                client.client_name.as_str().into(),
                client.client_type.as_str().into(),
                client.auth_method.as_str().into(),
                json(&client.redirect_uris),
                json(&client.grant_types),
                json(&client.response_types),
                json(&client.scopes),
                opt(client.access_token_ttl.map(f64::from)),
                opt(client.refresh_token_ttl.map(f64::from)),
                opt(client.refresh_token_rotation.map(|b| if b { 1.0 } else { 0.0 })),
                num(now),
                JsValue::from_f64(if client.first_party { 1.0 } else { 0.0 }),
                json(&client.post_logout_redirect_uris),
            ])
            .map_err(d1_err)?;
        let mut statements = vec![insert_client];
        if let Some(secret) = secret {
            statements.push(
                self.db
                    .prepare(UPSERT_SECRET_SQL)
                    .bind(&[
                        secret.secret_id.as_str().into(),
                        client.client_id.as_str().into(),
                        secret.secret_hash.as_str().into(),
                        num(secret.created_at),
                        secret.expires_at.map(num).unwrap_or(JsValue::NULL),
                    ])
                    .map_err(d1_err)?,
            );
        }
        // batch() is one transaction in D1: both rows or neither.
        for result in self.db.batch(statements).await.map_err(d1_err)? {
            if let Some(e) = result.error() {
                return Err(InternalError::new(format!("D1 batch: {e}")));
            }
        }
        Ok(())
    }
}

impl RevocationStore for D1Store {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            revoked: f64,
        }
        let args = [text(&claims.jti), text(&claims.client_id), num(claims.iat)];
        Ok(self.first_as::<Row>(ACCESS_TOKEN_REVOKED_SQL, &args).await?.is_some_and(|r| r.revoked != 0.0))
    }

    async fn access_token_state(&self, claims: &AccessTokenClaims) -> Result<AccessTokenState, InternalError> {
        let rows = self.all_rows(self.access_token_state_statement(claims)?).await?;
        decode_access_token_state(rows)
    }

    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let args = [text(jti), text(client_id), num(expires_at), num(now)];
        self.run(REVOKE_ACCESS_TOKEN_SQL, &args).await.map(|_| ())
    }
}

impl CodeStore for D1Store {
    async fn insert_code(&self, c: &AuthorizationCode) -> Result<(), InternalError> {
        let args = [
            text(&c.code_hash),
            text(&c.client_id),
            text(&c.user_id),
            text(&c.redirect_uri),
            text(&c.scope),
            opt_text(c.nonce.as_deref()),
            opt_text(c.code_challenge.as_deref()),
            opt_text(c.code_challenge_method.map(|m| m.as_str())),
            opt_text(c.session_id.as_deref()),
            num(c.auth_time),
            num(c.created_at),
            num(c.expires_at),
        ];
        self.run(INSERT_CODE_SQL, &args).await.map(|_| ())
    }

    async fn code_with_user(
        &self,
        code_hash: &str,
    ) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
        let rows = self.all_rows(self.code_statement(code_hash)?).await?;
        decode_code_with_user(rows)
    }

    async fn consume_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        redemption: &Redemption<'_>,
    ) -> Result<bool, InternalError> {
        let family = redemption.refresh_token.map(|r| r.family_id.as_str());
        let consume = self
            .db
            .prepare(CONSUME_CODE_SQL)
            .bind(&[text(code_hash), num(now), text(redemption.jti), num(redemption.jti_expires_at), opt_text(family)])
            .map_err(d1_err)?;
        let mut statements = vec![consume];
        if let Some(t) = redemption.refresh_token {
            let mut args = refresh_args(t, None).to_vec();
            args.push(text(code_hash));
            args.push(text(redemption.jti));
            statements.push(self.db.prepare(INSERT_REFRESH_FOR_CODE_SQL).bind(&args).map_err(d1_err)?);
        }
        // One batch is one transaction: the consume and the refresh token land together.
        let results = self.db.batch(statements).await.map_err(d1_err)?;
        let consumed = results
            .first()
            .map(|r| r.meta().map_err(d1_err))
            .transpose()?
            .flatten()
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(consumed == 1)
    }
}

fn decode_code_with_user(
    rows: Vec<serde_json::Value>,
) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
    let Some(row) = rows.into_iter().next() else { return Ok(None) };
    let row: CodeWithUserRow =
        serde_json::from_value(row).map_err(|e| InternalError::new(format!("D1 code row: {e}")))?;
    row.decode().map(Some)
}

impl D1Store {
    /// A user and their consent to a client in one round trip (`/authorize` with a live
    /// session needs both; two calls would cost two D1 round trips).
    pub async fn user_and_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<(Option<User>, Option<Consent>), InternalError> {
        let user_sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        let user_statement = self.db.prepare(&user_sql).bind(&[text(user_id)]).map_err(d1_err)?;
        let consent_statement = self.db.prepare(CONSENT_SQL).bind(&[text(user_id), text(client_id)]).map_err(d1_err)?;
        let [users, consents] = self.batch_rows([user_statement, consent_statement]).await?;
        let decode = |e: serde_json::Error| InternalError::new(format!("row: {e}"));
        let user = match users.into_iter().next() {
            Some(row) => Some(serde_json::from_value::<UserRow>(row).map_err(decode)?.into_user()?),
            None => None,
        };
        let consent = match consents.into_iter().next() {
            Some(row) => {
                let r = serde_json::from_value::<ConsentRow>(row).map_err(decode)?;
                Some(Consent {
                    scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                    updated_at: r.updated_at as UnixTime,
                })
            }
            None => None,
        };
        Ok((user, consent))
    }
}

impl ConsentStore for D1Store {
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, InternalError> {
        let row = self.first_as::<ConsentRow>(CONSENT_SQL, &[text(user_id), text(client_id)]).await?;
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
        let args = [text(user_id), text(client_id), text(&scopes.join(" ")), num(now)];
        self.run(UPSERT_CONSENT_SQL, &args).await.map(|_| ())
    }
}

impl D1Store {
    /// The first row of `sql` decoded with the shared row structs (engine::sql).
    async fn first_as<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<Option<T>, InternalError> {
        self.db.prepare(sql).bind(args).map_err(d1_err)?.first(None).await.map_err(d1_err)
    }

    /// Runs one statement; returns rows changed.
    async fn run(&self, sql: &str, args: &[JsValue]) -> Result<usize, InternalError> {
        let result = self.db.prepare(sql).bind(args).map_err(d1_err)?.run().await.map_err(d1_err)?;
        Ok(result.meta().map_err(d1_err)?.and_then(|m| m.changes).unwrap_or(0))
    }
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn opt_text(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

fn opt_num(value: Option<UnixTime>) -> JsValue {
    value.map(num).unwrap_or(JsValue::NULL)
}

impl UserStore for D1Store {
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, InternalError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1 COLLATE NOCASE");
        self.first_as::<UserRow>(&sql, &[text(email)]).await?.map(UserRow::into_user).transpose()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, InternalError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
        self.first_as::<UserRow>(&sql, &[text(id)]).await?.map(UserRow::into_user).transpose()
    }

    async fn super_admin_exists(&self) -> Result<bool, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            present: f64,
        }
        let sql = "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin') AS present";
        Ok(self.first_as::<Row>(sql, &[]).await?.is_some_and(|r| r.present != 0.0))
    }

    async fn insert_first_super_admin(&self, user: &User) -> Result<bool, InternalError> {
        let args = [
            text(&user.id),
            text(&user.email),
            opt_text(user.password_hash.as_deref()),
            opt_text(user.name.as_deref()),
            num(user.created_at),
        ];
        Ok(self.run(INSERT_FIRST_SUPER_ADMIN_SQL, &args).await? == 1)
    }

    async fn record_failed_login(
        &self,
        user_id: &str,
        now: UnixTime,
        threshold: u32,
        duration: u32,
    ) -> Result<Option<UnixTime>, InternalError> {
        let args = [text(user_id), num(now), threshold.into(), duration.into()];
        let row = self.first_as::<FailedLoginRow>(RECORD_FAILED_LOGIN_SQL, &args).await?;
        Ok(row.and_then(|r| r.locked_until).map(|t| t as UnixTime))
    }

    async fn record_successful_login(&self, user_id: &str, now: UnixTime) -> Result<(), InternalError> {
        self.run(RECORD_SUCCESSFUL_LOGIN_SQL, &[text(user_id), num(now)]).await.map(|_| ())
    }
}

fn refresh_args(t: &RefreshToken, parent: Option<&str>) -> [JsValue; 10] {
    [
        text(&t.token_hash),
        text(&t.family_id),
        opt_text(parent.or(t.parent_hash.as_deref())),
        text(&t.client_id),
        opt_text(t.user_id.as_deref()),
        text(&t.scope),
        opt_num(t.auth_time),
        num(t.created_at),
        num(t.expires_at),
        opt_text(t.session_id.as_deref()),
    ]
}

impl RefreshStore for D1Store {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), InternalError> {
        self.run(INSERT_REFRESH_SQL, &refresh_args(token, None)).await.map(|_| ())
    }

    async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, InternalError> {
        let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = ?1");
        Ok(self.first_as::<RefreshRow>(&sql, &[text(token_hash)]).await?.map(RefreshToken::from))
    }

    async fn refresh_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
        let rows = self.all_rows(self.refresh_with_user_statement(token_hash)?).await?;
        decode_refresh_with_user(rows)
    }

    async fn rotate_refresh_token(
        &self,
        parent_hash: &str,
        successor: &RefreshToken,
        successor_sealed: &str,
        now: UnixTime,
    ) -> Result<bool, InternalError> {
        let claim = self
            .db
            .prepare(ROTATE_PARENT_SQL)
            .bind(&[text(parent_hash), text(&successor.token_hash), text(successor_sealed), num(now)])
            .map_err(d1_err)?;
        let insert =
            self.db.prepare(INSERT_SUCCESSOR_SQL).bind(&refresh_args(successor, Some(parent_hash))).map_err(d1_err)?;
        // One batch is one transaction: the claim and the insert land together or not at all.
        let results = self.db.batch(vec![claim, insert]).await.map_err(d1_err)?;
        let claimed = results
            .first()
            .map(|r| r.meta().map_err(d1_err))
            .transpose()?
            .flatten()
            .and_then(|m| m.changes)
            .unwrap_or(0);
        Ok(claimed == 1)
    }

    async fn revoke_session_refresh_tokens(&self, session_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        Ok(self.run(REVOKE_SESSION_REFRESH_SQL, &[text(session_id), num(now)]).await? as u64)
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        Ok(self.run(REVOKE_FAMILY_SQL, &[text(family_id), num(now)]).await? as u64)
    }
}

/// The token endpoints' paired reads as one `batch()`: one round trip instead of two.
impl TokenLookups for D1Store {
    async fn client_and_access_token_state(
        &self,
        client_id: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(Option<ClientRecord>, AccessTokenState), InternalError> {
        let [client, state] =
            self.batch_rows([self.client_statement(client_id)?, self.access_token_state_statement(claims)?]).await?;
        Ok((client_from_rows(client)?, decode_access_token_state(state)?))
    }

    async fn client_and_refresh_token(
        &self,
        client_id: &str,
        token_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(RefreshToken, Option<User>)>), InternalError> {
        let [client, token] =
            self.batch_rows([self.client_statement(client_id)?, self.refresh_with_user_statement(token_hash)?]).await?;
        Ok((client_from_rows(client)?, decode_refresh_with_user(token)?))
    }

    async fn client_and_code(
        &self,
        client_id: &str,
        code_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(AuthorizationCode, Option<User>)>), InternalError> {
        let [client, code] =
            self.batch_rows([self.client_statement(client_id)?, self.code_statement(code_hash)?]).await?;
        Ok((client_from_rows(client)?, decode_code_with_user(code)?))
    }
}

fn decode_access_token_state(rows: Vec<serde_json::Value>) -> Result<AccessTokenState, InternalError> {
    let row = rows.into_iter().next().ok_or_else(|| InternalError::new("access token state: no row"))?;
    let row: AccessTokenStateRow =
        serde_json::from_value(row).map_err(|e| InternalError::new(format!("D1 access token state: {e}")))?;
    Ok(AccessTokenState { revoked: row.revoked != 0.0, subject_email: row.username })
}

fn decode_refresh_with_user(
    rows: Vec<serde_json::Value>,
) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
    let Some(row) = rows.into_iter().next() else { return Ok(None) };
    let row: RefreshWithUserRow =
        serde_json::from_value(row).map_err(|e| InternalError::new(format!("D1 refresh token row: {e}")))?;
    row.decode().map(Some)
}

impl D1Store {
    fn client_statement(&self, client_id: &str) -> Result<D1PreparedStatement, InternalError> {
        self.db.prepare(CLIENT_WITH_SECRETS_SQL).bind(&[text(client_id)]).map_err(d1_err)
    }

    fn access_token_state_statement(&self, claims: &AccessTokenClaims) -> Result<D1PreparedStatement, InternalError> {
        let args = [text(&claims.jti), text(&claims.client_id), num(claims.iat), text(&claims.sub)];
        self.db.prepare(ACCESS_TOKEN_STATE_SQL).bind(&args).map_err(d1_err)
    }

    fn code_statement(&self, code_hash: &str) -> Result<D1PreparedStatement, InternalError> {
        self.db.prepare(CODE_WITH_USER_SQL).bind(&[text(code_hash)]).map_err(d1_err)
    }

    fn refresh_with_user_statement(&self, token_hash: &str) -> Result<D1PreparedStatement, InternalError> {
        self.db.prepare(REFRESH_WITH_USER_SQL).bind(&[text(token_hash)]).map_err(d1_err)
    }

    async fn all_rows(&self, statement: D1PreparedStatement) -> Result<Vec<serde_json::Value>, InternalError> {
        statement.all().await.map_err(d1_err)?.results().map_err(d1_err)
    }

    /// Runs `N` read statements as one batch (one round trip) and returns each one's rows.
    async fn batch_rows<const N: usize>(
        &self,
        statements: [D1PreparedStatement; N],
    ) -> Result<[Vec<serde_json::Value>; N], InternalError> {
        let results = self.db.batch(statements.into()).await.map_err(d1_err)?;
        let mut rows = Vec::with_capacity(N);
        for result in results {
            if let Some(e) = result.error() {
                return Err(InternalError::new(format!("D1 batch: {e}")));
            }
            rows.push(result.results::<serde_json::Value>().map_err(d1_err)?);
        }
        rows.try_into().map_err(|_| InternalError::new("D1 batch: wrong number of results"))
    }
}

fn bind(arg: &SqlArg) -> JsValue {
    match arg {
        SqlArg::Text(t) => JsValue::from_str(t),
        SqlArg::Int(n) => JsValue::from_f64(*n as f64),
        SqlArg::Null => JsValue::NULL,
    }
}

impl SqlRunner for D1Store {
    async fn execute(&self, sql: &str, args: &[SqlArg]) -> Result<u64, InternalError> {
        let args: Vec<JsValue> = args.iter().map(bind).collect();
        self.run(sql, &args).await.map(|n| n as u64)
    }

    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError> {
        let args: Vec<JsValue> = args.iter().map(bind).collect();
        self.all_rows(self.db.prepare(sql).bind(&args).map_err(d1_err)?).await
    }

    async fn batch(&self, statements: &[(&str, Vec<SqlArg>)]) -> Result<Vec<u64>, InternalError> {
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, args) in statements {
            let args: Vec<JsValue> = args.iter().map(bind).collect();
            prepared.push(self.db.prepare(*sql).bind(&args).map_err(d1_err)?);
        }
        let results = self.db.batch(prepared).await.map_err(d1_err)?;
        let mut changes = Vec::with_capacity(results.len());
        for result in results {
            if let Some(e) = result.error() {
                return Err(InternalError::new(format!("D1 batch: {e}")));
            }
            changes.push(result.meta().map_err(d1_err)?.and_then(|m| m.changes).unwrap_or(0) as u64);
        }
        Ok(changes)
    }
}

impl AuditStore for D1Store {
    async fn record(&self, e: &AuditEvent) -> Result<(), InternalError> {
        let args = [
            text(&e.id),
            num(e.timestamp),
            text(e.event),
            opt_text(e.actor_id.as_deref()),
            opt_text(e.actor_type),
            opt_text(e.resource_type),
            opt_text(e.resource_id.as_deref()),
            opt_text(e.ip_address.as_deref()),
            opt_text(e.user_agent.as_deref()),
            text(&e.metadata.to_string()),
        ];
        self.run(INSERT_AUDIT_SQL, &args).await.map(|_| ())
    }
}

impl crate::engine::users::ScopeStore for D1Store {
    async fn scope_names(&self) -> Result<Vec<String>, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            name: String,
        }
        let rows: Vec<Row> = self
            .db
            .prepare(crate::engine::sql::SCOPE_NAMES_SQL)
            .all()
            .await
            .map_err(d1_err)?
            .results()
            .map_err(d1_err)?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    async fn scope_descriptions(&self) -> Result<Vec<(String, String)>, InternalError> {
        let rows = self.all_rows(self.db.prepare(crate::engine::sql::SCOPE_DESCRIPTIONS_SQL)).await?;
        rows.into_iter()
            .map(|r| {
                serde_json::from_value::<crate::engine::sql::ScopeRow>(r)
                    .map(|r| (r.name, r.description))
                    .map_err(|e| InternalError::new(format!("D1 scope row: {e}")))
            })
            .collect()
    }
}
