//! The admin API on users, natively: the role hierarchy end to end, the last super_admin,
//! deactivation ending sessions and tokens, unlock, the list's filters.

use pollster::block_on;

use super::*;
use crate::engine::identity::mail::MailStore;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::tables::users;
use crate::engine::test_support::{alice, config_with, context_of, NativePlatform};
use crate::native::{MemoryKv, SqliteStore};

const NOW: UnixTime = 1_800_000_000;

struct Fixture {
    config: Config,
    store: SqliteStore,
    kv: MemoryKv,
}

fn fixture() -> Fixture {
    let f =
        Fixture { config: config_with(|_| {}), store: SqliteStore::open_in_memory().unwrap(), kv: MemoryKv::default() };
    let mut root = alice();
    root.role = Role::SuperAdmin;
    f.store.insert_user(&root).unwrap();
    f
}

/// `EMAIL_PROVIDER=log` (the development default): mail stays in the outbox.
fn as_who<'a>(f: &'a Fixture, admin: &'a AdminPrincipal, meta: &'a RequestMeta) -> UserAdmin<'a, NativePlatform> {
    UserAdmin { rc: context_of(&f.config, &f.store, &f.kv, meta, NOW), admin }
}

fn principal(role: Role) -> AdminPrincipal {
    let mut user = alice();
    user.id = format!("actor-{}", role.as_str());
    user.role = role;
    AdminPrincipal::user(user)
}

fn new_user(email: &str, role: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: Some("Someone".into()),
        password: Some("a long enough password".into()),
        role: Some(role.into()),
        ..NewUser::default()
    }
}

static META: RequestMeta = RequestMeta { ip_address: None, user_agent: None, location: None };

#[test]
fn an_admin_manages_users_but_only_a_super_admin_makes_or_touches_admins() {
    let f = fixture();
    let (admin, root, service) =
        (principal(Role::Admin), principal(Role::SuperAdmin), AdminPrincipal::Client("svc".into()));
    for who in [&admin, &service] {
        let err = block_on(as_who(&f, who, &META).create(&new_user("boss@example.com", "admin"))).unwrap_err();
        assert_eq!(err.status(), 403, "an admin cannot create an admin");
    }
    let user = block_on(as_who(&f, &admin, &META).create(&new_user("bob@example.com", "user"))).unwrap();
    assert_eq!((user.role.as_str(), user.active, user.locked), ("user", true, false));
    let promote = UserPatch { role: Some("admin".into()), ..UserPatch::default() };
    assert_eq!(block_on(as_who(&f, &admin, &META).update(&user.id, &promote)).unwrap_err().status(), 403);
    let promoted = block_on(as_who(&f, &root, &META).update(&user.id, &promote)).unwrap();
    assert_eq!(promoted.role, "admin");
    // Now an admin, bob is out of another admin's reach, even for a rename or a delete.
    let rename = UserPatch { name: Some("Robert".into()), ..UserPatch::default() };
    assert_eq!(block_on(as_who(&f, &admin, &META).update(&user.id, &rename)).unwrap_err().status(), 403);
    assert_eq!(block_on(as_who(&f, &admin, &META).delete(&user.id)).unwrap_err().status(), 403);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "user.created" && e["actor_id"] == "actor-admin"));
    assert!(events.iter().any(|e| e["event"] == "user.updated" && e["actor_id"] == "actor-super_admin"));
}

#[test]
fn the_last_active_super_admin_cannot_be_demoted_deactivated_or_deleted() {
    let f = fixture();
    let root = principal(Role::SuperAdmin);
    let only = alice().id;
    let who = as_who(&f, &root, &META);
    for patch in [
        UserPatch { role: Some("admin".into()), ..UserPatch::default() },
        UserPatch { active: Some(false), ..UserPatch::default() },
    ] {
        let err = block_on(who.update(&only, &patch)).unwrap_err();
        assert_eq!((err.status(), err.code()), (409, codes::LAST_SUPER_ADMIN), "{patch:?}");
    }
    assert_eq!(block_on(who.delete(&only)).unwrap_err().code(), codes::LAST_SUPER_ADMIN);
    // With a second super_admin, the first may step down.
    let second = block_on(who.create(&new_user("second@example.com", "super_admin"))).unwrap();
    let demoted =
        block_on(who.update(&only, &UserPatch { role: Some("user".into()), ..UserPatch::default() })).unwrap();
    assert_eq!(demoted.role, "user");
    assert_eq!(block_on(who.delete(&second.id)).unwrap_err().code(), codes::LAST_SUPER_ADMIN);
}

