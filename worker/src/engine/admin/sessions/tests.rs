//! The admin API on sessions, natively: listing with users, ending one at once, ending
//! many by age and address within the role hierarchy, the counts.

use pollster::block_on;

use super::*;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::UnixTime;
use crate::engine::tables::users::user_of_session;
use crate::engine::test_support::{alice, config_with, context_of, NativePlatform};
use crate::native::{MemoryKv, SqliteStore};

const NOW: UnixTime = 1_800_000_000;
const DAY: i64 = 86_400;

struct Fixture {
    config: Config,
    store: SqliteStore,
    kv: MemoryKv,
}

/// alice (a user) and root (a super_admin), each with sessions started at the given ages.
fn fixture() -> (Fixture, crate::engine::identity::users::User) {
    let f = Fixture {
        config: config_with(|v| {
            v.insert("SESSION_DURATION_DAYS", "60".into());
            v.insert("IDLE_TIMEOUT_MINUTES", "100000".into());
        }),
        store: SqliteStore::open_in_memory().unwrap(),
        kv: MemoryKv::default(),
    };
    let mut root = alice();
    root.id = "root".into();
    root.email = "root@example.com".into();
    root.role = Role::SuperAdmin;
    f.store.insert_user(&alice()).unwrap();
    f.store.insert_user(&root).unwrap();
    (f, root)
}

fn start(f: &Fixture, user_id: &str, ip: &str, at: UnixTime) -> Session {
    let meta = RequestMeta { ip_address: Some(ip.into()), user_agent: Some("Firefox".into()), location: None };
    block_on(sessions::start(&context_of(&f.config, &f.store, &f.kv, &meta, at), &["pwd"], user_id, Vec::new()))
        .unwrap()
        .1
}

fn admin_of(role: Role) -> AdminPrincipal {
    let mut user = alice();
    user.id = format!("acting-{}", role.as_str());
    user.role = role;
    AdminPrincipal::user(user)
}

fn api<'a>(f: &'a Fixture, admin: &'a AdminPrincipal, meta: &'a RequestMeta) -> SessionAdmin<'a, NativePlatform> {
    SessionAdmin { rc: context_of(&f.config, &f.store, &f.kv, meta, NOW), admin }
}

#[test]
fn sessions_are_listed_newest_first_with_their_users_and_filtered_by_user_and_address() {
    let (f, root) = fixture();
    start(&f, &alice().id, "10.0.0.1", NOW - 2 * DAY);
    start(&f, &alice().id, "10.0.0.2", NOW - DAY);
    start(&f, &root.id, "10.0.0.1", NOW - 60);
    let (admin, meta) = (admin_of(Role::Admin), RequestMeta::default());
    let all = block_on(api(&f, &admin, &meta).list(None, None, 10, 0)).unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.data[0].email, "root@example.com");
    assert_eq!(all.data[1].ip_address.as_deref(), Some("10.0.0.2"));
    assert_eq!(block_on(api(&f, &admin, &meta).list(Some(&alice().id), None, 10, 0)).unwrap().total, 2);
    assert_eq!(block_on(api(&f, &admin, &meta).list(None, Some("10.0.0.1"), 10, 0)).unwrap().total, 2);
    let second = block_on(api(&f, &admin, &meta).list(None, None, 1, 1)).unwrap();
    assert_eq!((second.data.len(), second.total), (1, 3));
}

#[test]
fn an_ended_session_has_no_user_at_once_and_an_admin_cannot_end_a_super_admins() {
    let (f, root) = fixture();
    let mine = start(&f, &alice().id, "10.0.0.1", NOW - 60);
    let roots = start(&f, &root.id, "10.0.0.1", NOW - 60);
    let (admin, meta) = (admin_of(Role::Admin), RequestMeta::default());
    let refused = block_on(api(&f, &admin, &meta).end(&roots.id_hash)).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (403, codes::SUPER_ADMIN_REQUIRED));
    block_on(api(&f, &admin, &meta).end(&mine.id_hash)).unwrap();
    assert!(block_on(user_of_session(&f.store, &mine)).unwrap().is_none());
    assert!(block_on(user_of_session(&f.store, &roots)).unwrap().is_some());
    assert_eq!(block_on(api(&f, &admin, &meta).end(&mine.id_hash)).unwrap_err().status(), 404);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "session.revoked" && e["resource_id"] == mine.id_hash.as_str()));
}

