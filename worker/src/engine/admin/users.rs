//! The admin API on user accounts (contract "Admin and account API").

use serde_json::json;
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{Random, SqlRunner, UnixTime};

/// Lifts a lockout and forgets the failures and earlier lockouts behind it.
const UNLOCK_SQL: &str = "UPDATE users SET failed_attempts = 0, locked_until = NULL, lockout_count = 0, \
updated_at = ?2 WHERE id = ?1 RETURNING locked_at";

/// `POST /api/users/{id}/unlock`: the account can sign in with its password again at
/// once (a lock otherwise ends by itself, or never with `ENABLE_AUTO_UNLOCK=false`).
/// Audited `user.unlocked`.
pub async fn unlock<S: SqlRunner + AuditStore>(
    store: &S,
    rng: &impl Random,
    meta: &RequestMeta,
    admin: &AdminPrincipal,
    user_id: &str,
    now: UnixTime,
) -> Result<(), ApiError> {
    let rows = store.query(UNLOCK_SQL, &[user_id.into(), now.into()]).await?;
    if rows.is_empty() {
        return Err(ApiError::Request {
            status: 404,
            code: codes::NOT_FOUND,
            description: "no user with this id".into(),
        });
    }
    let (actor_type, actor_id) = admin.actor();
    let event = AuditEvent::new("user.unlocked", meta, now, rng)?
        .actor(actor_type, actor_id)
        .resource("user", user_id)
        .metadata(json!({}));
    Ok(store.record(&event).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::identity::users::UserStore;
    use crate::engine::platform::error::ErrorResponse;
    use crate::engine::platform::ports::SystemRandom;
    use crate::engine::test_support::alice;
    use crate::native::SqliteStore;

    #[test]
    fn an_admin_unlock_lifts_the_lock_at_once_and_is_audited() {
        let store = SqliteStore::open_in_memory().unwrap();
        let user = alice();
        store.insert_user(&user).unwrap();
        let locked = pollster::block_on(store.record_failed_login(&user.id, 100, 1, 3600, false)).unwrap();
        assert_eq!(locked, Some(3700));
        let meta = RequestMeta { ip_address: None, user_agent: None };
        let admin = AdminPrincipal::Client("admin-cli".into());
        pollster::block_on(unlock(&store, &SystemRandom, &meta, &admin, &user.id, 200)).unwrap();
        let after = pollster::block_on(store.user_by_id(&user.id)).unwrap().unwrap();
        assert_eq!(after.locked_until, None);
        let events = store.audit_events().unwrap();
        assert!(events.iter().any(|e| e["event"] == "user.unlocked" && e["resource_id"] == user.id.as_str()));
        let missing = pollster::block_on(unlock(&store, &SystemRandom, &meta, &admin, "nobody", 200)).unwrap_err();
        assert_eq!(missing.status(), 404);
    }
}
