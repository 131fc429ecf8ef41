//! The `mfa_backup_codes` table (migrations/0014): ten single-use backup codes per user,
//! each an HMAC under `SECRET_KEY`; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

/// Spends a code once (a conditional UPDATE). ?1 user, ?2 code hash, ?3 now.
const SPEND_SQL: &str =
    "UPDATE mfa_backup_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL";
const DELETE_OF_USER_SQL: &str = "DELETE FROM mfa_backup_codes WHERE user_id = ?1";
const INSERT_SQL: &str = "INSERT INTO mfa_backup_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3)";

pub fn spend(user_id: &str, code_hash: &str, now: UnixTime) -> Statement<'static> {
    (SPEND_SQL, vec![user_id.into(), code_hash.into(), now.into()])
}

pub fn delete_of_user(user_id: &str) -> Statement<'static> {
    (DELETE_OF_USER_SQL, vec![user_id.into()])
}

pub fn insert(user_id: &str, code_hash: &str, now: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![user_id.into(), code_hash.into(), now.into()])
}
