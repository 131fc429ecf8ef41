//! The `client_token_cutoffs` table (migrations/0002, 0019): "tokens of this client issued
//! at or before T are revoked". Access tokens are JWTs: issued at or before the cut-off
//! they are refused by introspection and UserInfo (`tables::revoked_access_tokens`).

use crate::engine::platform::ports::{Statement, UnixMillis, UnixTime};

/// ?2 seconds, ?3 the same instant in milliseconds, which the comparison uses.
const CUT_SQL: &str = "INSERT INTO client_token_cutoffs (client_id, revoked_before, revoked_before_ms) \
VALUES (?1, ?2, ?3) ON CONFLICT (client_id) DO UPDATE SET revoked_before = excluded.revoked_before, \
revoked_before_ms = excluded.revoked_before_ms";

/// Revokes every token the client holds that was issued at or before `now_ms`.
pub fn cut(client_id: &str, now: UnixTime, now_ms: UnixMillis) -> Statement<'static> {
    (CUT_SQL, vec![client_id.into(), now.into(), now_ms.into()])
}