#[test]
fn deactivation_ends_the_sessions_and_revokes_the_refresh_tokens() {
    let f = fixture();
    let root = principal(Role::SuperAdmin);
    let who = as_who(&f, &root, &META);
    let bob = block_on(who.create(&new_user("bob@example.com", "user"))).unwrap();
    let (_, session) =
        block_on(sessions::start(&context_of(&f.config, &f.store, &f.kv, &META, NOW), &["pwd"], &bob.id, Vec::new()))
            .unwrap();
    assert_eq!(block_on(who.sessions(&bob.id)).unwrap().len(), 1);
    let off = block_on(who.update(&bob.id, &UserPatch { active: Some(false), ..UserPatch::default() })).unwrap();
    assert!(!off.active);
    assert!(block_on(who.sessions(&bob.id)).unwrap().is_empty(), "signed out everywhere");
    assert!(block_on(sessions::load(&f.kv, &f.store, &f.config, &session.id_hash, NOW)).unwrap().is_none());
}

#[test]
fn an_admin_unlock_lifts_the_lock_at_once_and_is_audited_within_the_role_hierarchy() {
    let f = fixture();
    let service = AdminPrincipal::Client("admin-cli".into());
    // The fixture's alice is the super_admin: out of a service account's reach.
    let lock = |id: &str| block_on(f.store.exec(users::record_failed_login(id, NOW, 1, 3600, false))).unwrap();
    lock(&alice().id);
    let refused = block_on(as_who(&f, &service, &META).unlock(&alice().id)).unwrap_err();
    assert_eq!(refused.status(), 403, "an admin cannot unlock a super_admin");
    let mut user = alice();
    user.id = "bob".into();
    user.email = "bob@example.com".into();
    user.role = Role::User;
    f.store.insert_user(&user).unwrap();
    lock(&user.id);
    let who = as_who(&f, &service, &META);
    assert!(block_on(who.get(&user.id)).unwrap().locked);
    block_on(who.unlock(&user.id)).unwrap();
    assert!(!block_on(who.get(&user.id)).unwrap().locked);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "user.unlocked" && e["resource_id"] == user.id.as_str()));
    assert_eq!(block_on(who.unlock("nobody")).unwrap_err().status(), 404);
}

#[test]
fn the_list_searches_and_filters_and_a_created_user_can_get_a_password_mail() {
    let f = fixture();
    let root = principal(Role::SuperAdmin);
    let who = as_who(&f, &root, &META);
    block_on(who.create(&new_user("carol@example.com", "admin"))).unwrap();
    let mailed = NewUser { email: "dave@example.com".into(), send_password_mail: true, ..NewUser::default() };
    let dave = block_on(who.create(&mailed)).unwrap();
    let status = block_on(who.password_status(&dave.id)).unwrap();
    assert!(!status.has_password);
    let outbox = block_on(f.store.outbox(10, 0)).unwrap().0;
    assert!(outbox.iter().any(|m| m.to == "dave@example.com" && m.template == "password-reset"));
    let all = block_on(who.list(&UserFilter::default(), 10, 0)).unwrap();
    assert_eq!(all.total, 3);
    let admins = UserFilter { role: Some("admin".into()), ..UserFilter::default() };
    assert_eq!(block_on(who.list(&admins, 10, 0)).unwrap().data[0].email, "carol@example.com");
    let search = UserFilter { search: Some("DAVE".into()), ..UserFilter::default() };
    assert_eq!(block_on(who.list(&search, 10, 0)).unwrap().total, 1, "case-insensitive");
    let percent = UserFilter { search: Some("%".into()), ..UserFilter::default() };
    assert_eq!(block_on(who.list(&percent, 10, 0)).unwrap().total, 0, "LIKE characters are literal");
    let page = block_on(who.list(&UserFilter::default(), 1, 1)).unwrap();
    assert_eq!((page.data.len(), page.total, page.offset), (1, 3, 1));
    // Validation: the policy's password rules, a real email, an existing role.
    let weak = NewUser { password: Some("short".into()), ..new_user("e@example.com", "user") };
    assert_eq!(block_on(who.create(&weak)).unwrap_err().status(), 422);
    assert_eq!(block_on(who.create(&new_user("not-an-email", "user"))).unwrap_err().status(), 422);
    assert_eq!(block_on(who.create(&new_user("f@example.com", "owner"))).unwrap_err().status(), 422);
    assert_eq!(block_on(who.create(&new_user("carol@example.com", "user"))).unwrap_err().status(), 409);
}

