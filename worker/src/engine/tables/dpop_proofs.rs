//! The `dpop_proofs` table (migrations/0028): the `jti` of each DPoP proof accepted, per
//! key, while the proof's `iat` would still be accepted (RFC 9449 §11.1: once).

use crate::engine::platform::ports::{Statement, UnixTime};

/// ?1 key thumbprint, ?2 SHA-256 of the jti, ?3 until when. One row the first time.
const RECORD_SQL: &str =
    "INSERT INTO dpop_proofs (jkt, jti_hash, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";

/// Records a proof's jti: 1 row changed the first time, 0 for a replay.
pub fn record(jkt: &str, jti_hash: &str, expires_at: UnixTime) -> Statement<'static> {
    (RECORD_SQL, vec![jkt.into(), jti_hash.into(), expires_at.into()])
}

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM dpop_proofs WHERE rowid IN (SELECT rowid FROM dpop_proofs WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` proofs no longer within their window.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
