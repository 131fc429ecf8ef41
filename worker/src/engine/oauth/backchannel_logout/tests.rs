//! OpenID Connect Back-Channel Logout 1.0 against the real schema: a session's end queues
//! a delivery for each client that got a code in it and registered a URI; the Logout
//! Token's claims (§2.4); a failed POST is retried after its backoff, then delivered; each
//! outcome audited.

use std::sync::Mutex;

use super::*;
use crate::engine::crypto::jose::b64url_decode;
use crate::engine::identity::sessions;
use crate::engine::platform::ports::{HttpReply, SystemRandom};
use crate::engine::test_support::{alice, authorize, code_flow, session, web_app, BASE, NOW};
use crate::native::{MemoryKv, NativeSigner};

/// An RP's back-channel endpoint: answers `status`, remembers each (url, body).
struct Rp {
    status: Mutex<u16>,
    posts: Mutex<Vec<(String, String)>>,
}

impl HttpClient for Rp {
    async fn get(&self, _url: &str, _bearer: Option<&str>) -> Result<HttpReply, InternalError> {
        Err(InternalError::new("no GET here"))
    }

    async fn post_form(&self, url: &str, body: &str, _: Option<(&str, &str)>) -> Result<HttpReply, InternalError> {
        self.posts.lock().unwrap().push((url.into(), body.into()));
        Ok(HttpReply { status: *self.status.lock().unwrap(), body: String::new(), cache_control: None })
    }
}

fn part(jwt: &str, index: usize) -> Value {
    serde_json::from_slice(&b64url_decode(jwt.split('.').nth(index).unwrap()).unwrap()).unwrap()
}

#[test]
fn oidc_backchannel_logout_2_5_the_end_of_a_session_is_posted_to_its_clients_and_retried_until_taken() {
    let f = code_flow();
    f.store.rows("UPDATE clients SET backchannel_logout_uri = 'https://rp.example/bc' WHERE client_id = 'web'", &[]);
    let q = format!("{BASE}&response_type=code&scope=openid");
    authorize(&f, &web_app(), &q, NOW);
    let rp = Rp { status: Mutex::new(503), posts: Mutex::default() };
    let run = |now: UnixTime| {
        let sender = Sender {
            store: &f.store,
            signer: &NativeSigner,
            keys: &f.keys,
            http: &rp,
            rng: &SystemRandom,
            config: &f.config,
            now,
        };
        pollster::block_on(sender.deliver_due()).unwrap()
    };
    assert_eq!(run(NOW), Delivered::default(), "nothing before the session ends");
    pollster::block_on(sessions::end(&MemoryKv::default(), &f.store, &f.config, &session(NOW - 60), NOW + 1)).unwrap();
    assert!(take_queued(), "the end queued a delivery");
    assert_eq!(run(NOW + 1), Delivered { delivered: 0, retrying: 1, given_up: 0 }, "the RP is down");
    assert_eq!(run(NOW + 5), Delivered::default(), "not before the backoff");
    *rp.status.lock().unwrap() = 200;
    assert_eq!(run(NOW + 6), Delivered { delivered: 1, retrying: 0, given_up: 0 });
    assert_eq!(run(NOW + 3_600), Delivered::default(), "delivered once");

    let posts = rp.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2);
    let (url, body) = &posts[1];
    assert_eq!(url, "https://rp.example/bc");
    let token = body.strip_prefix("logout_token=").unwrap();
    assert_eq!(part(token, 0)["typ"], "logout+jwt");
    let claims = part(token, 1);
    assert_eq!(claims["iss"], f.config.issuer.as_str());
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["sub"], alice().id.as_str());
    assert_eq!(claims["sid"], "session-hash");
    assert_eq!(claims["events"], json!({ EVENT: {} }));
    assert_eq!(claims["iat"], NOW + 6);
    assert!(claims.get("nonce").is_none(), "§2.4: a Logout Token never carries a nonce");
    assert_eq!(claims["jti"], part(&posts[0].1["logout_token=".len()..], 1)["jti"], "a retry is the same token id");

    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(events.contains(&"logout.backchannel_failed".to_owned()), "{events:?}");
    assert!(events.contains(&"logout.backchannel_delivered".to_owned()), "{events:?}");
}

#[test]
fn a_client_without_a_backchannel_uri_is_not_told_and_a_delivery_is_given_up_after_its_last_retry() {
    let f = code_flow();
    let q = format!("{BASE}&response_type=code&scope=openid");
    authorize(&f, &web_app(), &q, NOW);
    pollster::block_on(sessions::end(&MemoryKv::default(), &f.store, &f.config, &session(NOW - 60), NOW + 1)).unwrap();
    let queued = f.store.rows("SELECT COUNT(*) AS n FROM logout_deliveries", &[]);
    assert_eq!(queued[0]["n"], 0);
    assert_eq!(retry_after(1), Some(5));
    assert_eq!(retry_after(RETRY_AFTER.len() as i64), Some(43_200));
    assert_eq!(retry_after(RETRY_AFTER.len() as i64 + 1), None, "then given up");
}
