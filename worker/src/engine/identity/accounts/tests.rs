//! Sign-up, verification, reset and account changes against the real schema (SQLite) and
//! an in-memory KV, named after the behaviour users rely on.

use std::collections::HashMap;

use pollster::block_on;
use shared::account::{ChangePassword, PasswordResetComplete, ProfileUpdate, SignUpRequest};

use super::*;
use crate::engine::identity::login::{verify_account, LoginContext, LoginError};
use crate::engine::identity::mail::{Mail, MailStore};
use crate::engine::oauth::consent::ConsentStore;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::config::MailProvider;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::platform::request::RequestContext;
use crate::engine::test_support::{context_of, dev_vars, NativePlatform, TestOutbound};
use crate::native::MemoryKv;
use crate::native::SqliteStore;

pub(super) const NOW: UnixTime = 1_795_000_000;
pub(super) const PASSWORD: &str = "correct horse battery";

pub(super) struct Fixture {
    pub(super) config: Config,
    pub(super) store: SqliteStore,
    pub(super) kv: MemoryKv,
    transport: TestOutbound,
    pub(super) meta: RequestMeta,
}

pub(super) fn fixture_with(change: impl FnOnce(&mut HashMap<&'static str, String>)) -> Fixture {
    let mut vars = dev_vars();
    change(&mut vars);
    Fixture {
        config: Config::load(&|name: &'static str| vars.get(name).cloned()).unwrap(),
        store: SqliteStore::open_in_memory().unwrap(),
        kv: MemoryKv::default(),
        transport: TestOutbound::default(),
        meta: RequestMeta {
            ip_address: Some("203.0.113.9".into()),
            user_agent: Some("Firefox".into()),
            location: None,
        },
    }
}

pub(super) fn fixture() -> Fixture {
    fixture_with(|_| {})
}

impl Fixture {
    pub(super) fn at(&self, now: UnixTime) -> Accounts<'_, NativePlatform> {
        Accounts {
            rc: RequestContext {
                outbound: &self.transport,
                ..context_of(&self.config, &self.store, &self.kv, &self.meta, now)
            },
        }
    }

    pub(super) fn accounts(&self) -> Accounts<'_, NativePlatform> {
        self.at(NOW)
    }

    pub(super) fn outbox(&self) -> Vec<Mail> {
        block_on(self.store.outbox(100, 0)).unwrap().0
    }

    /// The token of the newest mail's link (`...?token=X`).
    fn link_token(&self) -> String {
        let text = &self.outbox()[0].text;
        let start = text.find("token=").unwrap() + "token=".len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    pub(super) fn events(&self) -> Vec<String> {
        self.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect()
    }

    pub(super) fn sign_up(&self, email: &str) -> Result<shared::account::Message, ApiError> {
        let request =
            SignUpRequest { email: email.into(), password: PASSWORD.into(), name: Some("Alice".into()), locale: None };
        block_on(self.accounts().sign_up(&request))
    }

    /// A sign-up whose mailed link was followed: an account that may sign in.
    pub(super) fn sign_up_verified(&self, email: &str) -> Result<(), ApiError> {
        self.sign_up(email)?;
        block_on(self.accounts().verify_email(&self.link_token()))?;
        Ok(())
    }

    fn login(&self, email: &str, password: &str) -> Result<User, LoginError> {
        let cx = LoginContext { config: &self.config, meta: &self.meta, now: NOW, method: "browser", client_id: None };
        let account = block_on(self.store.user_by_email(email.trim())).map_err(LoginError::Internal)?;
        block_on(verify_account(&self.store, &SystemRandom, &cx, account, password))
    }

    /// A password session for `user` started now, as a sign-in would: (cookie, session).
    pub(super) fn session_for(&self, user: &User) -> (String, Session) {
        block_on(sessions::start(&self.accounts().rc, &["pwd"], &user.id, Vec::new())).unwrap()
    }

    pub(super) fn user(&self, email: &str) -> User {
        block_on(self.store.user_by_email(email)).unwrap().unwrap()
    }
}

#[test]
fn sign_up_creates_an_unverified_account_and_mails_a_verification_link_that_works_once() {
    let f = fixture();
    let answer = f.sign_up("alice@example.com").unwrap();
    assert!(answer.message.contains("alice@example.com"));
    let user = f.user("alice@example.com");
    assert!(!user.email_verified);
    assert_eq!(user.name.as_deref(), Some("Alice"));
    assert!(user.password_hash.as_deref().unwrap().starts_with("$argon2id$"), "hashed at rest");
    let mails = f.outbox();
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].template.as_str(), mails[0].to.as_str()), ("verification", "alice@example.com"));
    assert_eq!(mails[0].status, "logged", "EMAIL_PROVIDER=log keeps it in the outbox");
    assert!(mails[0].text.contains("http://127.0.0.1:8787/verify-email?token="));

    let token = f.link_token();
    block_on(f.accounts().verify_email(&token)).unwrap();
    assert!(f.user("alice@example.com").email_verified);
    assert_eq!(f.outbox()[0].template, "welcome", "newest first");
    let again = block_on(f.accounts().verify_email(&token)).unwrap_err();
    assert_eq!((again.status(), again.code()), (400, "invalid_token"), "single use");
    assert_eq!(f.events(), ["user.signup", "email.verified"]);
}

