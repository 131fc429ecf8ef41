//! The `authorization_codes` table (migrations/0003, 0014, 0024, 0029): one row per authorization
//! code, what its redemption issued; every statement on it and [`CodeStore`] over the
//! one SQL port.

use serde::Deserialize;

use crate::engine::crypto::pkce::Method as PkceMethod;
use crate::engine::identity::users::User;
use crate::engine::oauth::codes::{AuthorizationCode, CodeStore, OneTripRedemption, Redemption};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlArg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::clients::{client_gate, gate_args};
use crate::engine::tables::dpop_proofs::unspent_proof;
use crate::engine::tables::resources::{granted, granted_resources, stored_identifiers};
use crate::engine::tables::users::{decode_user_json, user_json};
use crate::engine::tables::{clients, refresh_tokens};

const INSERT_CODE_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, \
scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at, amr, resources, \
dpop_jkt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// [`INSERT_CODE_SQL`] only while the code's user (?3) is active and its session (?9)
/// still exists: a code prepared before the read that confirms both (`/authorize` with a
/// live session, [`user_consent_and_code`]) is never stored for an ended session.
const INSERT_CODE_FOR_SESSION_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, \
redirect_uri, scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at, amr, \
resources, dpop_jkt) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15 WHERE EXISTS (SELECT 1 FROM users u \
WHERE u.id = ?3 AND u.active = 1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = ?9 AND s.user_id = ?3))";

/// A code prepared before the session was read (`oauth::authorize::live`): the user, the
/// session's auth time and methods are the session row's (?9, its id hash), stored only
/// while that row exists, its user is active and the client (?2) is registered. The
/// values of [`code_args`]; ?3, ?10 and ?13 are not used. Returns what it took from the
/// session.
const INSERT_CODE_FROM_SESSION_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, \
redirect_uri, scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at, amr, \
resources, dpop_jkt) SELECT ?1, ?2, s.user_id, ?4, ?5, ?6, ?7, ?8, s.id_hash, s.auth_time, ?11, ?12, s.amr, ?14, ?15 \
FROM sessions s JOIN users u ON u.id = s.user_id AND u.active = 1 WHERE s.id_hash = ?9 \
AND EXISTS (SELECT 1 FROM clients c WHERE c.client_id = ?2) \
RETURNING user_id, auth_time, amr";

/// Removes a prepared code that is not handed out (never redeemed: nobody has it). ?1 hash.
const DISCARD_CODE_SQL: &str = "DELETE FROM authorization_codes WHERE code_hash = ?1 AND consumed_at IS NULL";

/// A code with its user. ?1 code hash.
const CODE_WITH_USER_SQL: &str = concat!(
    "SELECT c.code_hash, c.client_id, c.user_id, c.redirect_uri, c.scope, c.nonce, c.code_challenge, ",
    "c.code_challenge_method, c.session_id, c.auth_time, c.amr, c.created_at, c.expires_at, c.consumed_at, ",
    "c.issued_jti, c.issued_jti_expires_at, c.issued_family_id, c.dpop_jkt, ",
    granted_resources!("c"),
    ", ",
    user_json!(),
    " FROM authorization_codes c LEFT JOIN users u ON u.id = c.user_id WHERE c.code_hash = ?1"
);

/// Redeems a code once (RFC 6749 §4.1.2 "MUST NOT be used more than once"): only the
/// statement that finds `consumed_at` NULL changes the row, and it records what it
/// issues. ?1 hash, ?2 now, ?3 jti, ?4 its expiry, ?5 refresh family or NULL.
const CONSUME_CODE_SQL: &str = "UPDATE authorization_codes SET consumed_at = ?2, issued_jti = ?3, \
issued_jti_expires_at = ?4, issued_family_id = ?5 WHERE code_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2";

