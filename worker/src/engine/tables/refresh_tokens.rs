//! The `refresh_tokens` table (migrations/0002, 0008, 0014): one row per refresh token,
//! a rotation linking parent and successor in one family; every statement on it and
//! [`RefreshStore`] over the one SQL port.

use serde::Deserialize;

use crate::engine::identity::users::User;
use crate::engine::oauth::codes::OneTripRedemption;
use crate::engine::oauth::refresh::Rotation;
use crate::engine::oauth::refresh::{HolderFacts, RefreshStore, RefreshToken};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlArg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::clients::{client_gate, gate_args};
use crate::engine::tables::dpop_proofs::unspent_proof;
use crate::engine::tables::resources::{granted, granted_resources, stored_identifiers};
use crate::engine::tables::sessions::bulk_filter;
use crate::engine::tables::users::{decode_user_json, user_json};

/// A refresh token with its user, so the refresh grant reads both in one statement. ?1 hash.
const REFRESH_WITH_USER_SQL: &str = concat!(
    "SELECT r.token_hash, r.family_id, r.parent_hash, r.client_id, r.user_id, r.scope, r.auth_time, r.amr, r.session_id, ",
    "r.created_at, r.expires_at, r.family_expires_at, r.rotated_at, r.successor_hash, r.successor_sealed, ",
    "r.revoked_at, r.dpop_jkt, COALESCE(u.password_changed_at, u.created_at) AS password_changed_at, u.mfa_asked_at, ",
    "(SELECT s.rotated_at IS NULL AND s.revoked_at IS NULL FROM refresh_tokens s WHERE s.token_hash = r.successor_hash) ",
    "AS successor_unused, ",
    granted_resources!("r"),
    ", ",
    user_json!(),
    " FROM refresh_tokens r LEFT JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?1"
);

const INSERT_REFRESH_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr, resources, dpop_jkt) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// Step 1 of a rotation: claim the parent, once. ?1 parent, ?2 successor hash, ?3 sealed, ?4 now.
const ROTATE_PARENT_SQL: &str = "UPDATE refresh_tokens SET rotated_at = ?4, successor_hash = ?2, \
successor_sealed = ?3 WHERE token_hash = ?1 AND rotated_at IS NULL AND revoked_at IS NULL";

/// Step 2, in the same batch: insert the successor only if step 1 claimed the parent for it.
/// ?1..?14 as INSERT_REFRESH_SQL; ?3 is the parent.
const INSERT_SUCCESSOR_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr, resources, dpop_jkt) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 WHERE EXISTS (SELECT 1 FROM refresh_tokens WHERE token_hash = ?3 AND successor_hash = ?1)";

/// A rotation in the batch that reads the token ([`rotation_in_one_trip`]): claims the
/// parent only for a token that is live, the client's, bound to the request's DPoP key if
/// bound at all, of an active user, wider than the requested scope, and only for a client
/// the guard accepts whose tokens rotate (`rotates`: not FAPI 2.0; public, or its own
/// setting, else `REFRESH_TOKEN_ROTATION`). ?1 parent, ?2 successor hash, ?3 sealed, ?4 now,
/// ?5 the DPoP thumbprint, ?6 the requested scopes (JSON array), ?7 the rotation default,
/// ?8..?12 the guard (`tables::clients::gate_args`), ?13 and ?14 the DPoP proof the batch
/// then spends (key, jti hash; NULL without one), which must be unspent. Returns the
/// parent's hash if claimed.
const ROTATE_GUARDED_SQL: &str = concat!(
    "UPDATE refresh_tokens SET rotated_at = ?4, successor_hash = ?2, successor_sealed = ?3 WHERE token_hash = ?1 ",
    "AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?4 AND client_id = ?8 ",
    "AND (dpop_jkt IS NULL OR dpop_jkt = ?5) ",
    "AND NOT EXISTS (SELECT 1 FROM json_each(?6) q WHERE instr(' ' || refresh_tokens.scope || ' ', ' ' || q.value || ' ') = 0) ",
    "AND EXISTS (SELECT 1 FROM users u WHERE u.id = refresh_tokens.user_id AND u.active = 1) AND ",
    client_gate!("?8", "?9", "?10", "?11", "?12", "?4", "refresh_token"),
    " AND EXISTS (SELECT 1 FROM clients k WHERE k.client_id = ?8 AND COALESCE(k.security_profile, '') <> 'fapi2' ",
    "AND (k.client_type = 'public' OR COALESCE(k.refresh_token_rotation, ?7) = 1)) AND ",
    unspent_proof!("?13", "?14"),
    " RETURNING token_hash"
);

