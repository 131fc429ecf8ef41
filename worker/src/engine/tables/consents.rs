//! The `consents` table (migrations/0003): the scopes a user allowed a client; every
//! statement on it and [`ConsentStore`] over the one SQL port.

use serde::Deserialize;

use crate::engine::oauth::consent::{Consent, ConsentStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlRunner, Statement, UnixTime};

const CONSENT_SQL: &str = "SELECT scopes, updated_at FROM consents WHERE user_id = ?1 AND client_id = ?2";

/// ?1 user, ?2 client, ?3 scopes (space-separated), ?4 now.
const UPSERT_CONSENT_SQL: &str = "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
updated_at = excluded.updated_at";

pub fn decode_consent(rows: Vec<serde_json::Value>) -> Result<Option<Consent>, InternalError> {
    #[derive(Deserialize)]
    struct ConsentRow {
        scopes: String,
        updated_at: f64,
    }
    Ok(first_row::<ConsentRow>(rows)?.map(|r| Consent {
        scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        updated_at: int(r.updated_at),
    }))
}

/// The consent of user ?1 to client ?2, for batching with another read.
pub fn of_user_and_client(user_id: &str, client_id: &str) -> Statement<'static> {
    (CONSENT_SQL, vec![user_id.into(), client_id.into()])
}

impl<T: SqlRunner> ConsentStore for T {
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, InternalError> {
        decode_consent(self.select(of_user_and_client(user_id, client_id)).await?)
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let args = [user_id.into(), client_id.into(), scopes.join(" ").into(), now.into()];
        self.execute(UPSERT_CONSENT_SQL, &args).await.map(|_| ())
    }
}
