//! The second factor's rows against the real schema: enrolment, confirmation, replay,
//! backup codes, and what a right password leads to.

use pollster::block_on;

use super::*;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::test_support::fixtures::{alice, config_with};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_700_000_015;

fn store_with(user: &User) -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap();
    store.insert_user(user).unwrap();
    store
}

fn secret_of(store: &SqliteStore, config: &Config, user_id: &str) -> Vec<u8> {
    let rows = store.rows("SELECT secret_sealed FROM mfa_totp WHERE user_id = ?1", &[user_id.into()]);
    let sealed_text = rows[0]["secret_sealed"].as_str().unwrap();
    sealed::open(&config.secret_key, Purpose::TotpSecret, user_id.as_bytes(), sealed_text).unwrap()
}

/// Alice with an app in force (confirmed at NOW) and her backup codes.
fn enrolled(store: &SqliteStore, config: &Config) -> (Vec<u8>, Vec<String>) {
    let user = alice();
    block_on(begin_totp(store, config, &user, &SystemRandom, NOW)).unwrap().unwrap();
    let secret = secret_of(store, config, &user.id);
    let code = totp::code_at(&secret, totp::step_of(NOW)).unwrap();
    assert!(block_on(check_totp(store, config, &user.id, &code, true, NOW)).unwrap());
    let codes = block_on(regenerate_backup_codes(store, config, &user.id, &SystemRandom, NOW)).unwrap();
    (secret, codes)
}

#[test]
fn an_enrolment_counts_only_once_a_first_code_confirms_it() {
    let config = config_with(|_| {});
    let user = alice();
    let store = store_with(&user);
    let enrolment = block_on(begin_totp(&store, &config, &user, &SystemRandom, NOW)).unwrap().unwrap();
    assert!(enrolment.otpauth_uri.contains(&format!("secret={}", enrolment.secret)));
    assert!(enrolment.qr_svg.starts_with("<svg"));
    assert!(!block_on(state(&store, &user.id)).unwrap().enabled(), "not before the first code");
    let secret = secret_of(&store, &config, &user.id);
    assert_eq!(totp::secret_base32(&secret), enrolment.secret, "the shown secret is the sealed one");
    let stored = store.rows("SELECT secret_sealed FROM mfa_totp", &[]);
    assert!(!stored[0]["secret_sealed"].as_str().unwrap().contains(&enrolment.secret), "sealed at rest");

    let code = totp::code_at(&secret, totp::step_of(NOW)).unwrap();
    assert!(
        !block_on(check_totp(&store, &config, &user.id, &code, false, NOW)).unwrap(),
        "no sign-in before it counts"
    );
    assert!(block_on(check_totp(&store, &config, &user.id, &code, true, NOW)).unwrap());
    let state = block_on(state(&store, &user.id)).unwrap();
    assert_eq!(state.totp_confirmed_at, Some(NOW));
    // A confirmed app is not replaced by a new enrolment.
    assert!(block_on(begin_totp(&store, &config, &user, &SystemRandom, NOW)).unwrap().is_none());
}

#[test]
fn rfc6238_5_2_a_code_signs_in_once_and_never_after_a_newer_one() {
    let config = config_with(|_| {});
    let store = store_with(&alice());
    let (secret, _) = enrolled(&store, &config);
    let id = alice().id;
    let later = NOW + 60;
    let code = totp::code_at(&secret, totp::step_of(later)).unwrap();
    assert_eq!(block_on(check_code(&store, &config, &id, &code, later)).unwrap(), Some(Proof::Totp));
    assert_eq!(block_on(check_code(&store, &config, &id, &code, later)).unwrap(), None, "replayed");
    let older = totp::code_at(&secret, totp::step_of(later) - 1).unwrap();
    assert_eq!(block_on(check_code(&store, &config, &id, &older, later)).unwrap(), None, "older than the last used");
    let next = totp::code_at(&secret, totp::step_of(later + 30)).unwrap();
    assert_eq!(block_on(check_code(&store, &config, &id, &next, later + 30)).unwrap(), Some(Proof::Totp));
}