/// The successor of a guarded rotation, copied from its parent (same family, scope,
/// grant, binding; `mint`'s lifetime: the client's `refresh_token_ttl` or ?4, cut at the
/// family's end), only if ?2 is the parent's successor. ?1 parent, ?2 successor, ?3 now.
const INSERT_SUCCESSOR_FROM_PARENT_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, \
client_id, user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr, resources, dpop_jkt) \
SELECT ?2, p.family_id, p.token_hash, p.client_id, p.user_id, p.scope, p.auth_time, ?3, \
MIN(?3 + COALESCE(c.refresh_token_ttl, ?4), COALESCE(p.family_expires_at, ?3 + COALESCE(c.refresh_token_ttl, ?4))), \
p.session_id, p.family_expires_at, p.amr, p.resources, p.dpop_jkt FROM refresh_tokens p \
JOIN clients c ON c.client_id = p.client_id WHERE p.token_hash = ?1 AND p.successor_hash = ?2";

/// Undoes a guarded rotation that Rust then refused (docs/storage.md, "One trip per
/// grant"), unless its successor was used meanwhile. ?1 parent, ?2 successor.
const UNDO_ROTATION_SQL: &str = "UPDATE refresh_tokens SET rotated_at = NULL, successor_hash = NULL, \
successor_sealed = NULL WHERE token_hash = ?1 AND successor_hash = ?2 AND EXISTS (SELECT 1 FROM refresh_tokens s \
WHERE s.token_hash = ?2 AND s.rotated_at IS NULL AND s.revoked_at IS NULL)";

/// Then the successor, if the undo above took place. ?1 parent, ?2 successor.
const DELETE_UNDONE_SUCCESSOR_SQL: &str = "DELETE FROM refresh_tokens WHERE token_hash = ?2 AND parent_hash = ?1 \
AND NOT EXISTS (SELECT 1 FROM refresh_tokens p WHERE p.token_hash = ?1 AND p.successor_hash = ?2)";

const REVOKE_FAMILY_SQL: &str =
    "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL WHERE family_id = ?1 AND revoked_at IS NULL";

/// A `refresh_tokens` row, with the `users` row [`user_json`] joins to it.
#[derive(Debug, Deserialize)]
struct RefreshRow {
    token_hash: String,
    family_id: String,
    parent_hash: Option<String>,
    client_id: String,
    user_id: Option<String>,
    scope: String,
    auth_time: Option<f64>,
    #[serde(default)]
    amr: Option<String>,
    session_id: Option<String>,
    created_at: f64,
    expires_at: f64,
    family_expires_at: Option<f64>,
    rotated_at: Option<f64>,
    successor_hash: Option<String>,
    successor_sealed: Option<String>,
    revoked_at: Option<f64>,
    #[serde(default)]
    password_changed_at: Option<f64>,
    #[serde(default)]
    mfa_asked_at: Option<f64>,
    #[serde(default)]
    successor_unused: Option<f64>,
    #[serde(default)]
    resources: Option<String>,
    #[serde(default)]
    registered_resources: Option<String>,
    #[serde(default)]
    dpop_jkt: Option<String>,
    user_json: Option<String>,
}

impl RefreshRow {
    fn decode(self) -> Result<(RefreshToken, Option<User>), InternalError> {
        let user = decode_user_json(self.user_json)?;
        let token = RefreshToken {
            token_hash: self.token_hash,
            family_id: self.family_id,
            parent_hash: self.parent_hash,
            client_id: self.client_id,
            user_id: self.user_id,
            scope: self.scope,
            auth_time: self.auth_time.map(int),
            amr: self.amr,
            session_id: self.session_id,
            created_at: int(self.created_at),
            expires_at: int(self.expires_at),
            family_expires_at: self.family_expires_at.map(int),
            rotated_at: self.rotated_at.map(int),
            successor_hash: self.successor_hash,
            successor_sealed: self.successor_sealed,
            successor_unused: self.successor_unused.is_some_and(|u| u != 0.0),
            revoked_at: self.revoked_at.map(int),
            resources: granted(self.resources.as_deref(), self.registered_resources.as_deref())?,
            dpop_jkt: self.dpop_jkt,
            holder: HolderFacts {
                password_changed_at: self.password_changed_at.map(int),
                mfa_asked_at: self.mfa_asked_at.map(int),
            },
        };
        Ok((token, user))
    }
}

