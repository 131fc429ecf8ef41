//! The OAuth tables (migrations/0002, 0003): `authorization_codes`, `refresh_tokens`,
//! `consents`, `revoked_access_tokens` and `client_token_cutoffs`, each with its one row
//! type, every statement on them, and their stores over the one SQL port. Reads a request
//! needs together are batched into one round trip ([`TokenLookups`], [`user_and_consent`]).

use serde::Deserialize;

use crate::engine::clients::store::{client_from_rows, client_statement};
use crate::engine::clients::ClientRecord;
use crate::engine::crypto::pkce::Method as PkceMethod;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::user_store::{
    decode_user_json, first_user, user_by_id_statement, user_json, user_of_session_statement,
};
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState, RevocationStore};
use crate::engine::oauth::codes::{AuthorizationCode, CodeStore, Redemption};
use crate::engine::oauth::consent::{Consent, ConsentStore};
use crate::engine::oauth::refresh::{RefreshStore, RefreshToken};
use crate::engine::oauth::token::TokenLookups;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlArg, SqlRunner, Statement, UnixTime};

// ---- revoked access tokens -------------------------------------------------------------

/// Whether an access token is revoked: by its jti, by a cut-off for its client (tokens
/// issued at or before `revoked_before_ms`, to the millisecond its jti carries), or because its user was deactivated or deleted
/// (a token of a client acting for itself has `sub` = client id); plus the email of the
/// subject `?4` (introspection's `username`): one statement. ?1 jti, ?2 client, ?3 issued (ms), ?4 sub.
const ACCESS_TOKEN_STATE_SQL: &str = "SELECT (EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
OR EXISTS (SELECT 1 FROM client_token_cutoffs WHERE client_id = ?2 AND revoked_before_ms >= ?3) \
OR (?4 != ?2 AND NOT EXISTS (SELECT 1 FROM users WHERE id = ?4 AND active = 1))) AS revoked, \
(SELECT email FROM users WHERE id = ?4) AS username";

/// Records a revoked access token until it would have expired anyway.
const REVOKE_ACCESS_TOKEN_SQL: &str = "INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) \
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (jti) DO NOTHING";

fn access_token_state_statement(claims: &AccessTokenClaims) -> Statement<'static> {
    (
        ACCESS_TOKEN_STATE_SQL,
        vec![(&claims.jti).into(), (&claims.client_id).into(), claims.issued_ms().into(), (&claims.sub).into()],
    )
}

fn decode_access_token_state(rows: Vec<serde_json::Value>) -> Result<AccessTokenState, InternalError> {
    #[derive(Deserialize)]
    struct Row {
        revoked: f64,
        username: Option<String>,
    }
    let row = first_row::<Row>(rows)?.ok_or_else(|| InternalError::new("access token state: no row"))?;
    Ok(AccessTokenState { revoked: row.revoked != 0.0, subject_email: row.username })
}

impl<T: SqlRunner> RevocationStore for T {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError> {
        Ok(self.access_token_state(claims).await?.revoked)
    }

    async fn access_token_state(&self, claims: &AccessTokenClaims) -> Result<AccessTokenState, InternalError> {
        let (sql, args) = access_token_state_statement(claims);
        decode_access_token_state(self.query(sql, &args).await?)
    }

    async fn revoked_and_subject(&self, claims: &AccessTokenClaims) -> Result<(bool, Option<User>), InternalError> {
        let [state, user] = pair(self, access_token_state_statement(claims), user_by_id_statement(&claims.sub)).await?;
        Ok((decode_access_token_state(state)?.revoked, first_user(user)?))
    }

    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let args = [jti.into(), client_id.into(), expires_at.into(), now.into()];
        self.execute(REVOKE_ACCESS_TOKEN_SQL, &args).await.map(|_| ())
    }
}

// ---- refresh tokens --------------------------------------------------------------------

/// A refresh token with its user, so the refresh grant reads both in one statement. ?1 hash.
const REFRESH_WITH_USER_SQL: &str = concat!(
    "SELECT r.token_hash, r.family_id, r.parent_hash, r.client_id, r.user_id, r.scope, r.auth_time, r.amr, r.session_id, ",
    "r.created_at, r.expires_at, r.family_expires_at, r.rotated_at, r.successor_hash, r.successor_sealed, ",
    "r.revoked_at, ",
    user_json!(),
    " FROM refresh_tokens r LEFT JOIN users u ON u.id = r.user_id WHERE r.token_hash = ?1"
);

const INSERT_REFRESH_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

/// Step 1 of a rotation: claim the parent, once. ?1 parent, ?2 successor hash, ?3 sealed, ?4 now.
const ROTATE_PARENT_SQL: &str = "UPDATE refresh_tokens SET rotated_at = ?4, successor_hash = ?2, \
successor_sealed = ?3 WHERE token_hash = ?1 AND rotated_at IS NULL AND revoked_at IS NULL";