#[test]
fn a_verification_link_for_an_address_the_account_no_longer_has_verifies_nothing() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let token = f.link_token();
    let user = f.user("alice@example.com");
    f.store.change_email(&user.id, "alice@new.example.com").unwrap();
    let e = block_on(f.accounts().verify_email(&token)).unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert!(!f.user("alice@new.example.com").email_verified);
}

#[test]
fn verification_links_expire_after_email_verification_ttl() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let token = f.link_token();
    let late = NOW + i64::from(f.config.tokens.email_verification_ttl);
    assert_eq!(block_on(f.at(late).verify_email(&token)).unwrap_err().code(), "invalid_token");
    assert!(!f.user("alice@example.com").email_verified);
}

#[test]
fn sign_up_checks_the_address_and_the_password_policy_field_by_field() {
    let f = fixture();
    let request = SignUpRequest { email: "not-an-address".into(), password: "short".into(), name: None, locale: None };
    let e = block_on(f.accounts().sign_up(&request)).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, "validation_error"));
    let fields: Vec<(String, String)> = e.details().into_iter().map(|d| (d.field, d.message)).collect();
    assert_eq!(
        fields,
        [
            ("email".to_owned(), "Email format is invalid".to_owned()),
            ("password".to_owned(), "Password must be at least 12 characters".to_owned())
        ]
    );
    assert!(f.outbox().is_empty(), "nothing changed");
    assert!(f.events().is_empty());
}

#[test]
fn a_taken_address_gets_the_same_answer_when_hide_email_existence_is_on() {
    let f = fixture();
    let first = f.sign_up("alice@example.com").unwrap();
    let second = f.sign_up("alice@example.com").unwrap();
    assert_eq!(first, second.clone(), "no way to tell the address has an account");
    assert_eq!(f.outbox().len(), 1, "no second mail");
    assert_eq!(f.events(), ["user.signup", "user.signup_failed"]);

    let open = fixture_with(|v| {
        v.insert("HIDE_EMAIL_EXISTENCE", "false".into());
    });
    open.sign_up("alice@example.com").unwrap();
    let e = open.sign_up("alice@example.com").unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "email_taken"));
}

#[test]
fn email_verification_required_blocks_sign_in_until_the_link_is_followed() {
    let f = fixture_with(|v| {
        v.insert("EMAIL_VERIFICATION_REQUIRED", "true".into());
    });
    f.sign_up("alice@example.com").unwrap();
    assert_eq!(f.login("alice@example.com", PASSWORD).unwrap_err(), LoginError::EmailNotVerified);
    block_on(f.accounts().verify_email(&f.link_token())).unwrap();
    assert!(f.login("alice@example.com", PASSWORD).is_ok());
}

#[test]
fn a_reset_link_sets_a_new_password_once_and_the_old_one_stops_working() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let answer = block_on(f.accounts().request_password_reset("Alice@Example.com")).unwrap();
    assert_eq!(answer.message, RESET_REQUESTED);
    let mail = &f.outbox()[0];
    assert_eq!((mail.template.as_str(), mail.subject.as_str()), ("password-reset", "Reset your password"));
    assert!(mail.text.contains("/reset-password?token="));
    assert!(mail.text.contains("This link expires in 60 minutes."));
    let token = f.link_token();

    // A password the policy refuses does not spend the link.
    let weak = PasswordResetComplete { token: token.clone(), password: "short".into() };
    assert_eq!(block_on(f.accounts().complete_password_reset(&weak)).unwrap_err().code(), "validation_error");
    let good = PasswordResetComplete { token: token.clone(), password: "a brand new passphrase".into() };
    block_on(f.accounts().complete_password_reset(&good)).unwrap();

    assert!(f.login("alice@example.com", "a brand new passphrase").is_ok());
    assert_eq!(f.login("alice@example.com", PASSWORD).unwrap_err(), LoginError::Invalid);
    assert!(f.user("alice@example.com").email_verified, "receiving the link proves the mailbox");
    let again = PasswordResetComplete { token, password: "yet another passphrase".into() };
    assert_eq!(block_on(f.accounts().complete_password_reset(&again)).unwrap_err().code(), "invalid_token");
    let events = f.events();
    assert!(events.contains(&"password.reset_requested".to_owned()) && events.contains(&"password.reset".to_owned()));
}

