//! `GET /health`: does the configuration parse, is D1 reachable and migrated, is KV
//! reachable. A load balancer or uptime check gets 503 when any of them fails.

use shared::api::{CheckState, HealthChecks, HealthReport};

use crate::engine::platform::error::{ConfigError, InternalError};
use crate::engine::platform::ports::{KeyStore, KeyValue};

/// The report, and for the log what failed (never sent to the caller).
pub struct HealthOutcome {
    pub report: HealthReport,
    pub problems: Vec<String>,
}

/// A key that is never written: reading it proves the KV binding answers without spending
/// KV's write quota (1 write per second per key) on health probes.
const KV_PROBE_KEY: &str = "health:probe";

/// Each dependency arrives as the binding or the error met when opening it: a missing
/// binding is a broken deployment and is reported like a failed check.
pub async fn check<S: KeyStore, K: KeyValue>(
    config: Result<(), &ConfigError>,
    db: Result<&S, InternalError>,
    kv: Result<&K, InternalError>,
) -> HealthOutcome {
    let mut problems = Vec::new();
    let mut state = |name: &str, result: Result<(), String>| match result {
        Ok(()) => CheckState::Ok,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            CheckState::Down
        }
    };
    let config = state("config", config.map_err(|e| e.to_string()));
    let d1 = match db {
        Ok(db) => db.ping().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let d1 = state("d1", d1);
    let kv = match kv {
        Ok(kv) => kv.get(KV_PROBE_KEY).await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let kv = state("kv", kv);
    HealthOutcome { report: HealthReport::from_checks(HealthChecks { config, d1, kv }), problems }
}

#[cfg(test)]
mod tests {
    use shared::api::HealthStatus;

    use super::*;
    use crate::engine::test_support::DownKv;
    use crate::native::{MemoryKv, SqliteStore};

    #[test]
    fn healthy_when_the_migrated_database_and_kv_answer() {
        let db = SqliteStore::open_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), Ok(&db), Ok(&MemoryKv::default())));
        assert_eq!(outcome.report.status, HealthStatus::Ok);
        assert!(outcome.problems.is_empty());
    }

    #[test]
    fn unmigrated_database_is_reported_down() {
        let db = SqliteStore::open_unmigrated_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), Ok(&db), Ok(&MemoryKv::default())));
        assert_eq!(outcome.report.status, HealthStatus::Unavailable);
        assert_eq!(outcome.report.checks.d1, CheckState::Down);
        assert_eq!(outcome.report.checks.kv, CheckState::Ok);
    }

    #[test]
    fn kv_failure_names_kv_and_keeps_the_detail_for_the_log() {
        let db = SqliteStore::open_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), Ok(&db), Ok(&DownKv)));
        assert_eq!(outcome.report.checks.kv, CheckState::Down);
        assert_eq!(outcome.report.checks.d1, CheckState::Ok);
        assert!(outcome.problems[0].contains("KV binding unavailable"));
    }

    #[test]
    fn a_missing_binding_is_reported_down() {
        let db = SqliteStore::open_in_memory().unwrap();
        let outcome =
            pollster::block_on(check::<_, MemoryKv>(Ok(()), Ok(&db), Err(InternalError::new("binding KV: undefined"))));
        assert_eq!(outcome.report.checks.kv, CheckState::Down);
        assert_eq!(outcome.report.status, HealthStatus::Unavailable);
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;
    use crate::native::{MemoryKv, SqliteStore};

    #[test]
    fn a_broken_configuration_makes_health_fail_and_names_the_variable_for_the_log() {
        let db = SqliteStore::open_in_memory().unwrap();
        let bad = ConfigError { variable: "ACCESS_TOKEN_TTL", problem: "must be a whole number > 0".into() };
        let outcome = pollster::block_on(check(Err(&bad), Ok(&db), Ok(&MemoryKv::default())));
        assert_eq!(outcome.report.checks.config, CheckState::Down);
        assert_eq!(outcome.report.status, shared::api::HealthStatus::Unavailable);
        assert!(outcome.problems[0].contains("ACCESS_TOKEN_TTL"));
    }
}
