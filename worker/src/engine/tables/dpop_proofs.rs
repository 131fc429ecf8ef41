//! The `dpop_proofs` table (migrations/0028): the `jti` of each DPoP proof accepted, per
//! key, while the proof's `iat` would still be accepted (RFC 9449 §11.1: once).

use crate::engine::platform::ports::{Statement, UnixTime};

/// ?1 key thumbprint, ?2 SHA-256 of the jti, ?3 until when: the row it recorded, the first
/// time only (none for a replay).
const RECORD_RETURNING_SQL: &str = "INSERT INTO dpop_proofs (jkt, jti_hash, expires_at) VALUES (?1, ?2, ?3) \
ON CONFLICT DO NOTHING RETURNING jti_hash";

/// Records a proof's jti, returning a row the first time only.
pub fn record_returning(jkt: &str, jti_hash: &str, expires_at: UnixTime) -> Statement<'static> {
    (RECORD_RETURNING_SQL, vec![jkt.into(), jti_hash.into(), expires_at.into()])
}

/// A grant's guarded write in the batch that then spends a DPoP proof's `jti`: true
/// while the proof (key `$jkt`, jti hash `$jti`; both NULL without one) is unspent.
macro_rules! unspent_proof {
    ($jkt:literal, $jti:literal) => {
        concat!("NOT EXISTS (SELECT 1 FROM dpop_proofs d WHERE d.jkt = ", $jkt, " AND d.jti_hash = ", $jti, ")")
    };
}
pub(crate) use unspent_proof;

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM dpop_proofs WHERE rowid IN (SELECT rowid FROM dpop_proofs WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` proofs no longer within their window.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
