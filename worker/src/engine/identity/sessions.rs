//! Browser sessions. The cookie carries 256 random bits; KV keeps the session under the
//! SHA-256 of that value (nothing read from KV works as a cookie) for the fast read on
//! every browser request, and D1's `sessions` table (migrations/0010) indexes it by user,
//! age and address. The D1 row decides: a session whose row is gone is over at every edge
//! at once, however long a KV replica keeps the deleted value — and checking costs no
//! round trip, because the user read that follows every session read joins the table
//! (`tables::users::user_of_session_statement`).

use serde::{Deserialize, Serialize};

use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::random_token;
use crate::engine::oauth::backchannel_logout;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{KeyValue, SqlRunner, Statement, UnixMillis, UnixTime, KV_MIN_TTL};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::{deliveries, ended_sessions, logout_deliveries, refresh_tokens, session_clients, sessions};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "authority_session";

/// A write to KV costs far more than a read; `last_seen_at` moves at most once a minute
/// (and KV allows one write per second per key anyway).
const TOUCH_INTERVAL: UnixTime = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the cookie value, base64url: the session's id everywhere but the cookie.
    pub id_hash: String,
    pub user_id: String,
    /// When the person last proved who they are (OIDC `auth_time`).
    pub auth_time: UnixTime,
    /// The same moment in milliseconds (`prompt=login` compares it with when a request
    /// arrived); absent from sessions stored before it was recorded and from D1's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time_ms: Option<UnixMillis>,
    /// How they proved it (RFC 8176 `amr` values: `pwd`, `otp`, `mfa`, ...). Sessions
    /// stored before methods were recorded were password sign-ins.
    #[serde(default = "password_only")]
    pub amr: Vec<String>,
    pub created_at: UnixTime,
    pub last_seen_at: UnixTime,
    /// `SESSION_DURATION_DAYS` after creation.
    pub expires_at: UnixTime,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// Where Cloudflare placed the sign-in's address (`identity::devices::location_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

pub(crate) fn password_only() -> Vec<String> {
    vec![String::from("pwd")]
}

impl Session {
    /// Signed in with a second factor (`amr` holds `mfa`).
    pub fn multi_factor(&self) -> bool {
        self.amr.iter().any(|m| m == "mfa")
    }

    fn idle_limit(config: &Config) -> UnixTime {
        i64::from(config.sessions.idle_timeout_minutes) * 60
    }

    /// Live: not past its lifetime, and used within `IDLE_TIMEOUT_MINUTES`.
    pub fn is_live(&self, config: &Config, now: UnixTime) -> bool {
        now < self.expires_at && now - self.last_seen_at < Self::idle_limit(config)
    }

    /// How long KV should keep it: until it would die of idleness or age, whichever first.
    fn ttl(&self, config: &Config, now: UnixTime) -> u32 {
        let end = self.expires_at.min(self.last_seen_at + Self::idle_limit(config));
        u32::try_from((end - now).max(0)).unwrap_or(u32::MAX).max(KV_MIN_TTL)
    }
}

fn session_key(id_hash: &str) -> String {
    format!("session:{id_hash}")
}

/// Starts a session for `user_id` who just signed in by the methods `amr`; returns the
/// cookie value. With `SINGLE_SESSION=true` the user's other sessions end. `with` are
/// writes to commit with the session's row (both or neither).
pub async fn start<P: Platform>(
    rc: &RequestContext<'_, P>,
    amr: &[&str],
    user_id: &str,
    with: Vec<Statement<'static>>,
) -> Result<(String, Session), InternalError> {
    let (kv, store, config, meta, now) = (rc.kv, rc.store, rc.config, rc.meta, rc.now);
    if config.sessions.single_session {
        for other in list(store, config, user_id, now).await? {
            end(kv, store, config, &other, now).await?;
        }
    }
    let cookie = random_token(rc.rng)?;
    let session = Session {
        id_hash: hash_token(&cookie),
        user_id: user_id.into(),
        auth_time: now,
        auth_time_ms: Some(rc.now_ms),
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + i64::from(config.sessions.session_duration_days) * 86_400,
        ip_address: meta.ip_address.clone(),
        user_agent: meta.user_agent.clone(),
        location: meta.location.clone(),
    };
    // The row and the KV value at once (one round trip): a KV value without a row is no
    // session, so if the batch fails what KV got is nothing that works, and nobody has the
    // cookie before both are written. `with` commits in the same batch (the sign-in's
    // record).
    let mut statements = vec![sessions::insert(&session)];
    statements.extend(with);
    let (row, value) = futures_util::future::join(store.batch(&statements), save(kv, config, &session, now)).await;
    row?;
    value?;
    Ok((cookie, session))
}

