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
        let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE {PUBLISHED} ORDER BY created_at, kid");
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

/// Whether a key is in the JWKS at ?1 (now): the one SQL rule for "published".
const PUBLISHED: &str = "status = 'active' OR (status = 'verify' AND (publish_until IS NULL OR publish_until > ?1))";

#[derive(Deserialize)]
struct InfoRow {
    kid: String,
    alg: String,
    status: String,
    published: f64,
    created_at: f64,
    publish_until: Option<f64>,
}

/// `GET /api/keys`: every signing key, newest first, with whether it is published now;
/// the page and the total in one round trip. The sealed private key is never read.
pub async fn key_list(
    store: &impl SqlRunner,
    now: UnixTime,
    limit: u32,
    offset: u32,
) -> Result<shared::account::Page<shared::admin::SigningKeyInfo>, InternalError> {
    let list = format!(
        "SELECT kid, alg, status, ({PUBLISHED}) AS published, created_at, publish_until FROM signing_keys \
         ORDER BY created_at DESC, kid LIMIT ?2 OFFSET ?3"
    );
    let statements = [
        (list.as_str(), vec![now.into(), limit.into(), offset.into()]),
        ("SELECT COUNT(*) AS total FROM signing_keys", vec![]),
    ];
    let mut results = store.query_batch(&statements).await?.into_iter();
    let (rows, totals) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
    let data = rows
        .into_iter()
        .map(|row| {
            let r: InfoRow = serde_json::from_value(row).map_err(|e| InternalError::new(format!("key row: {e}")))?;
            Ok(shared::admin::SigningKeyInfo {
                kid: r.kid,
                alg: r.alg,
                status: r.status,
                published: r.published != 0.0,
                created_at: int(r.created_at),
                publish_until: r.publish_until.map(int),
            })
        })
        .collect::<Result<Vec<_>, InternalError>>()?;
    Ok(shared::account::Page { data, total: crate::engine::platform::ports::count(totals)?, limit, offset })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::SqliteStore;

    #[test]
    fn the_key_list_says_which_keys_are_published_and_never_reads_private_material() {
        let store = SqliteStore::open_in_memory().unwrap();
        for (kid, status, created, until) in [
            ("old", "retired", 1_i64, None::<i64>),
            ("prev", "verify", 2, Some(1_500)),
            ("gone", "verify", 3, Some(900)),
            ("now", "active", 4, None),
        ] {
            let args: [crate::engine::platform::ports::SqlArg; 4] =
                [kid.into(), status.into(), created.into(), until.into()];
            pollster::block_on(store.execute(
                "INSERT INTO signing_keys (kid, alg, status, public_n, public_e, private_key_sealed, created_at, publish_until) \
                 VALUES (?1, 'RS256', ?2, 'n', 'AQAB', 'v1.secret', ?3, ?4)",
                &args,
            ))
            .unwrap();
        }
        let page = pollster::block_on(key_list(&store, 1_000, 10, 0)).unwrap();
        let seen: Vec<(&str, bool)> = page.data.iter().map(|k| (k.kid.as_str(), k.published)).collect();
        assert_eq!(seen, [("now", true), ("gone", false), ("prev", true), ("old", false)]);
        assert_eq!(page.total, 4);
        assert!(!serde_json::to_string(&page).unwrap().contains("v1.secret"));
    }
}