/// A redemption in the batch that reads the code ([`redemption_in_one_trip`]): consumes
/// the code only if it is live, the client's, for this redirect URI, with the PKCE
/// verifier that matches (RFC 7636 §4.6), bound to the request's DPoP key if bound, names
/// no RFC 8707 resources (Rust resolves those), is of an active user, and only for a
/// client the guard accepts. It records the token it issues: the jti, its expiry (the
/// client's `access_token_ttl` or ?4), and the family its refresh token will have.
/// ?1 hash, ?2 now, ?3 jti, ?4 ACCESS_TOKEN_TTL, ?5 family, ?6 redirect_uri, ?7 the
/// verifier if well-formed, ?8 whether one was sent, ?9 its S256 challenge, ?10 the DPoP
/// thumbprint, ?11..?15 the guard (`tables::clients::gate_args`), ?16 and ?17 the DPoP
/// proof the batch then spends (key, jti hash; NULL without one), which must be unspent.
const CONSUME_GUARDED_SQL: &str = concat!(
    "UPDATE authorization_codes SET consumed_at = ?2, issued_jti = ?3, issued_jti_expires_at = ?2 + ",
    "COALESCE((SELECT k.access_token_ttl FROM clients k WHERE k.client_id = ?11), ?4), issued_family_id = ?5 ",
    "WHERE code_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2 AND client_id = ?11 AND redirect_uri = ?6 ",
    "AND ((code_challenge IS NULL AND ?8 = 0) OR (code_challenge_method = 'S256' AND code_challenge = ?9) ",
    "OR (COALESCE(code_challenge_method, 'plain') = 'plain' AND code_challenge = ?7)) ",
    "AND (dpop_jkt IS NULL OR dpop_jkt = ?10) AND (resources IS NULL OR resources = '[]') ",
    "AND EXISTS (SELECT 1 FROM users u WHERE u.id = authorization_codes.user_id AND u.active = 1) AND ",
    client_gate!("?11", "?12", "?13", "?14", "?15", "?2", "authorization_code"),
    " AND ",
    unspent_proof!("?16", "?17"),
    " RETURNING code_hash"
);

/// Undoes a guarded redemption that Rust then refused. ?1 hash, ?2 the jti it recorded.
const UNDO_CONSUME_SQL: &str = "UPDATE authorization_codes SET consumed_at = NULL, issued_jti = NULL, \
issued_jti_expires_at = NULL, issued_family_id = NULL WHERE code_hash = ?1 AND issued_jti = ?2";

/// An `authorization_codes` row, with the `users` row [`user_json`] joins to it.
#[derive(Debug, Deserialize)]
struct CodeRow {
    code_hash: String,
    client_id: String,
    user_id: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    session_id: Option<String>,
    auth_time: f64,
    #[serde(default)]
    amr: Option<String>,
    created_at: f64,
    expires_at: f64,
    consumed_at: Option<f64>,
    issued_jti: Option<String>,
    issued_jti_expires_at: Option<f64>,
    issued_family_id: Option<String>,
    #[serde(default)]
    resources: Option<String>,
    #[serde(default)]
    dpop_jkt: Option<String>,
    #[serde(default)]
    registered_resources: Option<String>,
    user_json: Option<String>,
}

impl CodeRow {
    fn decode(self) -> Result<(AuthorizationCode, Option<User>), InternalError> {
        let method = match self.code_challenge_method.as_deref() {
            None => None,
            Some(m) => {
                Some(PkceMethod::parse(m).ok_or_else(|| InternalError::new(format!("bad code_challenge_method {m}")))?)
            }
        };
        let code = AuthorizationCode {
            code_hash: self.code_hash,
            client_id: self.client_id,
            user_id: self.user_id,
            redirect_uri: self.redirect_uri,
            scope: self.scope,
            nonce: self.nonce,
            code_challenge: self.code_challenge,
            code_challenge_method: method,
            session_id: self.session_id,
            auth_time: int(self.auth_time),
            amr: self.amr,
            created_at: int(self.created_at),
            expires_at: int(self.expires_at),
            consumed_at: self.consumed_at.map(int),
            issued_jti: self.issued_jti,
            issued_jti_expires_at: self.issued_jti_expires_at.map(int),
            issued_family_id: self.issued_family_id,
            resources: granted(self.resources.as_deref(), self.registered_resources.as_deref())?,
            dpop_jkt: self.dpop_jkt,
        };
        Ok((code, decode_user_json(self.user_json)?))
    }
}

pub fn decode_with_user(
    rows: Vec<serde_json::Value>,
) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
    first_row::<CodeRow>(rows)?.map(CodeRow::decode).transpose()
}

/// The fifteen values of [`INSERT_CODE_SQL`] and [`INSERT_CODE_FOR_SESSION_SQL`].
fn code_args(c: &AuthorizationCode) -> Vec<SqlArg> {
    vec![
        (&c.code_hash).into(),
        (&c.client_id).into(),
        (&c.user_id).into(),
        (&c.redirect_uri).into(),
        (&c.scope).into(),
        c.nonce.as_deref().into(),
        c.code_challenge.as_deref().into(),
        c.code_challenge_method.map(|m| m.as_str()).into(),
        c.session_id.as_deref().into(),
        c.auth_time.into(),
        c.created_at.into(),
        c.expires_at.into(),
        c.amr.as_deref().into(),
        stored_identifiers(&c.resources.identifiers).as_deref().into(),
        c.dpop_jkt.as_deref().into(),
    ]
}

