//! Running the server: health checks and the audit log.

pub mod audit;
pub mod health;
