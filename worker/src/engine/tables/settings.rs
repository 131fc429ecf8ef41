//! The `settings` table (migrations/0012): a run-time setting an admin changed, which
//! overrides the var of that name; its row type and every statement on it.

use serde::Deserialize;

use crate::engine::platform::ports::{Statement, UnixTime};

const OVERRIDES_SQL: &str = "SELECT name, value, updated_at, updated_by FROM settings ORDER BY name";
const UPSERT_SQL: &str = "INSERT INTO settings (name, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
updated_by = excluded.updated_by";
const DELETE_SQL: &str = "DELETE FROM settings WHERE name = ?1";

/// A `settings` row.
#[derive(Debug, Clone, Deserialize)]
pub struct OverrideRow {
    pub name: String,
    pub value: String,
    pub updated_at: f64,
    pub updated_by: Option<String>,
}

/// Every stored override, by name ([`OverrideRow`]).
pub fn all() -> Statement<'static> {
    (OVERRIDES_SQL, vec![])
}

/// Sets an override (`updated_by`: the admin's id).
pub fn upsert(name: &str, value: &str, now: UnixTime, updated_by: &str) -> Statement<'static> {
    (UPSERT_SQL, vec![name.into(), value.into(), now.into(), updated_by.into()])
}

/// Drops an override: the var applies again.
pub fn delete(name: &str) -> Statement<'static> {
    (DELETE_SQL, vec![name.into()])
}
