//! OpenID Connect Back-Channel Logout 1.0 against the real schema: a session's end writes
//! a Logout Token and its delivery for each client that got a code in it and registered a
//! URI; the token's claims (§2.4); a failed POST is retried after the deliveries' backoff
//! with the same `jti`, then delivered; each outcome audited.

use serde_json::Value;

use super::*;
use crate::engine::crypto::jose::b64url_decode;
use crate::engine::delivery::{backoff, Attempt, Deliveries};
use crate::engine::identity::sessions;
use crate::engine::platform::request::RequestContext;
use crate::engine::test_support::{
    alice, authorize, code_flow, request_context, session, web_app, CodeFlow, TestOutbound, BASE, NOW,
};
use crate::native::MemoryKv;

fn part(jwt: &str, index: usize) -> Value {
    serde_json::from_slice(&b64url_decode(jwt.split('.').nth(index).unwrap()).unwrap()).unwrap()
}

/// Dispatches the due Logout Tokens at `now` through `rp` (no Queue bound: attempted now).
fn dispatch(f: &CodeFlow, rp: &TestOutbound, now: UnixTime) -> usize {
    let d = Deliveries { rc: RequestContext { outbound: rp, ..request_context(&f.config, &f.store, &f.keys, now) } };
    pollster::block_on(d.dispatch_logouts()).unwrap()
}

fn delivery(f: &CodeFlow) -> Value {
    f.store.rows("SELECT * FROM deliveries WHERE kind = 'logout'", &[]).remove(0)
}

#[test]
fn oidc_backchannel_logout_2_5_the_end_of_a_session_is_posted_to_its_clients_and_retried_until_taken() {
    let f = code_flow();
    f.store.rows("UPDATE clients SET backchannel_logout_uri = 'https://rp.example/bc' WHERE client_id = 'web'", &[]);
    let q = format!("{BASE}&response_type=code&scope=openid");
    authorize(&f, &web_app(), &q, NOW);
    let (down, up) = (TestOutbound { fail: true, ..TestOutbound::default() }, TestOutbound::default());
    assert_eq!(dispatch(&f, &up, NOW), 0, "nothing before the session ends");
    pollster::block_on(sessions::end(&MemoryKv::default(), &f.store, &f.config, &session(NOW - 60), NOW + 1)).unwrap();
    assert!(take_queued(), "the end queued a delivery");
    assert_eq!(dispatch(&f, &down, NOW + 1), 1, "the RP is down");
    let failed = delivery(&f);
    assert_eq!((failed["status"].as_str(), failed["attempts"].as_i64()), (Some("pending"), Some(1)));
    assert!(failed["last_error"].as_str().unwrap().contains("502"), "{failed}");
    assert_eq!(dispatch(&f, &up, NOW + backoff(1)), 0, "not before the backoff");
    assert_eq!(dispatch(&f, &up, NOW + 1 + backoff(1)), 1);
    assert_eq!(delivery(&f)["status"], "delivered");
    assert_eq!(dispatch(&f, &up, NOW + 3_600), 0, "delivered once");

    let (first, posts) = (down.posted(), up.posted());
    assert_eq!((first.len(), posts.len()), (1, 1));
    let (url, body) = &posts[0];
    assert_eq!(url, "https://rp.example/bc");
    let token = body.strip_prefix("logout_token=").unwrap();
    assert_eq!(part(token, 0)["typ"], "logout+jwt");
    let claims = part(token, 1);
    assert_eq!(claims["iss"], f.config.issuer.as_str());
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["sub"], alice().id.as_str());
    assert_eq!(claims["sid"], "session-hash");
    assert_eq!(claims["events"], json!({ EVENT: {} }));
    assert_eq!(claims["iat"], NOW + 1 + backoff(1));
    assert_eq!(claims["jti"], delivery(&f)["id"], "the delivery's id is the token's jti");
    assert!(claims.get("nonce").is_none(), "§2.4: a Logout Token never carries a nonce");
    assert_eq!(claims["jti"], part(&first[0].1["logout_token=".len()..], 1)["jti"], "a retry is the same token id");
    let headers = up.signed.lock().unwrap().remove(0);
    assert!(headers.contains(&("content-type".into(), "application/x-www-form-urlencoded".into())), "{headers:?}");

    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(events.contains(&"logout.backchannel_failed".to_owned()), "{events:?}");
    assert!(events.contains(&"logout.backchannel_delivered".to_owned()), "{events:?}");
}

#[test]
fn a_client_without_a_backchannel_uri_is_not_told() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code&scope=openid");
    authorize(&f, &web_app(), &q, NOW);
    pollster::block_on(sessions::end(&MemoryKv::default(), &f.store, &f.config, &session(NOW - 60), NOW + 1)).unwrap();
    let queued =
        f.store.rows("SELECT (SELECT COUNT(*) FROM logout_deliveries) + (SELECT COUNT(*) FROM deliveries) AS n", &[]);
    assert_eq!(queued[0]["n"], 0);
}

#[test]
fn a_logout_delivery_is_dead_after_its_last_attempt_and_an_admin_retry_sends_it() {
    let f = code_flow();
    f.store.rows("UPDATE clients SET backchannel_logout_uri = 'https://rp.example/bc' WHERE client_id = 'web'", &[]);
    authorize(&f, &web_app(), &format!("{BASE}&response_type=code&scope=openid"), NOW);
    pollster::block_on(sessions::end(&MemoryKv::default(), &f.store, &f.config, &session(NOW - 60), NOW)).unwrap();
    let down = TestOutbound { fail: true, ..TestOutbound::default() };
    let mut now = NOW;
    let mut last = Attempt::NotDue;
    for _ in 0..crate::engine::delivery::MAX_ATTEMPTS {
        let d =
            Deliveries { rc: RequestContext { outbound: &down, ..request_context(&f.config, &f.store, &f.keys, now) } };
        let id = delivery(&f)["id"].as_str().unwrap().to_owned();
        last = pollster::block_on(d.attempt(&id)).unwrap();
        now += 6 * 3600;
    }
    assert!(matches!(last, Attempt::Dead { .. }), "{last:?}");
    assert_eq!(delivery(&f)["status"], "dead");
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(events.contains(&"logout.backchannel_given_up".to_owned()), "{events:?}");

    let up = TestOutbound::default();
    let d = Deliveries { rc: RequestContext { outbound: &up, ..request_context(&f.config, &f.store, &f.keys, now) } };
    let id = delivery(&f)["id"].as_str().unwrap().to_owned();
    let row = pollster::block_on(d.retry_now(&id)).unwrap().unwrap();
    assert_eq!(row.status, "delivered");
    assert_eq!(up.posted().len(), 1);
}