async fn save(kv: &impl KeyValue, config: &Config, session: &Session, now: UnixTime) -> Result<(), InternalError> {
    let json = serde_json::to_string(session).map_err(|e| InternalError::new(format!("session JSON: {e}")))?;
    kv.put(&session_key(&session.id_hash), &json, session.ttl(config, now)).await
}

/// The live session a cookie value names, touched if it was idle for a while. KV's
/// answer only; the caller's user read checks the D1 row (see the module's comment).
pub async fn load(
    kv: &impl KeyValue,
    store: &impl SqlRunner,
    config: &Config,
    cookie: &str,
    now: UnixTime,
) -> Result<Option<Session>, InternalError> {
    let Some(mut session) = by_hash(kv, &hash_token(cookie)).await? else { return Ok(None) };
    if !session.is_live(config, now) {
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        session.last_seen_at = now;
        // An ended session (no row) is not brought back: nothing changes in D1.
        if store.exec(sessions::touch(&session.id_hash, now)).await? == 0 {
            return Ok(None);
        }
        save(kv, config, &session, now).await?;
    }
    Ok(Some(session))
}

async fn by_hash(kv: &impl KeyValue, id_hash: &str) -> Result<Option<Session>, InternalError> {
    match kv.get(&session_key(id_hash)).await? {
        // A value that does not parse is treated as no session, never as an error page.
        Some(json) => Ok(crate::engine::platform::json::parse(json.as_bytes()).ok()),
        None => Ok(None),
    }
}

/// Ends a session (sign-out, logout, `SINGLE_SESSION`, an admin): its D1 row goes, which
/// ends it everywhere; its KV value goes too. With `REVOKE_TOKENS_ON_SESSION_END=true`
/// the refresh tokens issued in it are revoked in the same batch.
pub async fn end(
    kv: &impl KeyValue,
    store: &impl SqlRunner,
    config: &Config,
    session: &Session,
    now: UnixTime,
) -> Result<(), InternalError> {
    let mut statements = Vec::new();
    if config.sessions.revoke_tokens_on_session_end {
        statements.push(refresh_tokens::revoke_of_session(&session.id_hash, &session.user_id, now));
        statements.push(ended_sessions::insert(&session.id_hash, &session.user_id, now, keep_ended_until(config, now)));
    }
    // OIDC Back-Channel Logout: the clients told of the end are queued with it.
    let queue = statements.len();
    statements.push(logout_deliveries::queue_for_session(&session.id_hash, &session.user_id, now));
    statements.push(deliveries::insert_logouts_written(now));
    statements.push(session_clients::delete_of_session(&session.id_hash));
    statements.push(sessions::delete(&session.id_hash));
    let changes = store.batch(&statements).await?;
    if changes.get(queue).is_some_and(|queued| *queued > 0) {
        backchannel_logout::note_queued();
    }
    kv.delete(&session_key(&session.id_hash)).await
}

/// How long an ended session is remembered: while an access token issued in it could
/// still be presented (`admin::keys::max_token_ttl`).
pub fn keep_ended_until(config: &Config, now: UnixTime) -> UnixTime {
    now + crate::engine::admin::keys::max_token_ttl(config)
}

/// The KV value of an ended session, deleted so this edge forgets it at once (other
/// edges are held off by the missing row).
pub async fn forget(kv: &impl KeyValue, id_hash: &str) -> Result<(), InternalError> {
    kv.delete(&session_key(id_hash)).await
}

