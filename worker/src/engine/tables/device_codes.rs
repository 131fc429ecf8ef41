//! The `device_codes` table (migrations/0005, 0014): one device authorization (RFC 8628),
//! pending → approved/denied → consumed; its row type, every statement on it, and
//! [`DeviceStore`] over the one SQL port.

use crate::engine::clients::gate::ClientGate;
use crate::engine::oauth::device::{DeviceAnswer, DeviceCode, DeviceStatus, DeviceStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, SqlArg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::clients::{client_gate, gate_args};
use crate::engine::tables::resources::{granted, granted_resources, stored_identifiers};

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM device_codes WHERE rowid IN (SELECT rowid FROM device_codes WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` device authorizations past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}

macro_rules! device_columns {
    () => {
        concat!(
            "d.device_code_hash, d.user_code_hash, d.client_id, d.scope, d.status, d.user_id, d.auth_time, d.amr, \
d.session_id, d.poll_interval, d.last_polled_at, d.created_at, d.expires_at, ",
            granted_resources!("d")
        )
    };
}
const BY_DEVICE_CODE_SQL: &str =
    concat!("SELECT ", device_columns!(), " FROM device_codes d WHERE d.device_code_hash = ?1");
const PENDING_BY_USER_CODE_SQL: &str = concat!(
    "SELECT ",
    device_columns!(),
    " FROM device_codes d WHERE d.user_code_hash = ?1 AND d.status = 'pending' AND d.expires_at > ?2"
);
/// A user code stays unique among pending codes (a partial unique index); an expired
/// pending row with the same code is retired first so it cannot block a new one.
const RETIRE_EXPIRED_SQL: &str =
    "UPDATE device_codes SET status = 'denied' WHERE user_code_hash = ?1 AND status = 'pending' AND expires_at <= ?2";
const INSERT_DEVICE_SQL: &str = "INSERT INTO device_codes (device_code_hash, user_code_hash, client_id, scope, \
status, poll_interval, created_at, expires_at, resources) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8) \
ON CONFLICT DO NOTHING";
const RECORD_POLL_SQL: &str =
    "UPDATE device_codes SET last_polled_at = ?2, poll_interval = ?3 WHERE device_code_hash = ?1";
const DECIDE_SQL: &str = "UPDATE device_codes SET status = ?2, user_id = ?3, scope = ?4, auth_time = ?5, \
session_id = ?6, decided_at = ?7, amr = ?8 WHERE user_code_hash = ?1 AND status = 'pending' AND expires_at > ?7";
const CONSUME_SQL: &str = "UPDATE device_codes SET status = 'consumed', consumed_at = ?2 \
WHERE device_code_hash = ?1 AND status = 'approved' AND expires_at > ?2";

/// A pending poll's time and interval, written in the batch that reads the client and the
/// code (docs/storage.md, "One trip per grant"): only for a live, pending code of the
/// client the gate (`tables::clients::client_gate`) accepts. The interval grows by ?8
/// when the previous poll came sooner than it allowed, as `oauth::device::poll` decides
/// on the row read just before (RFC 8628 §3.5 `slow_down`). ?1 the code's hash, ?2 now,
/// ?3..?7 the gate's values, ?8 the step.
const RECORD_PENDING_POLL_SQL: &str = concat!(
    "UPDATE device_codes SET last_polled_at = ?2, poll_interval = CASE WHEN last_polled_at IS NOT NULL ",
    "AND ?2 - last_polled_at < poll_interval THEN poll_interval + ?8 ELSE poll_interval END ",
    "WHERE device_code_hash = ?1 AND client_id = ?3 AND status = 'pending' AND expires_at > ?2 AND ",
    client_gate!("?3", "?4", "?5", "?6", "?7", "?2", "urn:ietf:params:oauth:grant-type:device_code"),
    " RETURNING device_code_hash"
);

/// The code by its device code's hash, for a batch.
pub fn by_device_code(device_code_hash: &str) -> Statement<'static> {
    (BY_DEVICE_CODE_SQL, vec![device_code_hash.into()])
}

/// The code of [`by_device_code`]'s rows.
pub fn decode(rows: Vec<serde_json::Value>) -> Result<Option<DeviceCode>, InternalError> {
    first_row::<DeviceRow>(rows)?.map(DeviceRow::decode).transpose()
}

/// [`RECORD_PENDING_POLL_SQL`]: returns a row when the poll was recorded.
pub fn record_pending_poll(device_code_hash: &str, gate: &ClientGate, now: UnixTime, step: u32) -> Statement<'static> {
    let mut args = vec![device_code_hash.into(), SqlArg::Int(now)];
    args.extend(gate_args(gate));
    args.push(SqlArg::Int(i64::from(step)));
    (RECORD_PENDING_POLL_SQL, args)
}

#[derive(serde::Deserialize)]
struct DeviceRow {
    device_code_hash: String,
    user_code_hash: String,
    client_id: String,
    scope: String,
    status: String,
    user_id: Option<String>,
    auth_time: Option<f64>,
    #[serde(default)]
    amr: Option<String>,
    session_id: Option<String>,
    poll_interval: f64,
    last_polled_at: Option<f64>,
    created_at: f64,
    expires_at: f64,
    #[serde(default)]
    resources: Option<String>,
    #[serde(default)]
    registered_resources: Option<String>,
}

impl DeviceRow {
    fn decode(self) -> Result<DeviceCode, InternalError> {
        Ok(DeviceCode {
            status: DeviceStatus::parse(&self.status)?,
            device_code_hash: self.device_code_hash,
            user_code_hash: self.user_code_hash,
            client_id: self.client_id,
            scope: self.scope,
            user_id: self.user_id,
            auth_time: self.auth_time.map(|t| t as UnixTime),
            amr: self.amr,
            session_id: self.session_id,
            interval: self.poll_interval as u32,
            last_polled_at: self.last_polled_at.map(|t| t as UnixTime),
            created_at: self.created_at as UnixTime,
            expires_at: self.expires_at as UnixTime,
            resources: granted(self.resources.as_deref(), self.registered_resources.as_deref())?,
        })
    }
}

/// Written once for D1 and SQLite (see [`SqlRunner`]).
impl<T: SqlRunner> DeviceStore for T {
    async fn insert_device_code(&self, c: &DeviceCode) -> Result<bool, InternalError> {
        let changes = self
            .batch(&[
                (RETIRE_EXPIRED_SQL, vec![(&c.user_code_hash).into(), SqlArg::Int(c.created_at)]),
                (
                    INSERT_DEVICE_SQL,
                    vec![
                        (&c.device_code_hash).into(),
                        (&c.user_code_hash).into(),
                        (&c.client_id).into(),
                        (&c.scope).into(),
                        SqlArg::Int(i64::from(c.interval)),
                        SqlArg::Int(c.created_at),
                        SqlArg::Int(c.expires_at),
                        stored_identifiers(&c.resources.identifiers).as_deref().into(),
                    ],
                ),
            ])
            .await?;
        Ok(changes.get(1) == Some(&1))
    }

    async fn device_code(&self, device_code_hash: &str) -> Result<Option<DeviceCode>, InternalError> {
        decode(self.select(by_device_code(device_code_hash)).await?)
    }

    async fn pending_by_user_code(
        &self,
        user_code_hash: &str,
        now: UnixTime,
    ) -> Result<Option<DeviceCode>, InternalError> {
        let rows = self.query(PENDING_BY_USER_CODE_SQL, &[user_code_hash.into(), SqlArg::Int(now)]).await?;
        first_row::<DeviceRow>(rows)?.map(DeviceRow::decode).transpose()
    }

    async fn record_poll(&self, device_code_hash: &str, now: UnixTime, interval: u32) -> Result<(), InternalError> {
        let args = [device_code_hash.into(), SqlArg::Int(now), SqlArg::Int(i64::from(interval))];
        self.execute(RECORD_POLL_SQL, &args).await.map(|_| ())
    }

    async fn decide_device_code(&self, d: &DeviceAnswer<'_>, now: UnixTime) -> Result<bool, InternalError> {
        let status = if d.approve { DeviceStatus::Approved } else { DeviceStatus::Denied };
        let args = [
            d.user_code_hash.into(),
            status.as_str().into(),
            d.user_id.into(),
            d.scope.into(),
            SqlArg::Int(d.auth_time),
            d.session_id.into(),
            SqlArg::Int(now),
            d.amr.into(),
        ];
        Ok(self.execute(DECIDE_SQL, &args).await? == 1)
    }

    async fn consume_device_code(&self, device_code_hash: &str, now: UnixTime) -> Result<bool, InternalError> {
        Ok(self.execute(CONSUME_SQL, &[device_code_hash.into(), SqlArg::Int(now)]).await? == 1)
    }
}
