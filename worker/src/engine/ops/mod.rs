//! Running the server: health checks, the audit log and the scheduled cleanup.

pub mod audit;
pub mod audit_log;
pub mod cleanup;
pub mod health;
