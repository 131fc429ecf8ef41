//! A code prepared before the decision (`issue::prepare_code`) and stored in the batch
//! that reads the session's user and consent (`store::user_consent_and_code`): made only
//! when nothing but consent and the account can still stop it, stored only for a live
//! session of an active user, and handed out as the code of the response.

use super::issue::{prepare_code, Issuer, PreparedCode};
use super::*;
use crate::engine::clients::Client;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::sessions::Session;
use crate::engine::oauth::codes::CodeStore;
use crate::engine::oauth::store::user_consent_and_code;
use crate::engine::platform::ports::{SqlRunner, SystemRandom};
use crate::engine::test_support::*;

fn prepared(client: &Client, q: &str, session: &Session) -> Option<PreparedCode> {
    let config = all_flows_config();
    let request =
        request::parse(&query(q), Some(client), &[], &config, NOW * 1000, request::Via::FrontChannel).unwrap();
    prepare_code(&config, &request, client, session, false, &SystemRandom, NOW).unwrap()
}

fn code_request(extra: &str) -> String {
    format!("{BASE}&response_type=code&scope=openid+email&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}")
}

#[test]
fn a_code_is_prepared_only_when_consent_and_the_account_are_all_that_can_stop_it() {
    let live = session(NOW - 60);
    let code = prepared(&web_app(), &code_request(""), &live).expect("a returning person's code request");
    assert_eq!((code.row.scope.as_str(), code.row.user_id.as_str()), ("openid email", live.user_id.as_str()));
    assert_eq!(code.row.code_hash, hash_token(&code.plaintext));
    assert_eq!(code.row.session_id.as_deref(), Some(live.id_hash.as_str()));
    // OIDC Core §3.1.2.1: prompt=login and an exceeded max_age need the sign-in screen.
    assert!(prepared(&web_app(), &code_request("&prompt=login"), &live).is_none());
    assert!(prepared(&web_app(), &code_request("&max_age=10"), &live).is_none());
    assert!(prepared(&web_app(), &code_request("&prompt=select_account"), &live).is_none());
    // The multi-factor level needs the second factor first.
    let multi_factor = code_request(&format!("&acr_values={}", urlencode(shared::mfa::ACR_MULTI_FACTOR)));
    assert!(prepared(&web_app(), &multi_factor, &live).is_none());
    // No code in the response at all.
    let implicit = format!("{BASE}&response_type=id_token&scope=openid&nonce=n");
    assert!(prepared(&web_app(), &implicit, &live).is_none());
    // What a user gets of `admin` depends on the role, read in the same batch.
    let mut client = web_app();
    client.scopes.push("admin".into());
    let admin = code_request("").replace("scope=openid+email", "scope=openid+admin");
    assert!(prepared(&client, &admin, &live).is_none());
}

fn store_session(f: &CodeFlow, live: &Session) {
    let sql = "INSERT INTO sessions (id_hash, user_id, auth_time, created_at, last_seen_at, expires_at) \
               VALUES (?1, ?2, ?3, ?3, ?3, ?4)";
    let args =
        [live.id_hash.as_str().into(), live.user_id.as_str().into(), live.auth_time.into(), live.expires_at.into()];
    pollster::block_on(f.store.execute(sql, &args)).unwrap();
}

fn stored(f: &CodeFlow, code: &PreparedCode) -> bool {
    pollster::block_on(f.store.code_with_user(&code.row.code_hash)).unwrap().is_some()
}

#[test]
fn a_prepared_code_is_stored_only_for_a_live_session_of_an_active_user() {
    let f = code_flow();
    let live = session(NOW - 60);
    let batch = |code: &PreparedCode| {
        pollster::block_on(user_consent_and_code(&f.store, &live, "web", Some(&code.row))).unwrap()
    };
    // No session row (signed out elsewhere): no user, no code.
    let code = prepared(&web_app(), &code_request(""), &live).unwrap();
    assert!(batch(&code).0.is_none());
    assert!(!stored(&f, &code));
    // A live session: the user, and the code stored with it in the same batch.
    store_session(&f, &live);
    let code = prepared(&web_app(), &code_request(""), &live).unwrap();
    assert_eq!(batch(&code).0.map(|u| u.id), Some(alice().id));
    assert!(stored(&f, &code));
    // Not handed out (say the consent screen comes first): discarded.
    pollster::block_on(f.store.discard_code(&code.row.code_hash)).unwrap();
    assert!(!stored(&f, &code));
    // A deactivated account: the user comes back inactive and nothing is stored.
    f.store.deactivate_user(&alice().id).unwrap();
    let code = prepared(&web_app(), &code_request(""), &live).unwrap();
    assert!(batch(&code).0.is_some_and(|u| !u.active));
    assert!(!stored(&f, &code));
}

#[test]
fn rfc6749_4_1_2_the_prepared_code_is_the_one_the_response_carries_and_it_redeems() {
    let f = code_flow();
    let live = session(NOW - 60);
    store_session(&f, &live);
    let client = web_app();
    let request = request::parse(
        &query(&code_request("&state=s")),
        Some(&client),
        &[],
        &f.config,
        NOW * 1000,
        request::Via::FrontChannel,
    )
    .unwrap();
    let code = prepare_code(&f.config, &request, &client, &live, false, &SystemRandom, NOW).unwrap().unwrap();
    let plaintext = code.plaintext.clone();
    let (user, _) = pollster::block_on(user_consent_and_code(&f.store, &live, "web", Some(&code.row))).unwrap();
    let issuer = Issuer { rc: crate::engine::test_support::request_context(&f.config, &f.store, &f.keys, NOW) };
    let response = pollster::block_on(issuer.issue(&request, &client, &user.unwrap(), &live, Some(code))).unwrap();
    assert_eq!(param(&response, "code"), Some(plaintext.as_str()));
    let count = f.store.rows("SELECT COUNT(*) AS n FROM authorization_codes", &[]);
    assert_eq!(count[0]["n"], 1, "no second code was minted");
    let (row, _) = pollster::block_on(f.store.code_with_user(&hash_token(&plaintext))).unwrap().unwrap();
    assert_eq!((row.scope.as_str(), row.consumed_at), ("openid email", None));
}
