//! Scheduled cleanup (the Cron Trigger in wrangler.toml): what has expired is deleted,
//! so no table grows without bound. Each statement deletes at most [`BATCH`] rows per
//! run (a run stays short; the next run takes the rest); all run in one D1 batch, and
//! each run is audited as `system.cleanup` with the count per table.
//!
//! What goes, and why it is safe:
//! - authorization codes a day after they expired (a replay of an expired code is
//!   refused anyway; the day keeps RFC 6749 §10.5 replay detection for late replays);
//! - device codes once expired (RFC 8628 §3.5: then only `expired_token` is left to say);
//! - refresh tokens once expired, or revoked and past their expiry;
//! - revoked access-token ids once the token itself has expired (it fails `exp` then);
//! - email links once expired;
//! - sealed successors of rotated refresh tokens once the grace period for a retry is
//!   over (RFC 9700 §4.14.2: nothing can use them after it);
//! - browser sessions' D1 rows once past `SESSION_DURATION_DAYS` or idle longer than
//!   `IDLE_TIMEOUT_MINUTES` (the session is over then; its KV value expired with it);
//! - outbox rows after `OUTBOX_RETENTION_DAYS`, audit entries after
//!   `AUDIT_LOG_RETENTION_DAYS`;
//! - self-registered clients (open registration) without a code exchange for
//!   `OPEN_REGISTRATION_UNUSED_DAYS` and without a refresh token alive in that time, with
//!   their consents (nothing can use them: no code, no refresh token);
//! - the jtis of client assertions a minute after they expired (a replay fails on `exp`),
//!   and of DPoP proofs once their `iat` is out of the window (a replay fails on `iat`);
//! - pushed authorization requests nobody used in their 60 seconds;
//! - deliveries delivered or dead for `OUTBOX_RETENTION_DAYS` (pending ones stay).

use serde_json::{json, Map, Value};

use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, SqlRunner, Statement, UnixTime};
use crate::engine::tables::{
    audit_log, authorization_codes, client_assertions, clients, consents, deliveries, device_codes, dpop_proofs,
    email_tokens, ended_sessions, logout_deliveries, mail_outbox, pushed_authorization_requests, refresh_tokens,
    revoked_access_tokens, session_clients, sessions, webauthn_challenges,
};

/// Rows one statement deletes per run at most.
pub const BATCH: i64 = 10_000;

/// Codes are kept this long after they expire, for replay detection.
const CODE_KEEP_SECONDS: i64 = 86_400;

/// A statement that deletes (or clears) at most `limit` rows older than a cut-off.
type Sweep = fn(UnixTime, i64) -> Statement<'static>;

/// `(name in the audit entry, statement)`, each from its table's module.
const SWEEPS: [(&str, Sweep); 20] = [
    ("authorization_codes", authorization_codes::delete_expired),
    ("device_codes", device_codes::delete_expired),
    ("refresh_tokens", refresh_tokens::delete_expired),
    ("revoked_access_tokens", revoked_access_tokens::delete_expired),
    ("email_tokens", email_tokens::delete_expired),
    ("refresh_successors", refresh_tokens::forget_successors),
    ("sessions", sessions::delete_expired),
    ("idle_sessions", sessions::delete_idle),
    ("mail_outbox", mail_outbox::delete_older),
    ("audit_log", audit_log::delete_older),
    ("webauthn_challenges", webauthn_challenges::delete_expired),
    ("ended_sessions", ended_sessions::delete_expired),
    ("session_clients", session_clients::delete_older),
    ("logout_deliveries", logout_deliveries::delete_older),
    ("self_registered_consents", consents::delete_of_unused_self_registered),
    ("self_registered_clients", clients::delete_unused_self_registered),
    ("client_assertions", client_assertions::delete_expired),
    ("dpop_proofs", dpop_proofs::delete_expired),
    ("pushed_authorization_requests", pushed_authorization_requests::delete_expired),
    ("deliveries", deliveries::delete_older),
];

/// The cut-off time of each statement in [`SWEEPS`], in order.
fn cutoffs(config: &Config, now: UnixTime) -> [UnixTime; 20] {
    let days = |d: u32| now - i64::from(d) * 86_400;
    [
        now - CODE_KEEP_SECONDS,
        now,
        now,
        now,
        now,
        now - i64::from(config.tokens.refresh_reuse_grace_seconds),
        now,
        now - i64::from(config.sessions.idle_timeout_minutes) * 60,
        days(config.retention.outbox_days),
        days(config.retention.audit_days),
        now,
        now,
        days(config.sessions.session_duration_days),
        days(config.retention.outbox_days),
        days(config.open_registration.unused_days),
        days(config.open_registration.unused_days),
        now - 60,
        now,
        now,
        days(config.retention.outbox_days),
    ]
}