/// Step 2, in the same batch: insert the successor only if step 1 claimed the parent for it.
/// ?1..?12 as INSERT_REFRESH_SQL; ?3 is the parent.
const INSERT_SUCCESSOR_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, client_id, \
user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 WHERE EXISTS (SELECT 1 FROM refresh_tokens WHERE token_hash = ?3 AND successor_hash = ?1)";

const REVOKE_SESSION_REFRESH_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE session_id = ?1 AND revoked_at IS NULL";

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
            revoked_at: self.revoked_at.map(int),
        };
        Ok((token, user))
    }
}

fn decode_refresh_with_user(
    rows: Vec<serde_json::Value>,
) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
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
    ]
}

impl<T: SqlRunner> RefreshStore for T {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), InternalError> {
        self.execute(INSERT_REFRESH_SQL, &refresh_args(token, None)).await.map(|_| ())
    }

    async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, InternalError> {
        Ok(self.refresh_token_with_user(token_hash).await?.map(|(token, _)| token))
    }

    async fn refresh_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, Option<User>)>, InternalError> {
        decode_refresh_with_user(self.query(REFRESH_WITH_USER_SQL, &[token_hash.into()]).await?)
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

    async fn revoke_refresh_family(&self, family_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        self.execute(REVOKE_FAMILY_SQL, &[family_id.into(), now.into()]).await
    }

    async fn revoke_session_refresh_tokens(&self, session_id: &str, now: UnixTime) -> Result<u64, InternalError> {
        self.execute(REVOKE_SESSION_REFRESH_SQL, &[session_id.into(), now.into()]).await
    }
}

// ---- authorization codes ---------------------------------------------------------------

const INSERT_CODE_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, \
scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at, amr) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// [`INSERT_CODE_SQL`] only while the code's user (?3) is active and its session (?9)
/// still exists: a code prepared before the read that confirms both (`/authorize` with a
/// live session, [`user_consent_and_code`]) is never stored for an ended session.
const INSERT_CODE_FOR_SESSION_SQL: &str = "INSERT INTO authorization_codes (code_hash, client_id, user_id, \
redirect_uri, scope, nonce, code_challenge, code_challenge_method, session_id, auth_time, created_at, expires_at, amr) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE EXISTS (SELECT 1 FROM users u \
WHERE u.id = ?3 AND u.active = 1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = ?9 AND s.user_id = ?3))";

/// Removes a prepared code that is not handed out (never redeemed: nobody has it). ?1 hash.
const DISCARD_CODE_SQL: &str = "DELETE FROM authorization_codes WHERE code_hash = ?1 AND consumed_at IS NULL";

/// A code with its user. ?1 code hash.
const CODE_WITH_USER_SQL: &str = concat!(
    "SELECT c.code_hash, c.client_id, c.user_id, c.redirect_uri, c.scope, c.nonce, c.code_challenge, ",
    "c.code_challenge_method, c.session_id, c.auth_time, c.amr, c.created_at, c.expires_at, c.consumed_at, ",
    "c.issued_jti, c.issued_jti_expires_at, c.issued_family_id, ",
    user_json!(),
    " FROM authorization_codes c LEFT JOIN users u ON u.id = c.user_id WHERE c.code_hash = ?1"
);

/// Redeems a code once (RFC 6749 §4.1.2 "MUST NOT be used more than once"): only the
/// statement that finds `consumed_at` NULL changes the row, and it records what it
/// issues. ?1 hash, ?2 now, ?3 jti, ?4 its expiry, ?5 refresh family or NULL.
const CONSUME_CODE_SQL: &str = "UPDATE authorization_codes SET consumed_at = ?2, issued_jti = ?3, \
issued_jti_expires_at = ?4, issued_family_id = ?5 WHERE code_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2";

/// In the same batch: the refresh token, only if the consume above was this request's.
/// ?1..?12 as INSERT_REFRESH_SQL, ?13 code hash, ?14 the jti the consume recorded.
const INSERT_REFRESH_FOR_CODE_SQL: &str = "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, \
client_id, user_id, scope, auth_time, created_at, expires_at, session_id, family_expires_at, amr) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 \
WHERE EXISTS (SELECT 1 FROM authorization_codes WHERE code_hash = ?13 AND issued_jti = ?14)";

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
        };
        Ok((code, decode_user_json(self.user_json)?))
    }
}

fn decode_code_with_user(
    rows: Vec<serde_json::Value>,
) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
    first_row::<CodeRow>(rows)?.map(CodeRow::decode).transpose()
}

/// The thirteen values of [`INSERT_CODE_SQL`] and [`INSERT_CODE_FOR_SESSION_SQL`].
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
    ]
}