#[test]
fn bulk_end_by_age_and_address_keeps_to_the_role_hierarchy() {
    let (f, root) = fixture();
    let old = start(&f, &alice().id, "10.0.0.1", NOW - 40 * DAY);
    let recent = start(&f, &alice().id, "10.0.0.9", NOW - DAY);
    let roots_old = start(&f, &root.id, "10.0.0.1", NOW - 40 * DAY);
    let meta = RequestMeta::default();
    let admin = admin_of(Role::Admin);
    assert_eq!(block_on(api(&f, &admin, &meta).end_many(None, None)).unwrap_err().status(), 422);
    assert_eq!(block_on(api(&f, &admin, &meta).end_many(Some("30x"), None)).unwrap_err().status(), 422);
    let ended = block_on(api(&f, &admin, &meta).end_many(Some("30d"), None)).unwrap();
    assert_eq!(ended.ended, 1, "an admin ends only plain users' sessions");
    let alive = |s: &Session| block_on(user_of_session(&f.store, s)).unwrap().is_some();
    assert!(!alive(&old) && alive(&recent) && alive(&roots_old));
    let root_admin = admin_of(Role::SuperAdmin);
    assert_eq!(block_on(api(&f, &root_admin, &meta).end_many(None, Some("10.0.0.1"))).unwrap().ended, 1);
    assert!(!alive(&roots_old) && alive(&recent));
    let events = f.store.audit_events().unwrap();
    assert_eq!(events.iter().filter(|e| e["event"] == "sessions.revoked").count(), 2);
}

#[test]
fn older_than_takes_days_hours_or_minutes() {
    assert_eq!(parse_age("30d").unwrap(), 30 * DAY);
    assert_eq!(parse_age("12h").unwrap(), 12 * 3600);
    assert_eq!(parse_age("90m").unwrap(), 90 * 60);
    for bad in ["", "d", "0d", "-1d", "1.5d", "30", "30s", "99999999d", "é"] {
        assert!(parse_age(bad).is_err(), "{bad}");
    }
}

#[test]
fn metrics_count_live_sessions_their_people_and_recent_sign_ins() {
    let (f, root) = fixture();
    start(&f, &alice().id, "10.0.0.1", NOW - 40 * DAY);
    start(&f, &alice().id, "10.0.0.1", NOW - 2 * 3600);
    start(&f, &root.id, "10.0.0.1", NOW - 60);
    let (admin, meta) = (admin_of(Role::Admin), RequestMeta::default());
    let m = block_on(api(&f, &admin, &meta).metrics()).unwrap();
    assert_eq!((m.active, m.users, m.created_last_hour, m.created_last_24h, m.created_last_30d), (3, 2, 1, 2, 2));
    // NOW is 08:00 UTC: the sessions of the last two hours began today.
    assert_eq!((m.active_sessions, m.sessions_today, m.unique_users), (3, 2, 2), "the names docs/api.md shows");
}

#[test]
fn a_listed_session_names_its_device_and_place() {
    let (f, _) = fixture();
    let meta = RequestMeta {
        ip_address: Some("198.51.100.4".into()),
        user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into()),
        location: Some("San Francisco, CA".into()),
    };
    block_on(sessions::start(
        &context_of(&f.config, &f.store, &f.kv, &meta, NOW - 60),
        &["pwd"],
        &alice().id,
        Vec::new(),
    ))
    .unwrap();
    let (admin, none) = (admin_of(Role::Admin), RequestMeta::default());
    let listed = block_on(api(&f, &admin, &none).list(None, None, 10, 0)).unwrap().data.remove(0);
    assert_eq!(listed.device.as_deref(), Some("Chrome on macOS"));
    assert_eq!(listed.location.as_deref(), Some("San Francisco, CA"));
    assert_eq!(listed.last_activity, NOW - 60);
    let json = serde_json::to_value(&listed).unwrap();
    assert_eq!(json["created_at"], "2027-01-15T07:59:00Z", "RFC 3339 (docs/api.md, \"Times\")");
}

#[test]
fn all_true_is_a_super_admins_and_ends_every_session_the_callers_own_last() {
    let (f, root) = fixture();
    let users = [start(&f, &alice().id, "10.0.0.1", NOW - 40 * DAY), start(&f, &alice().id, "10.0.0.2", NOW - 60)];
    let other_root = start(&f, &root.id, "10.0.0.3", NOW - 60);
    let own = start(&f, &root.id, "10.0.0.4", NOW - 30);
    let meta = RequestMeta::default();
    let refused = block_on(api(&f, &admin_of(Role::Admin), &meta).end_all()).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (403, codes::SUPER_ADMIN_REQUIRED));
    let caller = AdminPrincipal::User(Box::new(root.clone()), Some(own.id_hash.clone()));
    assert_eq!(block_on(api(&f, &caller, &meta).end_all()).unwrap().ended, 4);
    let alive = |s: &Session| block_on(user_of_session(&f.store, s)).unwrap().is_some();
    assert!(!users.iter().any(alive) && !alive(&other_root) && !alive(&own));
    let rounds: Vec<_> =
        f.store.audit_events().unwrap().into_iter().filter(|e| e["event"] == "sessions.revoked").collect();
    assert_eq!(rounds.len(), 2, "every other session, then the caller's");
    let metadata =
        |i: usize| serde_json::from_str::<serde_json::Value>(rounds[i]["metadata"].as_str().unwrap()).unwrap();
    let (first, last) = (metadata(0), metadata(1));
    assert_eq!((first["all"].as_bool(), first["sessions"].as_u64()), (Some(true), Some(3)));
    assert_eq!((last["own_session"].as_bool(), last["sessions"].as_u64()), (Some(true), Some(1)));
}