pub fn decode_with_user(rows: Vec<serde_json::Value>) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
    first_row::<RefreshRow>(rows)?.map(RefreshRow::decode).transpose()
}

fn refresh_args(t: &RefreshToken, parent: Option<&str>) -> Vec<SqlArg> {
    vec![
        (&t.token_hash).into(),
        (&t.family_id).into(),
        parent.or(t.parent_hash.as_deref()).into(),
        (&t.client_id).into(),
        t.user_id.as_deref().into(),
        (&t.scope).into(),
        t.auth_time.into(),
        t.created_at.into(),
        t.expires_at.into(),
        t.session_id.as_deref().into(),
        t.family_expires_at.into(),
        t.amr.as_deref().into(),
        stored_identifiers(&t.resources.identifiers).as_deref().into(),
        t.dpop_jkt.as_deref().into(),
    ]
}

/// In the same batch: the refresh token, only if the consume above was this request's.
/// ?1..?14 as INSERT_REFRESH_SQL, ?15 code hash, ?16 the jti the consume recorded.
const INSERT_REFRESH_FOR_CODE_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, \
client_id, user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr, resources, \
dpop_jkt) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 \
WHERE EXISTS (SELECT 1 FROM authorization_codes WHERE code_hash = ?15 AND issued_jti = ?16)";

/// The two statements of a guarded rotation, for the batch that reads the token after
/// reading it: the claim (returning a row if it landed), then the successor.
pub fn rotation_in_one_trip(r: &Rotation) -> [Statement<'static>; 2] {
    let mut claim: Vec<SqlArg> = vec![
        (&r.parent_hash).into(),
        (&r.successor_hash).into(),
        (&r.successor_sealed).into(),
        r.now.into(),
        r.dpop_jkt.as_deref().into(),
        (&r.scopes_json).into(),
        r.rotation_default.into(),
    ];
    claim.extend(gate_args(&r.gate));
    claim.push(r.proof.as_ref().map(|p| p.jkt.as_str()).into());
    claim.push(r.proof.as_ref().map(|p| p.jti_hash.as_str()).into());
    let insert = vec![(&r.parent_hash).into(), (&r.successor_hash).into(), r.now.into(), r.refresh_ttl_default.into()];
    [(ROTATE_GUARDED_SQL, claim), (INSERT_SUCCESSOR_FROM_PARENT_SQL, insert)]
}

/// Undoes a guarded rotation ([`UNDO_ROTATION_SQL`]), as one batch.
pub fn undo_rotation(parent_hash: &str, successor_hash: &str) -> [Statement<'static>; 2] {
    let args = || vec![parent_hash.into(), successor_hash.into()];
    [(UNDO_ROTATION_SQL, args()), (DELETE_UNDONE_SUCCESSOR_SQL, args())]
}

/// The refresh token of a guarded redemption (`tables::authorization_codes`), stored
/// only if that consume landed and `issues_refresh_tokens` holds in SQL: the code's scope
/// has `offline_access`, the client may use the refresh grant and its lifetime is not 0.
/// Copied from the code as `mint` would: a new family ?5, its end ?7 seconds on (0:
/// none), bound to ?8 for a public or FAPI 2.0 client. ?1 code hash, ?2 now, ?3 jti,
/// ?4 token hash, ?6 REFRESH_TOKEN_TTL.
const INSERT_FOR_GUARDED_CODE_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, \
client_id, user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr, resources, \
dpop_jkt) SELECT ?4, ?5, NULL, a.client_id, a.user_id, a.scope, a.auth_time, ?2, CASE WHEN ?7 > 0 \
THEN MIN(?2 + COALESCE(c.refresh_token_ttl, ?6), ?2 + ?7) ELSE ?2 + COALESCE(c.refresh_token_ttl, ?6) END, \
a.session_id, CASE WHEN ?7 > 0 THEN ?2 + ?7 END, a.amr, NULL, CASE WHEN c.client_type = 'public' \
OR c.security_profile = 'fapi2' THEN ?8 END FROM authorization_codes a JOIN clients c ON c.client_id = a.client_id \
WHERE a.code_hash = ?1 AND a.issued_jti = ?3 AND a.consumed_at = ?2 \
AND instr(' ' || a.scope || ' ', ' offline_access ') > 0 \
AND EXISTS (SELECT 1 FROM json_each(c.grant_types) g WHERE g.value = 'refresh_token') \
AND COALESCE(c.refresh_token_ttl, ?6) > 0 RETURNING token_hash";

