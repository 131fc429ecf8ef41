//! The `signing_keys` table (migrations/0001, 0018): [`KeyStore`] over the one SQL port.

use serde::Deserialize;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{
    first_row, int, KeyStatus, KeyStore, PublicJwk, SigningAlg, SqlRunner, StoredSigningKey, UnixTime,
};

const KEY_COLUMNS: &str = "kid, alg, status, public_jwk, private_key_sealed, created_at, activate_at, publish_until";

/// A `signing_keys` row as stored.
#[derive(Deserialize)]
struct KeyRow {
    kid: String,
    alg: String,
    status: String,
    public_jwk: String,
    private_key_sealed: String,
    created_at: f64,
    activate_at: Option<f64>,
    publish_until: Option<f64>,
}

impl TryFrom<KeyRow> for StoredSigningKey {
    type Error = InternalError;
    fn try_from(row: KeyRow) -> Result<Self, InternalError> {
        let alg = SigningAlg::parse(&row.alg)
            .ok_or_else(|| InternalError::new(format!("signing key {}: unknown alg `{}`", row.kid, row.alg)))?;
        let public: PublicJwk = serde_json::from_str(&row.public_jwk)
            .map_err(|e| InternalError::new(format!("signing key {}: public_jwk: {e}", row.kid)))?;
        Ok(StoredSigningKey {
            kid: row.kid,
            alg,
            status: KeyStatus::parse(&row.status)?,
            public,
            private_key_sealed: row.private_key_sealed,
            created_at: int(row.created_at),
            activate_at: row.activate_at.map(int),
            publish_until: row.publish_until.map(int),
        })
    }
}

fn decode(rows: Vec<serde_json::Value>) -> Result<Vec<StoredSigningKey>, InternalError> {
    rows.into_iter().map(|row| crate::engine::platform::json::row::<KeyRow>(row, "signing_keys")?.try_into()).collect()
}

async fn insert(store: &impl SqlRunner, key: &StoredSigningKey, status: KeyStatus) -> Result<bool, InternalError> {
    // The partial unique indexes (one active, one pending per alg) make a racing second
    // insert a no-op.
    let sql = format!(
        "INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING"
    );
    let public = serde_json::to_string(&key.public).map_err(|e| InternalError::new(format!("public_jwk: {e}")))?;
    let args = [
        (&key.kid).into(),
        key.alg.as_str().into(),
        status.as_str().into(),
        public.as_str().into(),
        (&key.private_key_sealed).into(),
        key.created_at.into(),
        key.activate_at.into(),
        key.publish_until.into(),
    ];
    Ok(store.execute(&sql, &args).await? == 1)
}

impl<T: SqlRunner> KeyStore for T {
    async fn signing_key_for(&self, alg: SigningAlg, now: UnixTime) -> Result<Option<StoredSigningKey>, InternalError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys WHERE alg = ?1 AND (status = 'active' \
             OR (status = 'pending' AND activate_at <= ?2)) ORDER BY status = 'pending' DESC, created_at DESC LIMIT 1"
        );
        first_row::<KeyRow>(self.query(&sql, &[alg.as_str().into(), now.into()]).await?)?
            .map(StoredSigningKey::try_from)
            .transpose()
    }

    async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE {PUBLISHED} ORDER BY created_at, kid");
        decode(self.query(&sql, &[now.into()]).await?)
    }

    async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        insert(self, key, KeyStatus::Active).await
    }

    async fn insert_pending_signing_key(&self, key: &StoredSigningKey) -> Result<bool, InternalError> {
        insert(self, key, KeyStatus::Pending).await
    }

    async fn complete_rotation(
        &self,
        alg: SigningAlg,
        kid: &str,
        publish_until: UnixTime,
    ) -> Result<(), InternalError> {
        // One batch, in order: the unique index allows one active key per alg at a time.
        let demote =
            "UPDATE signing_keys SET status = 'verify', publish_until = ?2 WHERE alg = ?1 AND status = 'active'";
        let promote = "UPDATE signing_keys SET status = 'active' WHERE kid = ?1 AND status = 'pending'";
        let statements = [(demote, vec![alg.as_str().into(), publish_until.into()]), (promote, vec![kid.into()])];
        self.query_batch(&statements).await.map(|_| ())
    }

    async fn retire_expired_keys(&self, now: UnixTime) -> Result<Vec<String>, InternalError> {
        #[derive(Deserialize)]
        struct Kid {
            kid: String,
        }
        let sql =
            "UPDATE signing_keys SET status = 'retired' WHERE status = 'verify' AND publish_until <= ?1 RETURNING kid";
        self.query(sql, &[now.into()])
            .await?
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<Kid>(r, "kid").map(|k| k.kid))
            .collect()
    }

    async fn live_signing_keys(&self) -> Result<Vec<StoredSigningKey>, InternalError> {
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE status != 'retired' ORDER BY created_at DESC, kid");
        decode(self.query(&sql, &[]).await?)
    }

    async fn ping(&self) -> Result<(), InternalError> {
        self.query("SELECT COUNT(*) AS n FROM signing_keys", &[]).await.map(|_| ())
    }
}

/// Whether a key is in the JWKS at ?1 (now): the one SQL rule for "published".
const PUBLISHED: &str =
    "status IN ('pending', 'active') OR (status = 'verify' AND (publish_until IS NULL OR publish_until > ?1))";

#[derive(Deserialize)]
struct InfoRow {
    kid: String,
    alg: String,
    status: String,
    published: f64,
    created_at: f64,
    activate_at: Option<f64>,
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
        "SELECT kid, alg, status, ({PUBLISHED}) AS published, created_at, activate_at, publish_until FROM signing_keys \
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
            let r: InfoRow = crate::engine::platform::json::row(row, "key")?;
            Ok(shared::admin::SigningKeyInfo {
                kid: r.kid,
                alg: r.alg,
                status: r.status,
                published: r.published != 0.0,
                created_at: int(r.created_at),
                activate_at: r.activate_at.map(int),
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
                "INSERT INTO signing_keys (kid, alg, status, public_jwk, private_key_sealed, created_at, publish_until) \
                 VALUES (?1, 'RS256', ?2, '{\"kty\":\"RSA\",\"n\":\"n\",\"e\":\"AQAB\"}', 'v1.secret', ?3, ?4)",
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