/// One cleanup run at `now`: deletes, then the `system.cleanup` audit entry. Returns the
/// rows changed per table.
pub async fn run<S: SqlRunner + AuditStore>(
    store: &S,
    rng: &impl Random,
    config: &Config,
    now: UnixTime,
) -> Result<Map<String, Value>, InternalError> {
    let cutoffs = cutoffs(config, now);
    let statements: Vec<Statement<'static>> =
        SWEEPS.iter().zip(cutoffs).map(|((_, sweep), cutoff)| sweep(cutoff, BATCH)).collect();
    let changes = store.batch(&statements).await?;
    let counts: Map<String, Value> =
        SWEEPS.iter().zip(changes).map(|((table, _), n)| ((*table).to_owned(), json!(n))).collect();
    let meta = RequestMeta { ip_address: None, user_agent: Some("cron".into()), location: None };
    let event = AuditEvent::new("system.cleanup", &meta, now, rng)?
        .actor("system", "cleanup")
        .metadata(Value::Object(counts.clone()));
    store.record(&event).await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::{SqlArg, SystemRandom};
    use crate::engine::test_support::{alice, config_with};
    use crate::native::SqliteStore;

    const NOW: UnixTime = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn count(store: &SqliteStore, table: &str) -> usize {
        store.rows(&format!("SELECT * FROM {table}"), &[]).len()
    }

    #[test]
    fn expired_rows_go_live_ones_stay_and_the_run_is_audited_with_counts() {
        let store = SqliteStore::open_in_memory().unwrap();
        store.insert_user(&alice()).unwrap();
        let user = alice().id;
        let config = config_with(|v| {
            v.insert("OUTBOX_RETENTION_DAYS", "30".into());
            v.insert("AUDIT_LOG_RETENTION_DAYS", "90".into());
        });
        let run_sql = |sql: &str, args: Vec<SqlArg>| {
            pollster::block_on(store.execute(sql, &args)).unwrap();
        };
        // (expired, live) pairs per table.
        for (id, expires) in [("old", NOW - 2 * DAY), ("new", NOW - 60)] {
            run_sql(
                "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, auth_time, \
                 created_at, expires_at) VALUES (?1, 'c', ?2, 'https://a/cb', 'openid', 0, 0, ?3)",
                vec![id.into(), user.as_str().into(), expires.into()],
            );
        }
        for (id, expires) in [("old", NOW - 1), ("new", NOW + 600)] {
            run_sql(
                "INSERT INTO device_codes (device_code_hash, user_code_hash, client_id, scope, status, poll_interval, \
                 created_at, expires_at) VALUES (?1, ?1, 'c', 'openid', 'pending', 5, 0, ?2)",
                vec![id.into(), expires.into()],
            );
            run_sql(
                "INSERT INTO refresh_tokens (token_hash, family_id, client_id, scope, created_at, expires_at, rotated_at, \
                 successor_sealed) VALUES (?1, 'f', 'c', 'openid', 0, ?2, ?3, 'sealed')",
                vec![id.into(), expires.into(), (NOW - 3600).into()],
            );
            run_sql(
                "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) VALUES (?1, ?2, 0)",
                vec![id.into(), expires.into()],
            );
            run_sql(
                "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, expires_at) \
                 VALUES (?1, 'password_reset', ?2, 'a@x', 0, ?3)",
                vec![id.into(), user.as_str().into(), expires.into()],
            );
        }
        // Past its lifetime, idle too long, live (IDLE_TIMEOUT_MINUTES=30 in the dev values).
        for (id, last_seen, expires) in
            [("aged", NOW - 60, NOW - 1), ("idle", NOW - 31 * 60, NOW + DAY), ("live", NOW - 60, NOW + DAY)]
        {
            run_sql(
                "INSERT INTO sessions (id_hash, user_id, auth_time, created_at, last_seen_at, expires_at) \
                 VALUES (?1, ?2, 0, 0, ?3, ?4)",
                vec![id.into(), user.as_str().into(), last_seen.into(), expires.into()],
            );
        }
        for (id, created) in [("old", NOW - 31 * DAY), ("new", NOW - 29 * DAY)] {
            run_sql(
                "INSERT INTO mail_outbox (id, template, to_address, subject, text_body, html_body, status, created_at) \
                 VALUES (?1, 'welcome', 'a@x', 's', 't', 'h', 'logged', ?2)",
                vec![id.into(), created.into()],
            );
        }
        for (id, at) in [("old", NOW - 91 * DAY), ("new", NOW - 89 * DAY)] {
            run_sql("INSERT INTO audit_log (id, timestamp, event) VALUES (?1, ?2, 'x')", vec![id.into(), at.into()]);
        }
        let counts = pollster::block_on(run(&store, &SystemRandom, &config, NOW)).unwrap();
        for table in ["authorization_codes", "device_codes", "refresh_tokens", "revoked_access_tokens", "email_tokens"]
        {
            assert_eq!(counts[table], 1, "{table}");
            assert_eq!(count(&store, table), 1, "{table}: the live row stays");
        }
        assert_eq!((counts["mail_outbox"].clone(), counts["audit_log"].clone()), (json!(1), json!(1)));
        assert_eq!(count(&store, "mail_outbox"), 1);
        assert_eq!((counts["sessions"].clone(), counts["idle_sessions"].clone()), (json!(1), json!(1)));
        assert_eq!(store.rows("SELECT id_hash FROM sessions", &[])[0]["id_hash"], "live");
        // The live refresh token was rotated an hour ago, past the grace period: its sealed
        // successor is erased, the row stays.
        assert_eq!(counts["refresh_successors"], 1);
        let left = store.rows("SELECT successor_sealed FROM refresh_tokens", &[]);
        assert_eq!(left[0]["successor_sealed"], Value::Null);
        let audit = store.audit_events().unwrap();
        let entry = audit.iter().find(|e| e["event"] == "system.cleanup").unwrap();
        assert_eq!(entry["actor_type"], "system");
        let details: Value = serde_json::from_str(entry["metadata"].as_str().unwrap()).unwrap();
        assert_eq!(details["device_codes"], 1);
        // A second run finds nothing more.
        let again = pollster::block_on(run(&store, &SystemRandom, &config, NOW)).unwrap();
        assert!(again.values().all(|n| n == 0), "{again:?}");
    }
}
