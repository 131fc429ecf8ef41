//! The engine's stores on D1. Each method is one statement: D1 has no interactive
//! transactions (architecture rule 1).

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::engine::access_token::{AccessTokenClaims, RevocationStore};
use crate::engine::clients::{Client, ClientSecret, ClientStore};
use crate::engine::error::InternalError;
use crate::engine::ports::{KeyStatus, KeyStore, StoredSigningKey, UnixTime};
use crate::engine::sql::{
    ClientRow, SecretRow, ACCESS_TOKEN_REVOKED_SQL, CLIENT_COLUMNS, ENSURE_CLIENT_SQL, REVOKE_ACCESS_TOKEN_SQL,
    UPSERT_SECRET_SQL,
};

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
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<(Client, Vec<ClientSecret>)>, InternalError> {
        let rows: Vec<serde_json::Value> = self
            .db
            .prepare(format!(
                "SELECT {CLIENT_COLUMNS}, s.secret_id, s.secret_hash, s.created_at, s.expires_at
                 FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.client_id
                 WHERE c.client_id = ?1"
            ))
            .bind(&[client_id.into()])
            .map_err(d1_err)?
            .all()
            .await
            .map_err(d1_err)?
            .results()
            .map_err(d1_err)?;
        let row_err = |e: serde_json::Error| InternalError::new(format!("D1 client row: {e}"));
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

    async fn ensure_client(&self, client: &Client, secret: &ClientSecret) -> Result<(), InternalError> {
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
                num(secret.created_at),
            ])
            .map_err(d1_err)?;
        let upsert_secret = self
            .db
            .prepare(UPSERT_SECRET_SQL)
            .bind(&[
                secret.secret_id.as_str().into(),
                client.client_id.as_str().into(),
                secret.secret_hash.as_str().into(),
                num(secret.created_at),
                secret.expires_at.map(num).unwrap_or(JsValue::NULL),
            ])
            .map_err(d1_err)?;
        // batch() is one transaction in D1: both rows or neither.
        for result in self.db.batch(vec![insert_client, upsert_secret]).await.map_err(d1_err)? {
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
        let row: Option<Row> = self
            .db
            .prepare(ACCESS_TOKEN_REVOKED_SQL)
            .bind(&[claims.jti.as_str().into(), claims.client_id.as_str().into(), num(claims.iat)])
            .map_err(d1_err)?
            .first(None)
            .await
            .map_err(d1_err)?;
        Ok(row.is_some_and(|r| r.revoked != 0.0))
    }

    async fn revoke_access_token(&self, claims: &AccessTokenClaims, now: UnixTime) -> Result<(), InternalError> {
        self.db
            .prepare(REVOKE_ACCESS_TOKEN_SQL)
            .bind(&[claims.jti.as_str().into(), claims.client_id.as_str().into(), num(claims.exp), num(now)])
            .map_err(d1_err)?
            .run()
            .await
            .map_err(d1_err)?;
        Ok(())
    }
}
