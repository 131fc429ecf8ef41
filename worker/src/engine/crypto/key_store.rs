//! The `signing_keys` table (migrations/0001): [`KeyStore`] over the one SQL port.

use serde::Deserialize;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, KeyStatus, KeyStore, SqlRunner, StoredSigningKey, UnixTime};

const KEY_COLUMNS: &str = "kid, alg, status, public_n, public_e, private_key_sealed, created_at, publish_until";

/// A `signing_keys` row as stored.
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
            created_at: int(row.created_at),
            publish_until: row.publish_until.map(int),
        })
    }
}

fn decode(rows: Vec<serde_json::Value>) -> Result<Vec<StoredSigningKey>, InternalError> {
    rows.into_iter()
        .map(|row| {
            serde_json::from_value::<KeyRow>(row)
                .map_err(|e| InternalError::new(format!("signing_keys row: {e}")))?
                .try_into()
        })
        .collect()
}

impl<T: SqlRunner> KeyStore for T {
    async fn active_signing_key(&self) -> Result<Option<StoredSigningKey>, InternalError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE status = 'active'");
        first_row::<KeyRow>(self.query(&sql, &[]).await?)?.map(StoredSigningKey::try_from).transpose()
    }

    async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys \
             WHERE status = 'active' OR (status = 'verify' AND (publish_until IS NULL OR publish_until > ?1)) \
             ORDER BY created_at, kid"
        );
        decode(self.query(&sql, &[now.into()]).await?)
    }

    async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        // The partial unique index on status = 'active' makes a racing second insert a no-op.
        let sql = format!(
            "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"
        );
        let args = [
            (&key.kid).into(),
            (&key.alg).into(),
            (&key.public_n).into(),
            (&key.public_e).into(),
            (&key.private_key_sealed).into(),
            key.created_at.into(),
            key.publish_until.into(),
        ];
        Ok(self.execute(&sql, &args).await? == 1)
    }

    async fn ping(&self) -> Result<(), InternalError> {
        self.query("SELECT COUNT(*) AS n FROM signing_keys", &[]).await.map(|_| ())
    }
}
