//! The `consents` table (migrations/0003): the scopes a user allowed a client; every
//! statement on it and [`ConsentStore`] over the one SQL port.

use serde::Deserialize;
use shared::account::ConsentSummary;

use crate::engine::oauth::consent::{Consent, ConsentStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlRunner, Statement, UnixTime};

const CONSENT_SQL: &str = "SELECT scopes, updated_at FROM consents WHERE user_id = ?1 AND client_id = ?2";

/// ?1 user, ?2 client, ?3 scopes (space-separated), ?4 now.
const UPSERT_CONSENT_SQL: &str = "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
updated_at = excluded.updated_at";

/// A client read from a metadata document has no `clients` row: its consent is listed
/// under its client_id (a URL) so the person can still see and withdraw it.
const OF_USER_WITH_CLIENTS_SQL: &str = "SELECT c.client_id, COALESCE(cl.client_name, c.client_id) AS client_name, \
c.scopes, c.updated_at FROM consents c LEFT JOIN clients cl ON cl.client_id = c.client_id WHERE c.user_id = ?1 \
ORDER BY c.updated_at DESC, c.client_id";
const DELETE_SQL: &str = "DELETE FROM consents WHERE user_id = ?1 AND client_id = ?2";

/// The apps a user consented to, most recent first; decode with [`decode_summaries`].
pub fn of_user_with_clients(user_id: &str) -> Statement<'static> {
    (OF_USER_WITH_CLIENTS_SQL, vec![user_id.into()])
}

pub fn decode_summaries(rows: Vec<serde_json::Value>) -> Result<Vec<ConsentSummary>, InternalError> {
    #[derive(Deserialize)]
    struct Row {
        client_id: String,
        client_name: String,
        scopes: String,
        updated_at: f64,
    }
    rows.into_iter()
        .map(|row| {
            let r: Row = crate::engine::platform::json::row(row, "consent")?;
            Ok(ConsentSummary {
                client_id: r.client_id,
                client_name: r.client_name,
                scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                updated_at: int(r.updated_at),
            })
        })
        .collect()
}

const DELETE_OF_CLIENT_SQL: &str = "DELETE FROM consents WHERE client_id = ?1";

/// Forgets every consent to a client (it is deleted).
pub fn delete_of_client(client_id: &str) -> Statement<'static> {
    (DELETE_OF_CLIENT_SQL, vec![client_id.into()])
}

/// Forgets a user's consent to a client.
pub fn delete(user_id: &str, client_id: &str) -> Statement<'static> {
    (DELETE_SQL, vec![user_id.into(), client_id.into()])
}

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

/// The consent of the user of session ?1 (its id hash) to client ?2.
const CONSENT_OF_SESSION_SQL: &str = "SELECT scopes, updated_at FROM consents \
WHERE user_id = (SELECT s.user_id FROM sessions s WHERE s.id_hash = ?1) AND client_id = ?2";

/// [`CONSENT_OF_SESSION_SQL`], for a batch.
pub fn of_session_and_client(id_hash: &str, client_id: &str) -> Statement<'static> {
    (CONSENT_OF_SESSION_SQL, vec![id_hash.into(), client_id.into()])
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

const DELETE_OF_UNUSED_SELF_REGISTERED_SQL: &str = concat!(
    "DELETE FROM consents WHERE client_id IN (",
    crate::engine::tables::clients::unused_self_registered!(),
    ")"
);

/// Cleanup: the consents to the self-registered clients deleted in the same batch
/// (`clients::delete_unused_self_registered`, same arguments).
pub fn delete_of_unused_self_registered(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OF_UNUSED_SELF_REGISTERED_SQL, vec![before.into(), limit.into()])
}