#[test]
fn a_reset_ends_every_session_of_the_account() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    f.session_for(&user);
    f.session_for(&user);
    assert_eq!(block_on(sessions::list(&f.store, &f.config, &user.id, NOW)).unwrap().len(), 2);
    block_on(f.accounts().request_password_reset("alice@example.com")).unwrap();
    let reset = PasswordResetComplete { token: f.link_token(), password: "a brand new passphrase".into() };
    block_on(f.accounts().complete_password_reset(&reset)).unwrap();
    assert!(block_on(sessions::list(&f.store, &f.config, &user.id, NOW)).unwrap().is_empty());
}

#[test]
fn only_the_newest_reset_link_works() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    block_on(f.accounts().request_password_reset("alice@example.com")).unwrap();
    let older = f.link_token();
    block_on(f.accounts().request_password_reset("alice@example.com")).unwrap();
    let newer = f.link_token();
    assert_ne!(older, newer);
    let with = |token: &str| PasswordResetComplete { token: token.into(), password: "a brand new passphrase".into() };
    assert_eq!(block_on(f.accounts().complete_password_reset(&with(&older))).unwrap_err().code(), "invalid_token");
    block_on(f.accounts().complete_password_reset(&with(&newer))).unwrap();
}

#[test]
fn reset_requests_for_unknown_addresses_look_the_same_unless_existence_may_show() {
    let f = fixture();
    let answer = block_on(f.accounts().request_password_reset("nobody@example.com")).unwrap();
    assert_eq!(answer.message, RESET_REQUESTED);
    assert!(f.outbox().is_empty());

    let open = fixture_with(|v| {
        v.insert("HIDE_EMAIL_EXISTENCE", "false".into());
    });
    let e = block_on(open.accounts().request_password_reset("nobody@example.com")).unwrap_err();
    assert_eq!((e.status(), e.code()), (404, "user_not_found"));
}

#[test]
fn hide_email_existence_known_and_unknown_addresses_answer_before_any_write() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let (mails, events) = (f.outbox().len(), f.events().len());
    let (known, later) = block_on(f.accounts().request_password_reset_answer("alice@example.com")).unwrap();
    let (unknown, nothing) = block_on(f.accounts().request_password_reset_answer("nobody@example.com")).unwrap();
    assert_eq!(known, unknown, "the same answer");
    assert_eq!((f.outbox().len(), f.events().len()), (mails, events), "and nothing written yet for either");
    assert_eq!(nothing, Followup::Nothing);
    assert!(matches!(later, Followup::Reset(_)));
    block_on(f.accounts().follow_up(later)).unwrap();
    assert_eq!(f.outbox()[0].template, "password-reset", "written after the answer");

    let taken =
        SignUpRequest { email: "alice@example.com".into(), password: PASSWORD.into(), name: None, locale: None };
    let fresh = SignUpRequest { email: "bob@example.com".into(), password: PASSWORD.into(), name: None, locale: None };
    let (_, taken_later) = block_on(f.accounts().sign_up_answer(&taken)).unwrap();
    let (_, fresh_later) = block_on(f.accounts().sign_up_answer(&fresh)).unwrap();
    assert_eq!(taken_later, Followup::SignUpTaken);
    assert!(matches!(fresh_later, Followup::SignedUp(_)), "the only write before answering is the user row, for both");
}

#[test]
fn reset_mails_are_rate_limited_per_address() {
    let f = fixture();
    let (max, _) = f.config.rate_limits.password_reset;
    for _ in 0..max {
        block_on(f.accounts().request_password_reset("nobody@example.com")).unwrap();
    }
    let e = block_on(f.accounts().request_password_reset("NOBODY@example.com")).unwrap_err();
    assert_eq!((e.status(), e.code()), (429, "rate_limit_exceeded"));
    assert!(e.retry_after().is_some());
    block_on(f.accounts().request_password_reset("somebody@example.com")).unwrap();
}