impl<T: SqlRunner> CodeStore for T {
    async fn insert_code(&self, c: &AuthorizationCode) -> Result<(), InternalError> {
        self.execute(INSERT_CODE_SQL, &code_args(c)).await.map(|_| ())
    }

    async fn discard_code(&self, code_hash: &str) -> Result<(), InternalError> {
        self.execute(DISCARD_CODE_SQL, &[code_hash.into()]).await.map(|_| ())
    }

    async fn code_with_user(
        &self,
        code_hash: &str,
    ) -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError> {
        decode_code_with_user(self.query(CODE_WITH_USER_SQL, &[code_hash.into()]).await?)
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
            let mut args = refresh_args(t, None);
            args.push(code_hash.into());
            args.push(redemption.jti.into());
            statements.push((INSERT_REFRESH_FOR_CODE_SQL, args));
        }
        // One batch is one transaction: the consume and the refresh token land together.
        Ok(self.batch(&statements).await?.first() == Some(&1))
    }
}

// ---- consents --------------------------------------------------------------------------

const CONSENT_SQL: &str = "SELECT scopes, updated_at FROM consents WHERE user_id = ?1 AND client_id = ?2";

/// ?1 user, ?2 client, ?3 scopes (space-separated), ?4 now.
const UPSERT_CONSENT_SQL: &str = "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at) \
VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
updated_at = excluded.updated_at";

fn decode_consent(rows: Vec<serde_json::Value>) -> Result<Option<Consent>, InternalError> {
    #[derive(Deserialize)]
    struct ConsentRow {
        scopes: String,
        updated_at: f64,
    }
    Ok(first_row::<ConsentRow>(rows)?.map(|r| Consent {
        scopes: r.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        updated_at: int(r.updated_at),
    }))
}

impl<T: SqlRunner> ConsentStore for T {
    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, InternalError> {
        decode_consent(self.query(CONSENT_SQL, &[user_id.into(), client_id.into()]).await?)
    }

    async fn save_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let args = [user_id.into(), client_id.into(), scopes.join(" ").into(), now.into()];
        self.execute(UPSERT_CONSENT_SQL, &args).await.map(|_| ())
    }
}

// ---- reads batched into one round trip -------------------------------------------------

/// A session's user (while the session's D1 row exists) and their consent to a client in
/// one round trip (`/authorize` with a live session needs both; two calls would cost two
/// D1 round trips). With `code`, the same batch (one transaction) stores that prepared
/// code when the user is active and the session exists: the user returned active means
/// it was stored. The caller discards it if it does not hand it out.
pub async fn user_consent_and_code(
    db: &impl SqlRunner,
    session: &Session,
    client_id: &str,
    code: Option<&AuthorizationCode>,
) -> Result<(Option<User>, Option<Consent>), InternalError> {
    let consent = (CONSENT_SQL, vec![session.user_id.as_str().into(), client_id.into()]);
    let mut statements = vec![user_of_session_statement(session), consent];
    if let Some(code) = code {
        statements.push((INSERT_CODE_FOR_SESSION_SQL, code_args(code)));
    }
    let mut results = db.query_batch(&statements).await?.into_iter();
    let user = first_user(results.next().unwrap_or_default())?;
    let consent = decode_consent(results.next().unwrap_or_default())?;
    Ok((user, consent))
}

/// Two reads as one batch; each result's rows.
async fn pair(
    db: &impl SqlRunner,
    a: Statement<'_>,
    b: Statement<'_>,
) -> Result<[Vec<serde_json::Value>; 2], InternalError> {
    let mut results = db.query_batch(&[a, b]).await?.into_iter();
    match (results.next(), results.next()) {
        (Some(first), Some(second)) => Ok([first, second]),
        _ => Err(InternalError::new("batch: wrong number of results")),
    }
}

impl<T: SqlRunner> TokenLookups for T {
    async fn client_and_access_token_state(
        &self,
        client_id: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(Option<ClientRecord>, AccessTokenState), InternalError> {
        let [client, state] = pair(self, client_statement(client_id), access_token_state_statement(claims)).await?;
        Ok((client_from_rows(client)?, decode_access_token_state(state)?))
    }

    async fn client_and_refresh_token(
        &self,
        client_id: &str,
        token_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(RefreshToken, Option<User>)>), InternalError> {
        let token = (REFRESH_WITH_USER_SQL, vec![token_hash.into()]);
        let [client, token] = pair(self, client_statement(client_id), token).await?;
        Ok((client_from_rows(client)?, decode_refresh_with_user(token)?))
    }

    async fn client_and_code(
        &self,
        client_id: &str,
        code_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(AuthorizationCode, Option<User>)>), InternalError> {
        let code = (CODE_WITH_USER_SQL, vec![code_hash.into()]);
        let [client, code] = pair(self, client_statement(client_id), code).await?;
        Ok((client_from_rows(client)?, decode_code_with_user(code)?))
    }
}
