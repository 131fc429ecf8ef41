//! The `authorization_codes` table (migrations/0003, 0014, 0024, 0029): one row per authorization
//! code, what its redemption issued; every statement on it and [`CodeStore`] over the
//! one SQL port.

use serde::Deserialize;

use crate::engine::crypto::pkce::Method as PkceMethod;
use crate::engine::identity::users::User;
use crate::engine::oauth::codes::{AuthorizationCode, CodeStore, Redemption};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlArg, SqlRunner, Statement, UnixTime};
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

impl<T: SqlRunner> CodeStore for T {
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