/// The statements of a guarded redemption, for the batch that reads the code after
/// reading it: the consume (returning a row if it landed), the refresh token (returning a
/// row if stored), and the self-registered client's use.
pub fn redemption_in_one_trip(r: &OneTripRedemption) -> [Statement<'static>; 3] {
    let mut consume: Vec<SqlArg> = vec![
        (&r.code_hash).into(),
        r.now.into(),
        (&r.jti).into(),
        r.access_ttl_default.into(),
        (&r.family_id).into(),
        r.redirect_uri.as_deref().into(),
        r.verifier.as_deref().into(),
        r.verifier_sent.into(),
        r.s256.as_deref().into(),
        r.dpop_jkt.as_deref().into(),
    ];
    consume.extend(gate_args(&r.gate));
    consume.push(r.proof.as_ref().map(|p| p.jkt.as_str()).into());
    consume.push(r.proof.as_ref().map(|p| p.jti_hash.as_str()).into());
    [
        (CONSUME_GUARDED_SQL, consume),
        refresh_tokens::insert_for_guarded_code(r),
        clients::touch_after_code(&r.gate.client_id, r.now, &r.code_hash, &r.jti),
    ]
}

/// Undoes a guarded redemption, with the refresh token it stored, as one batch.
pub fn undo_consume(r: &OneTripRedemption) -> [Statement<'static>; 2] {
    [(UNDO_CONSUME_SQL, vec![(&r.code_hash).into(), (&r.jti).into()]), refresh_tokens::delete_one(&r.refresh_hash)]
}

/// A code with its user, for batching with another read. ?1 hash.
pub fn with_user(code_hash: &str) -> Statement<'static> {
    (CODE_WITH_USER_SQL, vec![code_hash.into()])
}

/// [`INSERT_CODE_FOR_SESSION_SQL`] for `code`.
/// A new code ([`INSERT_CODE_SQL`]), for a batch.
pub fn insert(code: &AuthorizationCode) -> Statement<'static> {
    (INSERT_CODE_SQL, code_args(code))
}

pub fn insert_for_session(code: &AuthorizationCode) -> Statement<'static> {
    (INSERT_CODE_FOR_SESSION_SQL, code_args(code))
}

/// [`INSERT_CODE_FROM_SESSION_SQL`] for `code` (its `session_id` the session's hash).
pub fn insert_from_session(code: &AuthorizationCode) -> Statement<'static> {
    (INSERT_CODE_FROM_SESSION_SQL, code_args(code))
}

/// What a code stored by [`insert_from_session`] took from the session row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FromSession {
    pub user_id: String,
    pub auth_time: f64,
    pub amr: Option<String>,
}

pub fn decode_from_session(rows: Vec<serde_json::Value>) -> Result<Option<FromSession>, InternalError> {
    first_row::<FromSession>(rows)
}

impl<T: SqlRunner> CodeStore for T {
    async fn undo_consume(&self, redemption: &OneTripRedemption) -> Result<(), InternalError> {
        self.batch(&undo_consume(redemption)).await.map(|_| ())
    }

    async fn discard_code(&self, code_hash: &str) -> Result<(), InternalError> {
        self.execute(DISCARD_CODE_SQL, &[code_hash.into()]).await.map(|_| ())
    }

    async fn code_with_user(
        &self,
        code_hash: &str,
    ) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
        decode_with_user(self.select(with_user(code_hash)).await?)
    }

    async fn consume_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        redemption: &Redemption<'_>,
    ) -> Result<bool, InternalError> {
        let family = redemption.refresh_token.map(|r| r.family_id.as_str());
        let consume =
            vec![code_hash.into(), now.into(), redemption.jti.into(), redemption.jti_expires_at.into(), family.into()];
        let mut statements = vec![(CONSUME_CODE_SQL, consume)];
        if let Some(t) = redemption.refresh_token {
            statements.push(refresh_tokens::insert_for_code(t, code_hash, redemption.jti));
        }
        if let Some(client_id) = redemption.self_registered_client {
            statements.push(clients::touch(client_id, now));
        }
        // One batch is one transaction: the consume and the refresh token land together.
        Ok(self.batch(&statements).await?.first() == Some(&1))
    }
}

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM authorization_codes WHERE rowid IN (SELECT rowid FROM authorization_codes WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` codes that expired before `before`.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
