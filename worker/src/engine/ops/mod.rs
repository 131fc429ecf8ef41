//! Running the server: health checks, the audit log, the scheduled cleanup and metrics.

pub mod audit;
pub mod audit_log;
pub mod cleanup;
pub mod health;
pub mod metrics;
pub mod sign_in_stats;
