//! `/authorize` for a returning person in one trip (`live`): the speculative code is
//! stored only for a live session of an active user and a registered client, takes the
//! user, auth time and methods from the session row, and is kept only when it is exactly
//! the code the decision would have made.

use super::issue::prepare_code;
use super::live::{self, ClientMemo};
use super::*;
use crate::engine::clients::Client;
use crate::engine::identity::sessions::Session;
use crate::engine::oauth::store::authorize_in_one_trip;
use crate::engine::platform::ports::{SqlRunner, SystemRandom};
use crate::engine::test_support::*;

fn code_request() -> String {
    format!("{BASE}&response_type=code&scope=openid+email&code_challenge={CHALLENGE}&code_challenge_method=S256")
}

fn store_session(f: &CodeFlow, live: &Session, amr: &str) {
    let sql = "INSERT INTO sessions (id_hash, user_id, auth_time, created_at, last_seen_at, expires_at, amr) \
               VALUES (?1, ?2, ?3, ?3, ?3, ?4, ?5)";
    let args = [
        live.id_hash.as_str().into(),
        live.user_id.as_str().into(),
        live.auth_time.into(),
        live.expires_at.into(),
        amr.into(),
    ];
    pollster::block_on(f.store.execute(sql, &args)).unwrap();
}

fn speculation(f: &CodeFlow, client: &Client, live: &Session) -> live::Speculation {
    ClientMemo::keep(&[], client, &[]);
    let params = query(&code_request());
    live::speculate(&f.config, &params, request::Via::FrontChannel, &live.id_hash, &SystemRandom, NOW * 1000)
        .unwrap()
        .expect("the memo knows the client")
}

fn parse(f: &CodeFlow, client: &Client) -> AuthorizationRequest {
    request::parse(&query(&code_request()), Some(client), &[], &f.config, NOW * 1000, request::Via::FrontChannel)
        .unwrap()
}

#[test]
fn the_guessed_code_is_stored_from_the_session_row_and_kept_when_it_is_the_decisions_code() {
    let f = code_flow();
    let (client, live) = (web_app(), session(NOW - 60));
    store_session(&f, &live, "pwd");
    let guess = speculation(&f, &client, &live);
    let reads =
        pollster::block_on(authorize_in_one_trip(&f.store, "web", &[], &live.id_hash, Some(&guess.code.row))).unwrap();
    assert_eq!(reads.user.map(|u| u.id), Some(alice().id));
    let stored = reads.stored.expect("stored for a live session");
    assert_eq!((stored.user_id.as_str(), stored.amr.as_deref()), (live.user_id.as_str(), Some("pwd")));
    let request = parse(&f, &client);
    let kept = live::kept(&f.config, &guess, Some(&stored), &request, &client, &live, &SystemRandom).unwrap();
    let kept = kept.expect("the same code the decision makes");
    let fresh = prepare_code(&f.config, &request, &client, &live, false, &SystemRandom, NOW).unwrap().unwrap();
    assert_eq!(kept.row, AuthorizationCodeRow { code_hash: kept.row.code_hash.clone(), ..fresh.row });
    assert_eq!(kept.plaintext, guess.code.plaintext);
}

type AuthorizationCodeRow = crate::engine::oauth::codes::AuthorizationCode;

#[test]
fn a_guess_that_differs_from_the_decisions_code_is_not_kept() {
    let f = code_flow();
    let (client, live) = (web_app(), session(NOW - 60));
    // The session row says another sign-in than the browser's session value.
    store_session(&f, &live, "pwd otp mfa");
    let guess = speculation(&f, &client, &live);
    let reads =
        pollster::block_on(authorize_in_one_trip(&f.store, "web", &[], &live.id_hash, Some(&guess.code.row))).unwrap();
    let request = parse(&f, &client);
    let stored = reads.stored.as_ref();
    assert!(live::kept(&f.config, &guess, stored, &request, &client, &live, &SystemRandom).unwrap().is_none());
    // The client changed since the memo: the fresh parse is another request.
    let mut changed = client.clone();
    changed.access_token_ttl = Some(60);
    changed.first_party = !client.first_party;
    let mut other = parse(&f, &changed);
    other.nonce = Some("another".into());
    assert!(live::kept(&f.config, &guess, stored, &other, &changed, &live, &SystemRandom).unwrap().is_none());
}

#[test]
fn no_guess_is_stored_for_an_ended_session_an_inactive_user_or_an_unregistered_client() {
    let f = code_flow();
    let (client, live) = (web_app(), session(NOW - 60));
    let count = || f.store.rows("SELECT COUNT(*) AS n FROM authorization_codes", &[])[0]["n"].clone();
    let guess = speculation(&f, &client, &live);
    let trip = |client_id: &str, guess: &live::Speculation| {
        pollster::block_on(authorize_in_one_trip(&f.store, client_id, &[], &live.id_hash, Some(&guess.code.row)))
            .unwrap()
    };
    assert!(trip("web", &guess).stored.is_none(), "no session row");
    store_session(&f, &live, "pwd");
    let mut unknown = speculation(&f, &client, &live);
    unknown.code.row.client_id = "nobody".into();
    assert!(trip("nobody", &unknown).stored.is_none(), "no such client");
    f.store.deactivate_user(&alice().id).unwrap();
    assert!(trip("web", &speculation(&f, &client, &live)).stored.is_none(), "an inactive user");
    assert_eq!(count(), 0);
}