#[test]
fn changing_the_password_needs_the_current_one_and_signs_out_other_sessions() {
    let f = fixture();
    f.sign_up_verified("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let (_, here) = f.session_for(&user);
    f.session_for(&user);

    let wrong = ChangePassword { current_password: "guess guess guess".into(), new_password: "short".into() };
    let e = block_on(f.accounts().change_password(&user, &here, &wrong)).unwrap_err();
    let fields: Vec<String> = e.details().into_iter().map(|d| d.field).collect();
    assert_eq!(fields, ["current_password", "new_password"]);
    assert!(f.login("alice@example.com", PASSWORD).is_ok(), "nothing changed");

    let right = ChangePassword { current_password: PASSWORD.into(), new_password: "another good passphrase".into() };
    block_on(f.accounts().change_password(&user, &here, &right)).unwrap();
    assert!(f.login("alice@example.com", "another good passphrase").is_ok());
    let left = block_on(sessions::list(&f.store, &f.config, &user.id, NOW)).unwrap();
    assert_eq!(left.iter().map(|s| s.id_hash.clone()).collect::<Vec<_>>(), [here.id_hash], "only this browser");
    assert!(f.events().contains(&"password.changed".to_owned()));
}

#[test]
fn profile_updates_keep_absent_fields_and_clear_empty_ones() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let update = ProfileUpdate { given_name: Some("Alice".into()), locale: Some("en-GB".into()), ..Default::default() };
    block_on(f.accounts().update_profile(&user, &update)).unwrap();
    let stored = f.user("alice@example.com");
    assert_eq!(stored.name.as_deref(), Some("Alice"), "absent: kept");
    assert_eq!(stored.given_name.as_deref(), Some("Alice"));
    assert_eq!(stored.locale.as_deref(), Some("en-GB"));
    block_on(f.accounts().update_profile(&stored, &ProfileUpdate { name: Some(String::new()), ..Default::default() }))
        .unwrap();
    assert_eq!(f.user("alice@example.com").name, None, "empty: cleared");
    let bad = ProfileUpdate { locale: Some("en_GB!".into()), ..Default::default() };
    assert_eq!(block_on(f.accounts().update_profile(&stored, &bad)).unwrap_err().details()[0].field, "locale");
}

#[test]
fn revoking_a_consent_makes_the_app_ask_again_and_is_audited() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let client = crate::engine::test_support::confidential(crate::engine::clients::AuthMethod::ClientSecretBasic);
    block_on(crate::engine::clients::ClientStore::ensure_client(&f.store, &client, None, NOW)).unwrap();
    block_on(f.store.save_consent(&user.id, &client.client_id, &["openid".into(), "email".into()], NOW)).unwrap();
    let listed = block_on(f.store.consents_of(&user.id)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].scopes, ["openid", "email"]);
    assert_eq!(listed[0].client_name, client.client_name);

    block_on(f.accounts().revoke_consent(&user, &client.client_id)).unwrap();
    assert!(block_on(f.store.consent(&user.id, &client.client_id)).unwrap().is_none());
    assert_eq!(
        block_on(f.accounts().revoke_consent(&user, &client.client_id)).unwrap_err(),
        ApiError::Missing("consent")
    );
    assert!(f.events().contains(&"consent.revoked".to_owned()));
}

#[test]
fn a_sign_in_from_a_new_browser_mails_new_login_but_not_the_first_or_a_known_one() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let session_with = |agent: &str| {
        let meta =
            RequestMeta { ip_address: Some("198.51.100.7".into()), user_agent: Some(agent.into()), location: None };
        block_on(sessions::start(&context_of(&f.config, &f.store, &f.kv, &meta, NOW), &["pwd"], &user.id, Vec::new()))
            .unwrap()
            .1
    };
    let count = || f.outbox().iter().filter(|m| m.template == "new-login").count();
    block_on(f.accounts().notice_sign_in(&user, &session_with("Firefox"))).unwrap();
    assert_eq!(count(), 0, "the first browser ever");
    block_on(f.accounts().notice_sign_in(&user, &session_with("Firefox"))).unwrap();
    assert_eq!(count(), 0, "a known browser");
    block_on(f.accounts().notice_sign_in(&user, &session_with("Chrome on Android"))).unwrap();
    assert_eq!(count(), 1);
    let mail = &f.outbox()[0];
    assert!(mail.text.contains("198.51.100.7") && mail.text.contains("Chrome on Android"));
}

