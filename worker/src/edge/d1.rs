//! The engine's stores on D1. Each method is one statement: D1 has no interactive
//! transactions (architecture rule 1).

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::engine::error::InternalError;
use crate::engine::ports::{KeyStatus, KeyStore, StoredSigningKey, UnixTime};

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