#[test]
fn an_admin_sees_and_withdraws_a_users_consents_within_the_role_hierarchy() {
    use crate::engine::clients::ClientStore;
    use crate::engine::oauth::consent::ConsentStore;
    let f = fixture();
    let admin = principal(Role::Admin);
    let bob = block_on(as_who(&f, &admin, &META).create(&new_user("bob@example.com", "user"))).unwrap();
    block_on(f.store.ensure_client(&crate::engine::test_support::web_app(), None, NOW)).unwrap();
    block_on(f.store.save_consent(&bob.id, "web", &["openid".to_owned()], NOW)).unwrap();
    let listed = block_on(as_who(&f, &admin, &META).consents(&bob.id)).unwrap();
    assert_eq!(listed.iter().map(|c| c.client_id.as_str()).collect::<Vec<_>>(), ["web"]);
    block_on(as_who(&f, &admin, &META).revoke_consent(&bob.id, "web")).unwrap();
    assert!(block_on(as_who(&f, &admin, &META).consents(&bob.id)).unwrap().is_empty());
    assert_eq!(block_on(as_who(&f, &admin, &META).revoke_consent(&bob.id, "web")).unwrap_err().status(), 404);
    assert_eq!(block_on(as_who(&f, &admin, &META).consents("nobody")).unwrap_err().status(), 404);
    // The super_admin's consents are out of an admin's reach.
    let root = alice().id;
    block_on(f.store.save_consent(&root, "web", &["openid".to_owned()], NOW)).unwrap();
    assert_eq!(block_on(as_who(&f, &admin, &META).revoke_consent(&root, "web")).unwrap_err().status(), 403);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "consent.revoked" && e["actor_id"] == "actor-admin"));
}

#[test]
fn admin_password_min_length_applies_to_admins_and_super_admins_only() {
    let f = fixture();
    let root = principal(Role::SuperAdmin);
    let short = |email: &str, role: &str| NewUser { password: Some("thirteen-char".into()), ..new_user(email, role) };
    let e = block_on(as_who(&f, &root, &META).create(&short("boss@example.com", "admin"))).unwrap_err();
    assert_eq!(e.details()[0].message, "Password must be at least 16 characters");
    let user = block_on(as_who(&f, &root, &META).create(&short("bob@example.com", "user"))).unwrap();
    // Made an admin with a short password in the same change: refused.
    let patch =
        UserPatch { role: Some("admin".into()), password: Some("thirteen-char".into()), ..UserPatch::default() };
    assert_eq!(block_on(as_who(&f, &root, &META).update(&user.id, &patch)).unwrap_err().status(), 422);
}

#[test]
fn password_status_says_when_it_changed_when_it_expires_and_whether_a_change_comes_first() {
    let mut f = fixture();
    f.config = config_with(|v| {
        v.insert("PASSWORD_EXPIRY_DAYS", "90".into());
        v.insert("PASSWORD_EXPIRY_GRACE_DAYS", "7".into());
    });
    let root = principal(Role::SuperAdmin);
    let bob = block_on(as_who(&f, &root, &META).create(&new_user("bob@example.com", "user"))).unwrap();
    let status = block_on(as_who(&f, &root, &META).password_status(&bob.id)).unwrap();
    assert_eq!(status.last_changed, Some(NOW));
    assert_eq!(status.expires_at, Some(NOW + 90 * 86_400));
    assert_eq!((status.days_until_expiry, status.requires_change), (Some(90), false));
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["expires_at"], "2027-04-15T08:00:00Z");
    // 100 days on: expired, past the 7 grace days.
    let later = UserAdmin { rc: context_of(&f.config, &f.store, &f.kv, &META, NOW + 100 * 86_400), admin: &root };
    let expired = block_on(later.password_status(&bob.id)).unwrap();
    assert_eq!((expired.days_until_expiry, expired.requires_change), (Some(-10), true));
    // Without expiry: no expires_at, nothing required.
    f.config = config_with(|_| {});
    let off = block_on(as_who(&f, &root, &META).password_status(&bob.id)).unwrap();
    assert_eq!((off.expires_at, off.days_until_expiry, off.requires_change), (None, None, false));
}
