//! Sign-in with a second factor against the real schema and an in-memory KV: no session
//! before the code, the code starts one with `otp` and `mfa`, wrong codes count toward the
//! lockout, enrolment confirms and mails, and REQUIRE_MFA's grace period.

use pollster::block_on;
use shared::mfa::SignInStep;

use super::tests::{fixture, fixture_with, Fixture, NOW, PASSWORD};
use crate::engine::identity::mfa::{self, totp};
use crate::engine::identity::sessions;
use crate::engine::identity::signin::pending::Pending;
use crate::engine::identity::signin::{Basis, Proof, SignInOutcome};
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::SystemRandom;

/// Alice, signed up, with an app in force; returns its secret.
fn alice_with_app(f: &Fixture) -> Vec<u8> {
    f.sign_up_verified("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let enrolment = block_on(mfa::begin_totp(&f.store, &f.config, &user, &SystemRandom, NOW)).unwrap().unwrap();
    let secret = data_encoding::BASE32_NOPAD.decode(enrolment.secret.as_bytes()).unwrap();
    let code = totp::code_at(&secret, totp::step_of(NOW)).unwrap();
    assert!(block_on(mfa::check_totp(&f.store, &f.config, &user.id, &code, true, NOW)).unwrap());
    secret
}

fn signed(outcome: SignInOutcome) -> crate::engine::identity::signin::SignedIn {
    match outcome {
        SignInOutcome::SignedIn(done, _) => *done,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn pending(f: &Fixture) -> Pending {
    match block_on(f.accounts().advance(None, Proof::Password { email: "alice@example.com", password: PASSWORD }, None))
        .unwrap()
    {
        SignInOutcome::SecondStep { step: SignInStep::Verify, challenge } => {
            Pending::open(&f.config, &challenge, NOW).expect("the challenge opens")
        }
        other => panic!("expected the second step, got {other:?}"),
    }
}

#[test]
fn a_right_password_starts_no_session_until_the_code_and_the_code_adds_otp_and_mfa() {
    let f = fixture();
    let secret = alice_with_app(&f);
    let challenge = pending(&f);
    let user = f.user("alice@example.com");
    assert!(block_on(sessions::list(&f.store, &f.config, &user.id, NOW)).unwrap().is_empty(), "no session yet");
    assert!(!f.events().contains(&"user.login".to_owned()), "not signed in yet");
    let next = totp::code_at(&secret, totp::step_of(NOW) + 1).unwrap();
    let done = block_on(f.accounts().advance(Some(Basis::Pending(challenge)), Proof::Code(&next), None)).unwrap();
    assert_eq!(signed(done).session.amr, vec!["pwd", "otp", "mfa"]);
    assert!(f.events().contains(&"user.login".to_owned()));
    // A challenge is only good for its lifetime.
    let sealed =
        Pending::new(&user, vec!["pwd".into()], NOW, SignInStep::Verify).seal(&f.config, &SystemRandom).unwrap();
    assert!(Pending::open(&f.config, &sealed, NOW + 599).is_some());
    assert!(Pending::open(&f.config, &sealed, NOW + 600).is_none());
    assert!(Pending::open(&f.config, &format!("{sealed}x"), NOW).is_none(), "tampered");
}

#[test]
fn the_sign_in_challenge_completes_once_and_never_after_a_new_password() {
    let f = fixture();
    let secret = alice_with_app(&f);
    let code = |step: i64| totp::code_at(&secret, totp::step_of(NOW) + step).unwrap();
    let challenge = pending(&f);
    let copy = challenge.clone();
    signed(block_on(f.accounts().advance(Some(Basis::Pending(challenge)), Proof::Code(&code(1)), None)).unwrap());
    // A copy of the cookie taken from the browser: the account signed in since it was issued.
    let replayed = block_on(f.accounts().advance(Some(Basis::Pending(copy)), Proof::Code(&code(2)), None)).unwrap_err();
    assert_eq!(replayed.code(), "mfa_challenge_expired");
    // A new password between the two steps spends the challenge too.
    let challenge = pending(&f);
    let user = f.user("alice@example.com");
    block_on(f.accounts().store_new_password(&user, "An0ther-long-passphrase!", None)).unwrap();
    let after =
        block_on(f.accounts().advance(Some(Basis::Pending(challenge)), Proof::Code(&code(0)), None)).unwrap_err();
    assert_eq!(after.code(), "mfa_challenge_expired");
    assert_eq!(f.events().iter().filter(|e| *e == "user.login").count(), 1, "one sign-in, not two");
}

#[test]
fn wrong_codes_count_toward_the_lockout_and_a_locked_account_cannot_finish() {
    let f = fixture_with(|v| {
        v.insert("LOCKOUT_THRESHOLD", "3".into());
    });
    let secret = alice_with_app(&f);
    for _ in 0..3 {
        let err =
            block_on(f.accounts().advance(Some(Basis::Pending(pending(&f))), Proof::Code("000000"), None)).unwrap_err();
        assert_eq!(err.code(), "invalid_code");
    }
    assert_eq!(f.events().iter().filter(|e| *e == "mfa.challenge_failed").count(), 3);
    assert!(f.events().contains(&"user.locked".to_owned()));
    let challenge = Pending::new(&f.user("alice@example.com"), vec!["pwd".into()], NOW, SignInStep::Verify);
    let next = totp::code_at(&secret, totp::step_of(NOW) + 1).unwrap();
    let err = block_on(f.accounts().advance(Some(Basis::Pending(challenge)), Proof::Code(&next), None)).unwrap_err();
    assert_eq!(err.code(), "invalid_credentials", "locked: even the right code does not finish the sign-in");
}

#[test]
fn confirming_an_app_mails_mfa_enabled_and_answers_ten_backup_codes_once() {
    let f = fixture();
    f.sign_up_verified("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    let (cookie, session) = f.session_for(&user);
    let basis = || Basis::Session(session.clone());
    let enrolment = block_on(f.accounts().begin_totp(&basis())).unwrap();
    let secret = data_encoding::BASE32_NOPAD.decode(enrolment.secret.as_bytes()).unwrap();
    let wrong = block_on(f.accounts().confirm_totp(basis(), "123456", Some(&cookie))).unwrap_err();
    assert_eq!(wrong.code(), "invalid_code");
    let code = totp::code_at(&secret, totp::step_of(NOW)).unwrap();
    let (codes, renewed) = block_on(f.accounts().confirm_totp(basis(), &code, Some(&cookie))).unwrap();
    assert_eq!(codes.len(), 10);
    let renewed = signed(renewed).session;
    assert_eq!(renewed.amr, vec!["pwd", "otp", "mfa"], "the session now counts two factors");
    assert!(f.outbox().iter().any(|m| m.template == "mfa-enabled"));
    assert!(f.events().contains(&"mfa.enabled".to_owned()));
    let again = block_on(f.accounts().begin_totp(&Basis::Session(renewed))).unwrap_err();
    assert_eq!(again.code(), "mfa_already_enabled");
    // A password-only session may not change the factors of an account that has one.
    assert_eq!(block_on(f.accounts().begin_totp(&basis())).unwrap_err().code(), "reauthentication_required");
}

#[test]
fn require_mfa_with_a_grace_period_signs_in_and_asks_after_it_enrols_first() {
    let f = fixture_with(|v| {
        v.insert("REQUIRE_MFA", "true".into());
        v.insert("MFA_GRACE_PERIOD_DAYS", "2".into());
    });
    f.sign_up_verified("alice@example.com").unwrap();
    let soon =
        block_on(f.accounts().advance(None, Proof::Password { email: "alice@example.com", password: PASSWORD }, None))
            .unwrap();
    assert!(matches!(soon, SignInOutcome::SignedIn(_, Some(SignInStep::EnrolSoon))), "{soon:?}");
    let later = block_on(f.at(NOW + 2 * 86_400).advance(
        None,
        Proof::Password { email: "alice@example.com", password: PASSWORD },
        None,
    ))
    .unwrap();
    assert!(matches!(later, SignInOutcome::SecondStep { step: SignInStep::Enrol, .. }), "{later:?}");
    // Someone already signed in cannot turn a required second factor off.
    let disable = block_on(f.accounts().disable_mfa(
        &sessions::Session {
            id_hash: "x".into(),
            user_id: f.user("alice@example.com").id,
            auth_time: NOW,
            auth_time_ms: None,
            amr: vec!["pwd".into()],
            created_at: NOW,
            last_seen_at: NOW,
            expires_at: NOW + 60,
            ip_address: None,
            user_agent: None,
            location: None,
        },
        "123456",
    ));
    assert_eq!(disable.unwrap_err().code(), "mfa_required", "a required second factor is not turned off");
}

#[test]
fn an_expired_password_is_changed_before_the_session_and_after_the_second_factor() {
    let f = fixture_with(|v| {
        v.insert("PASSWORD_EXPIRY_DAYS", "1".into());
        v.insert("PASSWORD_EXPIRY_WARNING_DAYS", "0".into());
    });
    let secret = alice_with_app(&f);
    let later = NOW + 2 * 86_400;
    // The password alone leads to the code, not to the change.
    let Ok(SignInOutcome::SecondStep { step: SignInStep::Verify, challenge }) =
        block_on(f.at(later).advance(None, Proof::Password { email: "alice@example.com", password: PASSWORD }, None))
    else {
        panic!("the second factor comes first");
    };
    let challenge = Pending::open(&f.config, &challenge, later).unwrap();
    let code = totp::code_at(&secret, totp::step_of(later)).unwrap();
    let Ok(SignInOutcome::SecondStep { step: SignInStep::ChangePassword, challenge }) =
        block_on(f.at(later).advance(Some(Basis::Pending(challenge)), Proof::Code(&code), None))
    else {
        panic!("then the expired password's change");
    };
    let challenge = Pending::open(&f.config, &challenge, later).unwrap();
    assert_eq!(challenge.amr, vec!["pwd", "otp", "mfa"], "the change keeps the factors shown");
    let same =
        block_on(f.at(later).advance(Some(Basis::Pending(challenge.clone())), Proof::NewPassword(PASSWORD), None))
            .unwrap_err();
    assert_eq!(same.code(), "validation_error", "the expired password is not new");
    let done = block_on(f.at(later).advance(
        Some(Basis::Pending(challenge)),
        Proof::NewPassword("a fresh passphrase here"),
        None,
    ))
    .unwrap();
    assert_eq!(signed(done).session.amr, vec!["pwd", "otp", "mfa"]);
    let events = f.events();
    assert!(events.contains(&"password.expired".to_owned()) && events.contains(&"password.changed".to_owned()));
}

#[test]
fn a_password_expiring_soon_signs_in_and_offers_the_change() {
    let f = fixture_with(|v| {
        v.insert("PASSWORD_EXPIRY_DAYS", "10".into());
        v.insert("PASSWORD_EXPIRY_WARNING_DAYS", "3".into());
        v.insert("PASSWORD_EXPIRY_GRACE_DAYS", "2".into());
    });
    f.sign_up_verified("alice@example.com").unwrap();
    let day = 86_400;
    let step_at = |t| match block_on(f.at(t).advance(
        None,
        Proof::Password { email: "alice@example.com", password: PASSWORD },
        None,
    ))
    .unwrap()
    {
        SignInOutcome::SignedIn(_, step) => step,
        SignInOutcome::SecondStep { step, .. } => Some(step),
    };
    assert_eq!(step_at(NOW + 6 * day), None);
    assert_eq!(step_at(NOW + 7 * day), Some(SignInStep::ChangePasswordSoon), "the warning days");
    assert_eq!(step_at(NOW + 11 * day), Some(SignInStep::ChangePasswordSoon), "the grace days");
    assert_eq!(step_at(NOW + 12 * day), Some(SignInStep::ChangePassword), "then it is required");
}

#[test]
fn nist_800_63b_6_1_a_change_to_how_one_signs_in_needs_a_recent_sign_in_and_confirming_gives_one() {
    let f = fixture();
    let secret = alice_with_app(&f);
    let user = f.user("alice@example.com");
    // A session of an account with an app that did not show the code, and an old one.
    let (cookie, password_only) = f.session_for(&user);
    let later = f.at(NOW + 301);
    let refused = block_on(later.require_recent_sign_in(&password_only, &user)).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (403, "reauthentication_required"));
    let wrong = block_on(later.confirm_identity(&password_only, &user, "not the password", None, Some(&cookie)));
    assert_eq!(wrong.unwrap_err().code(), "invalid_credentials");
    let no_code = block_on(later.confirm_identity(&password_only, &user, PASSWORD, None, Some(&cookie)));
    assert_eq!(no_code.unwrap_err().code(), "invalid_code", "the account has an app: its code too");
    let code = totp::code_at(&secret, totp::step_of(NOW + 301)).unwrap();
    let fresh = block_on(later.confirm_identity(&password_only, &user, PASSWORD, Some(&code), Some(&cookie))).unwrap();
    assert_eq!(fresh.session.amr, vec!["pwd", "otp", "mfa"]);
    block_on(later.require_recent_sign_in(&fresh.session, &user)).unwrap();
    assert!(block_on(f.at(NOW + 301 + 300).require_recent_sign_in(&fresh.session, &user)).is_err(), "for a while");
    assert!(f.events().contains(&"session.reauthenticated".to_owned()));
    assert!(f.events().contains(&"session.reauthentication_failed".to_owned()), "a wrong password is audited");
}

#[test]
fn a_mailed_link_that_proves_the_address_drops_provider_links_made_before_it() {
    use crate::engine::platform::ports::SqlRunner;
    use crate::engine::tables::social_identities;
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let user = f.user("alice@example.com");
    // Linked while the address was unproven (a social sign-up with verification off).
    let link = social_identities::link("corp", "attacker-sub", &user.id, Some("alice@example.com"), None, NOW);
    assert_eq!(block_on(f.store.exec(link)).unwrap(), 1);
    let token = {
        let text = &f.outbox()[0].text;
        let start = text.find("token=").unwrap() + "token=".len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    };
    let answer = block_on(f.accounts().verify_email(&token)).unwrap();
    assert!(answer.message.contains("corp was linked before your address was confirmed"), "{}", answer.message);
    let left = f.store.rows("SELECT COUNT(*) AS n FROM social_identities", &[]);
    assert_eq!(left[0]["n"], 0);
    assert!(f.events().contains(&"social_account_unlinked".to_owned()));
    // A link made once the address is proven stays through a later proof.
    let later = social_identities::link("corp", "alice-sub", &user.id, None, None, NOW);
    assert_eq!(block_on(f.store.exec(later)).unwrap(), 1);
    assert_eq!(block_on(f.accounts().drop_unproven_links(&user.id)).unwrap(), None);
}

#[test]
fn a_provider_sign_in_honours_the_lock_and_email_verification_required() {
    let f = fixture();
    f.sign_up("alice@example.com").unwrap();
    let unverified = f.user("alice@example.com");
    let federated = |user: crate::engine::identity::users::User| {
        block_on(f.accounts().advance(None, Proof::Federated { user: Box::new(user), provider: "corp" }, None))
    };
    assert_eq!(federated(unverified.clone()).unwrap_err().code(), "email_not_verified");
    let mut locked = unverified;
    locked.email_verified = true;
    locked.locked_until = Some(NOW + 60);
    assert_eq!(federated(locked.clone()).unwrap_err().code(), "social_login_refused");
    locked.locked_until = None;
    assert!(matches!(federated(locked).unwrap(), SignInOutcome::SignedIn(..)));
}