#[test]
fn a_backup_code_works_once_and_regenerating_kills_the_old_ones() {
    let config = config_with(|_| {});
    let store = store_with(&alice());
    let (_, codes) = enrolled(&store, &config);
    let id = alice().id;
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{codes:?}");
    let stored = store.rows("SELECT code_hash FROM mfa_backup_codes", &[]);
    assert!(stored.iter().all(|r| !codes.iter().any(|c| r["code_hash"].as_str().unwrap().contains(&c[..5]))));

    let typed = codes[0].to_uppercase();
    assert_eq!(block_on(check_code(&store, &config, &id, &typed, NOW)).unwrap(), Some(Proof::BackupCode));
    assert_eq!(block_on(check_code(&store, &config, &id, &codes[0], NOW)).unwrap(), None, "single use");
    assert_eq!(block_on(state(&store, &id)).unwrap().backup_codes_left, 9);

    let fresh = block_on(regenerate_backup_codes(&store, &config, &id, &SystemRandom, NOW)).unwrap();
    assert_eq!(block_on(check_code(&store, &config, &id, &codes[1], NOW)).unwrap(), None, "old codes died");
    assert_eq!(block_on(check_code(&store, &config, &id, &fresh[1], NOW)).unwrap(), Some(Proof::BackupCode));
}

#[test]
fn a_backup_code_is_bound_to_its_account() {
    let config = config_with(|_| {});
    let store = store_with(&alice());
    let (_, codes) = enrolled(&store, &config);
    let mut bob = alice();
    bob.id = "user-bob".into();
    bob.email = "bob@example.com".into();
    store.insert_user(&bob).unwrap();
    assert_eq!(block_on(check_code(&store, &config, &bob.id, &codes[0], NOW)).unwrap(), None);
}

#[test]
fn removing_the_second_factor_removes_app_and_backup_codes() {
    let config = config_with(|_| {});
    let store = store_with(&alice());
    let (_, codes) = enrolled(&store, &config);
    assert!(block_on(remove(&store, &alice().id, false)).unwrap());
    let state = block_on(state(&store, &alice().id)).unwrap();
    assert_eq!((state.enabled(), state.backup_codes_left), (false, 0));
    assert_eq!(block_on(check_code(&store, &config, &alice().id, &codes[0], NOW)).unwrap(), None);
}

#[test]
fn require_mfa_asks_at_the_first_sign_in_and_the_grace_period_runs_from_there() {
    let config = config_with(|v| {
        v.insert("REQUIRE_MFA", "true".into());
        v.insert("MFA_GRACE_PERIOD_DAYS", "7".into());
    });
    let user = alice();
    let store = store_with(&user);
    let first = block_on(after_password(&store, &config, &user, NOW)).unwrap();
    assert_eq!(first, AfterPassword::EnrolSoon { until: NOW + 7 * 86_400 });
    let later = block_on(after_password(&store, &config, &user, NOW + 6 * 86_400)).unwrap();
    assert_eq!(later, AfterPassword::EnrolSoon { until: NOW + 7 * 86_400 }, "the period does not restart");
    let over = block_on(after_password(&store, &config, &user, NOW + 7 * 86_400)).unwrap();
    assert_eq!(over, AfterPassword::Enrol);
    enrolled(&store, &config);
    assert_eq!(block_on(after_password(&store, &config, &user, NOW + 8 * 86_400)).unwrap(), AfterPassword::Verify);
}

#[test]
fn require_admin_mfa_applies_to_admins_only_and_without_grace_at_once() {
    let config = config_with(|v| {
        v.insert("REQUIRE_ADMIN_MFA", "true".into());
    });
    let user = alice();
    let store = store_with(&user);
    assert_eq!(block_on(after_password(&store, &config, &user, NOW)).unwrap(), AfterPassword::SignIn);
    let mut admin = alice();
    admin.role = Role::Admin;
    assert_eq!(block_on(after_password(&store, &config, &admin, NOW)).unwrap(), AfterPassword::Enrol);
    assert!(required(&config, Role::SuperAdmin));
    assert!(!required(&config_with(|_| {}), Role::SuperAdmin));
}
