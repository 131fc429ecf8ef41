//! The `metric_counters` table (migrations/0011): one Prometheus counter series and its
//! total; every statement on it.

use serde::Deserialize;

use crate::engine::platform::ports::{Statement, UnixTime};

const ADD_SQL: &str = "INSERT INTO metric_counters (name, labels, value, updated_at) VALUES (?1, ?2, ?3, ?4) \
ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value, updated_at = excluded.updated_at";
const ALL_SQL: &str = "SELECT name, labels, value FROM metric_counters ORDER BY name, labels";

/// A `metric_counters` row.
#[derive(Deserialize)]
pub struct CounterRow {
    pub name: String,
    pub labels: String,
    pub value: f64,
}

/// Adds `n` to a series (created at 0 first).
pub fn add(name: &str, labels: &str, n: i64, now: UnixTime) -> Statement<'static> {
    (ADD_SQL, vec![name.into(), labels.into(), n.into(), now.into()])
}

/// Every series ([`CounterRow`]), by name and labels.
pub fn all() -> Statement<'static> {
    (ALL_SQL, vec![])
}