/// See [`INSERT_FOR_GUARDED_CODE_SQL`].
pub fn insert_for_guarded_code(r: &OneTripRedemption) -> Statement<'static> {
    let args = vec![
        (&r.code_hash).into(),
        r.now.into(),
        (&r.jti).into(),
        (&r.refresh_hash).into(),
        (&r.family_id).into(),
        r.refresh_ttl_default.into(),
        r.max_lifetime.into(),
        r.dpop_jkt.as_deref().into(),
    ];
    (INSERT_FOR_GUARDED_CODE_SQL, args)
}

const DELETE_ONE_SQL: &str = "DELETE FROM refresh_tokens WHERE token_hash = ?1";

/// Deletes one token that was never handed out (an undone redemption's).
pub fn delete_one(token_hash: &str) -> Statement<'static> {
    (DELETE_ONE_SQL, vec![token_hash.into()])
}

/// A refresh token with its user, for batching with another read. ?1 hash.
pub fn with_user(token_hash: &str) -> Statement<'static> {
    (REFRESH_WITH_USER_SQL, vec![token_hash.into()])
}

/// The refresh token a code grant issues, in the batch that consumes the code: stored only
/// if that consume was this request's (it recorded `jti`).
pub fn insert_for_code(t: &RefreshToken, code_hash: &str, jti: &str) -> Statement<'static> {
    let mut args = refresh_args(t, None);
    args.push(code_hash.into());
    args.push(jti.into());
    (INSERT_REFRESH_FOR_CODE_SQL, args)
}

/// The refresh tokens issued in one session (their codes carried its id): ?1 now, ?2 its
/// id hash.
// By the session's user first: `user_id` is indexed and `session_id` is not, so a sign-out
// reads that user's tokens, not the whole table (docs/scaling.md, "What a request costs").
const REVOKE_OF_SESSION_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?1, successor_sealed = NULL \
WHERE user_id = ?3 AND session_id = ?2 AND revoked_at IS NULL";

/// The refresh tokens issued in the sessions a bulk end is about to end: ?1 now, then the
/// bulk filter's arguments (`tables::sessions::bulk_args`).
const REVOKE_OF_BULK_SESSIONS_SQL: &str = concat!(
    "UPDATE refresh_tokens SET revoked_at = ?1, successor_sealed = NULL WHERE revoked_at IS NULL ",
    "AND session_id IN (SELECT id_hash FROM sessions WHERE ",
    bulk_filter!(),
    ")"
);

const REVOKE_OF_USER_AND_CLIENT_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?3, successor_sealed = NULL \
WHERE user_id = ?1 AND client_id = ?2 AND revoked_at IS NULL";
const REVOKE_OF_USER_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE user_id = ?1 AND revoked_at IS NULL";

/// Revokes the refresh tokens a client holds for a user (consent withdrawn).
pub fn revoke_of_user_and_client(user_id: &str, client_id: &str, now: UnixTime) -> Statement<'static> {
    (REVOKE_OF_USER_AND_CLIENT_SQL, vec![user_id.into(), client_id.into(), now.into()])
}

/// Revokes every refresh token of a user (a password reset or change).
pub fn revoke_of_user(user_id: &str, now: UnixTime) -> Statement<'static> {
    (REVOKE_OF_USER_SQL, vec![user_id.into(), now.into()])
}

const REVOKE_OF_CLIENT_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE client_id = ?1 AND revoked_at IS NULL";

/// Revokes every refresh token of a client (deleted, or its tokens revoked).
pub fn revoke_of_client(client_id: &str, now: UnixTime) -> Statement<'static> {
    (REVOKE_OF_CLIENT_SQL, vec![client_id.into(), now.into()])
}

/// Revokes the refresh tokens issued in one session of `user_id`.
pub fn revoke_of_session(id_hash: &str, user_id: &str, now: UnixTime) -> Statement<'static> {
    (REVOKE_OF_SESSION_SQL, vec![now.into(), id_hash.into(), user_id.into()])
}

