//! `GET /health`: does the configuration parse, is D1 reachable and migrated, is KV
//! reachable. A load balancer or uptime check gets 503 when any of them fails.

use shared::api::{CheckState, HealthChecks, HealthReport};

use super::error::ConfigError;
use super::ports::{KeyStore, KeyValue};

/// The report, and for the log what failed (never sent to the caller).
pub struct HealthOutcome {
    pub report: HealthReport,
    pub problems: Vec<String>,
}

/// A key that is never written: reading it proves the KV binding answers without spending
/// KV's write quota (1 write per second per key) on health probes.
const KV_PROBE_KEY: &str = "health:probe";

pub async fn check(config: Result<(), &ConfigError>, db: &impl KeyStore, kv: &impl KeyValue) -> HealthOutcome {
    let mut problems = Vec::new();
    let config = match config {
        Ok(()) => CheckState::Ok,
        Err(e) => {
            problems.push(e.to_string());
            CheckState::Down
        }
    };
    let d1 = match db.ping().await {
        Ok(()) => CheckState::Ok,
        Err(e) => {
            problems.push(format!("d1: {e}"));
            CheckState::Down
        }
    };
    let kv = match kv.get(KV_PROBE_KEY).await {
        Ok(_) => CheckState::Ok,
        Err(e) => {
            problems.push(format!("kv: {e}"));
            CheckState::Down
        }
    };
    HealthOutcome { report: HealthReport::from_checks(HealthChecks { config, d1, kv }), problems }
}

#[cfg(test)]
mod tests {
    use shared::api::HealthStatus;

    use super::*;
    use crate::engine::error::InternalError;
    use crate::native::{MemoryKv, SqliteStore};

    struct DownKv;
    impl KeyValue for DownKv {
        async fn get(&self, _key: &str) -> Result<Option<String>, InternalError> {
            Err(InternalError::new("KV binding unavailable"))
        }
    }

    #[test]
    fn healthy_when_the_migrated_database_and_kv_answer() {
        let db = SqliteStore::open_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), &db, &MemoryKv::default()));
        assert_eq!(outcome.report.status, HealthStatus::Ok);
        assert!(outcome.problems.is_empty());
    }

    #[test]
    fn unmigrated_database_is_reported_down() {
        let db = SqliteStore::open_unmigrated_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), &db, &MemoryKv::default()));
        assert_eq!(outcome.report.status, HealthStatus::Unavailable);
        assert_eq!(outcome.report.checks.d1, CheckState::Down);
        assert_eq!(outcome.report.checks.kv, CheckState::Ok);
    }

    #[test]
    fn kv_failure_names_kv_and_keeps_the_detail_for_the_log() {
        let db = SqliteStore::open_in_memory().unwrap();
        let outcome = pollster::block_on(check(Ok(()), &db, &DownKv));
        assert_eq!(outcome.report.checks.kv, CheckState::Down);
        assert_eq!(outcome.report.checks.d1, CheckState::Ok);
        assert!(outcome.problems[0].contains("KV binding unavailable"));
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
        let outcome = pollster::block_on(check(Err(&bad), &db, &MemoryKv::default()));
        assert_eq!(outcome.report.checks.config, CheckState::Down);
        assert_eq!(outcome.report.status, shared::api::HealthStatus::Unavailable);
        assert!(outcome.problems[0].contains("ACCESS_TOKEN_TTL"));
    }
}