#[test]
fn the_http_provider_posts_each_mail_and_records_failures_without_failing_the_request() {
    let mut f = fixture_with(|v| {
        v.insert("EMAIL_PROVIDER", "http".into());
        v.insert("EMAIL_API_URL", "https://mail.example.net/emails".into());
        v.insert("EMAIL_API_KEY", "re_test_key".into());
    });
    assert!(matches!(f.config.mail.provider, MailProvider::Http { .. }));
    f.sign_up("alice@example.com").unwrap();
    let posted = f.transport.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].0, "https://mail.example.net/emails");
    let body: serde_json::Value = serde_json::from_str(&posted[0].1).unwrap();
    assert_eq!(body["from"], "Authority <noreply@example.com>");
    assert_eq!(body["to"][0], "alice@example.com");
    assert_eq!(body["subject"], "Verify your email address");
    assert_eq!(f.outbox()[0].status, "sent");
    // The person gets the working link; the outbox keeps it without its token.
    let sent = body["text"].as_str().unwrap();
    let token = sent.split("verify-email?token=").nth(1).unwrap().lines().next().unwrap();
    assert_eq!(token.len(), 43, "{sent}");
    let stored = &f.outbox()[0];
    assert!(stored.text.contains("verify-email?token=REDACTED") && !stored.text.contains(token));
    assert!(!stored.html.contains(token));

    f.transport.fail = true;
    block_on(f.accounts().request_password_reset("alice@example.com")).unwrap();
    // The request succeeds; the mail waits for its next attempt (engine::delivery).
    let failed = &f.outbox()[0];
    assert_eq!(failed.status, "pending");
    assert_eq!(failed.last_error.as_deref(), Some("https://mail.example.net/emails answered HTTP 502"));
    let keys: Vec<String> = f.transport.posted.lock().unwrap().iter().map(|(_, key, _)| key.clone()).collect();
    assert_eq!(
        keys,
        [f.outbox()[1].id.clone(), f.outbox()[0].id.clone()],
        "each post's Idempotency-Key is its mail's id"
    );
}

#[test]
fn utc_times_in_mail_are_civil_dates() {
    assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc_time(951_782_400), "2000-02-29 00:00 UTC");
    assert_eq!(utc_time(1_795_000_000 + 3_600 * 5 + 60 * 7), "2026-11-18 16:13 UTC");
}

#[test]
fn password_history_count_refuses_recent_passwords_on_change_and_on_reset_without_spending_the_link() {
    use crate::engine::identity::password_history::REUSED;
    let f = fixture_with(|v| {
        v.insert("PASSWORD_HISTORY_COUNT", "3".into());
    });
    f.sign_up("alice@example.com").unwrap();
    let change = |from: &str, to: &str| {
        let user = f.user("alice@example.com");
        let (_, here) = f.session_for(&user);
        let request = ChangePassword { current_password: from.into(), new_password: to.into() };
        block_on(f.accounts().change_password(&user, &here, &request))
    };
    let refused = |r: Result<(), ApiError>| {
        let details = r.unwrap_err().details();
        details.len() == 1 && details[0].message == REUSED
    };
    let (second, third, fourth) = ("a second passphrase", "a third passphrase", "a fourth passphrase");
    assert!(refused(change(PASSWORD, PASSWORD)), "the current password counts");
    change(PASSWORD, second).unwrap();
    assert!(refused(change(second, PASSWORD)));
    change(second, third).unwrap();
    change(third, fourth).unwrap();
    // The last three are fourth (current), third and second; the first is free again (the
    // reset below sets it).
    assert!(refused(change(fourth, second)));
    let rows = f.store.rows("SELECT password_hash FROM password_history", &[]);
    assert_eq!(rows.len(), 2, "only the two before the current one are kept");

    block_on(f.accounts().request_password_reset("alice@example.com")).unwrap();
    let token = f.link_token();
    let reuse = PasswordResetComplete { token: token.clone(), password: third.into() };
    let e = block_on(f.accounts().complete_password_reset(&reuse)).unwrap_err();
    assert_eq!(e.details()[0].message, REUSED);
    let fresh = PasswordResetComplete { token, password: PASSWORD.into() };
    block_on(f.accounts().complete_password_reset(&fresh)).unwrap();
    assert!(f.login("alice@example.com", PASSWORD).is_ok(), "the link still worked after the refusal");
}