/// Revokes the refresh tokens of the sessions a bulk end matches; `args` from
/// `tables::sessions::bulk_args`.
pub fn revoke_of_bulk_sessions(args: Vec<SqlArg>) -> Statement<'static> {
    (REVOKE_OF_BULK_SESSIONS_SQL, args)
}

/// Inserts a new token (its family's first), for a batch with other writes.
pub fn insert(token: &RefreshToken) -> Statement<'static> {
    (INSERT_REFRESH_SQL, refresh_args(token, None))
}

impl<T: SqlRunner> RefreshStore for T {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), InternalError> {
        self.exec(insert(token)).await.map(|_| ())
    }

    async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, InternalError> {
        Ok(self.refresh_token_with_user(token_hash).await?.map(|(token, _)| token))
    }

    async fn refresh_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
        decode_with_user(self.select(with_user(token_hash)).await?)
    }

    async fn rotate_refresh_token(
        &self,
        parent_hash: &str,
        successor: &RefreshToken,
        successor_sealed: &str,
        now: UnixTime,
    ) -> Result<bool, InternalError> {
        let claim = vec![parent_hash.into(), (&successor.token_hash).into(), successor_sealed.into(), now.into()];
        // One batch is one transaction: the claim and the insert land together or not at all.
        let changes = self
            .batch(&[(ROTATE_PARENT_SQL, claim), (INSERT_SUCCESSOR_SQL, refresh_args(successor, Some(parent_hash)))])
            .await?;
        Ok(changes.first() == Some(&1))
    }

    async fn undo_rotation(&self, parent_hash: &str, successor_hash: &str) -> Result<(), InternalError> {
        self.batch(&undo_rotation(parent_hash, successor_hash)).await.map(|_| ())
    }

    async fn revoke_refresh_family(&self, family_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        self.execute(REVOKE_FAMILY_SQL, &[family_id.into(), now.into()]).await
    }
}

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` refresh tokens past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}

// The table has no rowid (migration 0037): a batch is chosen by its key.
const FORGET_SUCCESSORS_SQL: &str = "UPDATE refresh_tokens SET successor_sealed = NULL WHERE token_hash IN \
(SELECT token_hash FROM refresh_tokens WHERE successor_sealed IS NOT NULL AND rotated_at < ?1 LIMIT ?2)";

/// Cleanup: forgets the sealed successors of up to `limit` tokens rotated before
/// `before` (the reuse grace period is over).
pub fn forget_successors(before: UnixTime, limit: i64) -> Statement<'static> {
    (FORGET_SUCCESSORS_SQL, vec![before.into(), limit.into()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::SqliteStore;

    /// The steps of the plan SQLite makes for `statement`, on the real schema.
    fn plan(store: &SqliteStore, (sql, args): Statement<'_>) -> String {
        let rows = store.rows(&format!("EXPLAIN QUERY PLAN {sql}"), &args);
        rows.iter().filter_map(|r| r["detail"].as_str()).collect::<Vec<_>>().join("; ")
    }

    /// Every write a person or a client causes reaches its rows by a key or an index: none
    /// reads the whole table, which at D1's prices and latency grows with every token
    /// ever issued (docs/scaling.md, "What a request costs").
    #[test]
    fn no_write_on_a_request_path_scans_the_table() {
        let store = SqliteStore::open_in_memory().unwrap();
        let cases: [(Statement<'_>, &str); 6] = [
            ((ROTATE_PARENT_SQL, vec!["h".into(), "s".into(), "x".into(), 1_i64.into()]), "PRIMARY KEY"),
            (delete_one("h"), "PRIMARY KEY"),
            ((REVOKE_FAMILY_SQL, vec!["f".into(), 1_i64.into()]), "INDEX refresh_tokens_family"),
            (revoke_of_session("s", "u", 1), "INDEX refresh_tokens_user"),
            (revoke_of_user("u", 1), "INDEX refresh_tokens_user"),
            (revoke_of_client("c", 1), "INDEX refresh_tokens_client"),
        ];
        for (statement, index) in cases {
            let sql = statement.0;
            let steps = plan(&store, statement);
            assert!(steps.contains(index) && !steps.contains("SCAN refresh_tokens"), "{sql}: {steps}");
        }
    }
}