/// The user's live sessions, newest first.
pub async fn list(
    store: &impl SqlRunner,
    config: &Config,
    user_id: &str,
    now: UnixTime,
) -> Result<Vec<Session>, InternalError> {
    let idle_cutoff = now - Session::idle_limit(config);
    sessions::decode_sessions(store.select(sessions::live_of_user(user_id, now, idle_cutoff)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::oauth::refresh::RefreshStore;
    use crate::engine::oauth::token::TokenError;
    use crate::engine::ops::audit::RequestMeta;
    use crate::engine::tables::users::user_of_session;
    use crate::engine::test_support::{
        alice, authorize, code_flow, config_with, context_of, dev_vars, param, redeem, session, token_request, web_app,
        web_auth, BASE, NOW,
    };
    use crate::native::MemoryKv;

    fn config(change: impl FnOnce(&mut std::collections::HashMap<&'static str, String>)) -> Config {
        let mut vars = dev_vars();
        change(&mut vars);
        Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap()
    }

    const META: RequestMeta = RequestMeta { ip_address: None, user_agent: None, location: None };

    /// A database with alice, whose sessions these tests start (`sessions.user_id` is a
    /// foreign key).
    fn db() -> crate::native::SqliteStore {
        let db = crate::native::SqliteStore::open_in_memory().unwrap();
        db.insert_user(&alice()).unwrap();
        db
    }

    fn u1() -> String {
        alice().id
    }

    #[test]
    fn sessions_end_after_idle_timeout_and_duration_and_are_touched_when_used() {
        // IDLE_TIMEOUT_MINUTES=30, SESSION_DURATION_DAYS=7 in the dev values.
        let config = config(|_| {});
        let (kv, db) = (MemoryKv::default(), db());
        let (cookie, _) =
            pollster::block_on(start(&context_of(&config, &db, &kv, &META, 1000), &["pwd"], &u1(), Vec::new()))
                .unwrap();
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1000 + 29 * 60)).unwrap().is_some());
        // That use moved last_seen_at: another 29 minutes is fine...
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1000 + 58 * 60)).unwrap().is_some());
        // ...but 30 idle minutes end it.
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1000 + 88 * 60)).unwrap().is_none());
        let (cookie, _) =
            pollster::block_on(start(&context_of(&config, &db, &kv, &META, 1000), &["pwd"], &u1(), Vec::new()))
                .unwrap();
        let mut t = 1000;
        while t + 20 * 60 < 1000 + 7 * 86_400 {
            t += 20 * 60;
            assert!(pollster::block_on(load(&kv, &db, &config, &cookie, t)).unwrap().is_some(), "at {t}");
        }
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1000 + 7 * 86_400)).unwrap().is_none(), "7 days");
        assert!(pollster::block_on(load(&kv, &db, &config, "made-up", 1000)).unwrap().is_none());
    }

    #[test]
    fn kv_holds_the_hash_of_the_cookie_not_the_cookie() {
        let config = config(|_| {});
        let (kv, db) = (MemoryKv::default(), db());
        let (cookie, session) =
            pollster::block_on(start(&context_of(&config, &db, &kv, &META, 1000), &["pwd"], &u1(), Vec::new()))
                .unwrap();
        assert_eq!(cookie.len(), 43, "256 bits");
        let keys = pollster::block_on(kv.keys_with_prefix("")).unwrap();
        assert!(keys.iter().all(|k| !k.contains(&cookie)));
        assert!(pollster::block_on(load(&kv, &db, &config, &session.id_hash, 1000)).unwrap().is_none());
    }

    #[test]
    fn single_session_ends_the_users_other_sessions() {
        let (kv, db) = (MemoryKv::default(), db());
        let many = config(|_| {});
        let (a, _) =
            pollster::block_on(start(&context_of(&many, &db, &kv, &META, 1000), &["pwd"], &u1(), Vec::new())).unwrap();
        let (b, _) =
            pollster::block_on(start(&context_of(&many, &db, &kv, &META, 1001), &["pwd"], &u1(), Vec::new())).unwrap();
        assert_eq!(pollster::block_on(list(&db, &many, &u1(), 1002)).unwrap().len(), 2);
        let single = config(|v| {
            v.insert("SINGLE_SESSION", "true".into());
        });
        let (c, _) =
            pollster::block_on(start(&context_of(&single, &db, &kv, &META, 1003), &["pwd"], &u1(), Vec::new()))
                .unwrap();
        for old in [a, b] {
            assert!(pollster::block_on(load(&kv, &db, &single, &old, 1004)).unwrap().is_none());
        }
        assert!(pollster::block_on(load(&kv, &db, &single, &c, 1004)).unwrap().is_some());
        assert_eq!(pollster::block_on(list(&db, &single, &u1(), 1004)).unwrap().len(), 1);
    }

    #[test]
    fn an_ended_session_is_refused_where_a_stale_kv_replica_still_holds_it() {
        let config = config(|_| {});
        let (kv, db) = (MemoryKv::default(), db());
        let (cookie, session) =
            pollster::block_on(start(&context_of(&config, &db, &kv, &META, 1000), &["pwd"], &alice().id, Vec::new()))
                .unwrap();
        let user = || pollster::block_on(user_of_session(&db, &session)).unwrap();
        assert_eq!(user().map(|u| u.id), Some(alice().id));
        let stale = pollster::block_on(kv.get(&session_key(&session.id_hash))).unwrap().unwrap();
        pollster::block_on(end(&kv, &db, &config, &session, 1001)).unwrap();
        // Another edge's KV replica has not seen the delete yet.
        pollster::block_on(kv.put(&session_key(&session.id_hash), &stale, 600)).unwrap();
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1002)).unwrap().is_some(), "KV still says yes");
        assert!(user().is_none(), "the D1 row decides: no user for an ended session");
        // Nor does using it a minute later bring the row back.
        assert!(pollster::block_on(load(&kv, &db, &config, &cookie, 1100)).unwrap().is_none());
    }

    #[test]
    fn revoke_tokens_on_session_end_revokes_the_refresh_tokens_of_that_session() {
        let f = code_flow();
        let q = format!("{BASE}&response_type=code&scope=openid+offline_access");
        let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
        let refresh = redeem(&f, &code, "", NOW + 1).unwrap().refresh_token.unwrap();
        let row = pollster::block_on(f.store.refresh_token(&hash_token(&refresh))).unwrap().unwrap();
        assert_eq!(row.session_id.as_deref(), Some("session-hash"), "the code's session travels to the token");
        let kv = crate::native::MemoryKv::default();
        let body = |t: &str| format!("grant_type=refresh_token&refresh_token={t}");
        // Off: signing out leaves the app's offline access alone.
        let keeping = config_with(|v| {
            v.insert("REVOKE_TOKENS_ON_SESSION_END", "false".into());
        });
        pollster::block_on(end(&kv, &f.store, &keeping, &session(NOW - 60), NOW + 2)).unwrap();
        let rotated = token_request(&f, Some(&web_auth()), &body(&refresh), NOW + 3).unwrap().refresh_token.unwrap();
        // On (the default): the session's refresh tokens end with it.
        pollster::block_on(end(&kv, &f.store, &f.config, &session(NOW - 60), NOW + 4)).unwrap();
        let refused = token_request(&f, Some(&web_auth()), &body(&rotated), NOW + 5);
        assert!(matches!(refused, Err(TokenError::InvalidGrant(_))), "the successor kept the session: {refused:?}");
    }

    /// OIDC Back-Channel Logout §2.1 (`sid`), and the product's REVOKE_TOKENS_ON_SESSION_END:
    /// the access token of a session that was ended is no longer active, and the ID token
    /// names the session.
    #[test]
    fn an_ended_sessions_access_tokens_are_inactive_at_introspection_and_its_id_token_names_it() {
        use crate::engine::platform::form::Form;
        use crate::engine::test_support::{credentials_of, token_endpoint};
        let f = code_flow();
        let q = format!("{BASE}&response_type=code&scope=openid");
        let code = param(&authorize(&f, &web_app(), &q, NOW), "code").unwrap().to_owned();
        let tokens = redeem(&f, &code, "", NOW + 1).unwrap();
        let payload = tokens.id_token.as_deref().unwrap().split('.').nth(1).unwrap().to_owned();
        let claims: serde_json::Value =
            serde_json::from_slice(&crate::engine::crypto::jose::b64url_decode(&payload).unwrap()).unwrap();
        assert_eq!(claims["sid"], "session-hash");
        let active = |now: UnixTime| {
            let form = Form::parse(format!("token={}", tokens.access_token).as_bytes()).unwrap();
            let endpoint = token_endpoint(&f.config, &f.store, &f.keys, now);
            pollster::block_on(endpoint.introspect(&credentials_of(Some(&web_auth()), &form), &form)).unwrap().active
        };
        assert!(active(NOW + 2));
        let kv = crate::native::MemoryKv::default();
        pollster::block_on(end(&kv, &f.store, &f.config, &session(NOW - 60), NOW + 3)).unwrap();
        assert!(!active(NOW + 4), "the session was ended");
    }
}
