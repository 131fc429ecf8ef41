//! RFC 8628 through the device authorization endpoint and `/token`, against the real
//! schema, with a controlled clock.

use base64::Engine;
use pollster::block_on;

use crate::engine::clients::{AuthMethod, ClientSecret, ClientStore, ClientType};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::users::UserStore;
use crate::engine::oauth::device::{user_code_hash, DeviceAnswer, DeviceStore};
use crate::engine::oauth::token::*;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::credentials_of;
use crate::engine::test_support::NativePlatform;
use crate::engine::test_support::{alice, confidential, dev_vars, test_keys, token_endpoint, verify_jwt, TestKeys};
use crate::native::SqliteStore;
use shared::oauth::grant;
use shared::oauth::DeviceAuthorizationResponse;

const NOW: UnixTime = 1_800_000_000;

fn tv() -> Client {
    let mut client = confidential(AuthMethod::None);
    client.client_id = "tv".into();
    client.client_type = ClientType::Public;
    client.grant_types = vec![grant::DEVICE_CODE.into(), "refresh_token".into()];
    client.scopes = ["openid", "profile", "email", "offline_access"].map(String::from).to_vec();
    client
}

struct Fixture {
    config: Config,
    store: SqliteStore,
    keys: TestKeys,
}

fn setup(store: SqliteStore) -> Fixture {
    let vars = dev_vars();
    let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
    let keys = test_keys(&store, &config);
    block_on(store.ensure_client(&tv(), None, 0)).unwrap();
    let mut svc = confidential(AuthMethod::ClientSecretBasic);
    svc.grant_types.push(grant::DEVICE_CODE.into());
    let secret = ClientSecret {
        secret_id: "s".into(),
        secret_hash: hash_token("s3cret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    block_on(store.ensure_client(&svc, Some(&secret), 0)).unwrap();
    if block_on(store.user_by_id(&alice().id)).unwrap().is_none() {
        store.insert_user(&alice()).unwrap();
    }
    Fixture { config, store, keys }
}

fn endpoint(f: &Fixture, now: UnixTime) -> TokenEndpoint<'_, NativePlatform> {
    token_endpoint(&f.config, &f.store, &f.keys, now)
}

fn device_authorization_of(
    endpoint: TokenEndpoint<'_, NativePlatform>,
    authorization: Option<&str>,
    form: &Form,
) -> Result<DeviceAuthorizationResponse, TokenError> {
    block_on(endpoint.device_authorization(&credentials_of(authorization, form), form))
}

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap()
}

fn start(f: &Fixture, scope: &str) -> DeviceAuthorizationResponse {
    device_authorization_of(endpoint(f, NOW), None, &form(&format!("client_id=tv&scope={scope}"))).unwrap()
}

fn poll_at(f: &Fixture, device_code: &str, now: UnixTime) -> Result<TokenResponse, TokenError> {
    let body = format!("grant_type={}&client_id=tv&device_code={device_code}", grant::DEVICE_CODE);
    block_on(endpoint(f, now).handle_form(None, &form(&body)))
}

fn answer(f: &Fixture, user_code: &str, approve: bool, scope: &str, now: UnixTime) -> bool {
    let hash = user_code_hash(&f.config, user_code).unwrap();
    let answer = DeviceAnswer {
        user_code_hash: &hash,
        approve,
        user_id: &alice().id,
        scope,
        auth_time: now - 30,
        amr: "pwd otp mfa",
        session_id: "s",
    };
    block_on(f.store.decide_device_code(&answer, now)).unwrap()
}

#[test]
fn rfc8628_3_2_the_device_authorization_response() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let r = start(&f, "openid%20offline_access");
    assert_eq!(r.verification_uri, "http://127.0.0.1:8787/activate");
    assert_eq!(r.verification_uri_complete, format!("http://127.0.0.1:8787/activate?user_code={}", r.user_code));
    assert_eq!((r.expires_in, r.interval), (300, 5), "DEVICE_CODE_TTL and the default interval");
    assert_eq!(r.device_code.len(), 43, "256 bits");
    let stored = block_on(f.store.device_code(&hash_token(&r.device_code))).unwrap().unwrap();
    assert_ne!(stored.user_code_hash, r.user_code, "hashed at rest");
    assert_eq!(stored.scope, "openid offline_access");
    let events = f.store.audit_events().unwrap();
    assert_eq!(events.last().unwrap()["event"], "device.code_issued");
}

#[test]
fn rfc8628_3_1_only_clients_registered_for_the_grant_and_their_scopes() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let e = device_authorization_of(endpoint(&f, NOW), None, &form("client_id=tv&scope=admin")).unwrap_err();
    assert_eq!(e, TokenError::InvalidScope("scope `admin` is not allowed for this client".into()));
    let mut plain = tv();
    plain.client_id = "plain".into();
    plain.grant_types = vec!["authorization_code".into()];
    block_on(f.store.ensure_client(&plain, None, 0)).unwrap();
    let e = device_authorization_of(endpoint(&f, NOW), None, &form("client_id=plain")).unwrap_err();
    assert!(matches!(e, TokenError::UnauthorizedClient(_)));
    let e = device_authorization_of(endpoint(&f, NOW), None, &form("client_id=svc")).unwrap_err();
    assert_eq!(e, TokenError::InvalidClient { basic: false }, "a confidential client must authenticate");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("svc:s3cret"));
    assert!(device_authorization_of(endpoint(&f, NOW), Some(&basic), &form("")).is_ok());
}

#[test]
fn rfc8628_3_5_pending_slow_down_then_tokens_exactly_once() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let r = start(&f, "openid%20email%20offline_access");
    assert_eq!(poll_at(&f, &r.device_code, NOW + 5).unwrap_err(), TokenError::AuthorizationPending);
    assert_eq!(poll_at(&f, &r.device_code, NOW + 7).unwrap_err(), TokenError::SlowDown { interval: 10 });
    assert_eq!(poll_at(&f, &r.device_code, NOW + 12).unwrap_err(), TokenError::SlowDown { interval: 15 }, "5 s < 10 s");
    assert_eq!(poll_at(&f, &r.device_code, NOW + 27).unwrap_err(), TokenError::AuthorizationPending);

    assert!(answer(&f, &r.user_code, true, "openid email offline_access", NOW + 30));
    assert!(!answer(&f, &r.user_code, false, "openid", NOW + 31), "answered once");
    let tokens = poll_at(&f, &r.device_code, NOW + 45).unwrap();
    assert_eq!(tokens.scope, "openid email offline_access");
    assert!(tokens.refresh_token.is_some(), "offline_access");
    let (_, id) = verify_jwt(&f.keys, tokens.id_token.as_deref().unwrap());
    assert_eq!(id["sub"], alice().id);
    assert_eq!(id["aud"], "tv");
    assert_eq!(id["email"], "Alice@Example.com");
    assert_eq!(id["auth_time"], NOW);
    let (typ, access) = verify_jwt(&f.keys, &tokens.access_token);
    assert_eq!((typ.as_str(), access["client_id"].as_str()), ("at+jwt", Some("tv")));
    let again = poll_at(&f, &r.device_code, NOW + 60).unwrap_err();
    assert!(matches!(again, TokenError::InvalidGrant(_)), "the same device code twice: {again:?}");
}

#[test]
fn rfc8628_3_5_denied_and_expired_codes() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let denied = start(&f, "openid");
    assert!(answer(&f, &denied.user_code, false, "openid", NOW + 10));
    assert_eq!(poll_at(&f, &denied.device_code, NOW + 20).unwrap_err(), TokenError::AccessDenied);

    let late = start(&f, "openid");
    assert_eq!(poll_at(&f, &late.device_code, NOW + 300).unwrap_err(), TokenError::ExpiredToken);
    assert!(!answer(&f, &late.user_code, true, "openid", NOW + 300), "too late to approve");

    let other = poll_at(&f, "not-a-device-code", NOW).unwrap_err();
    assert!(matches!(other, TokenError::InvalidGrant(_)));
}

#[test]
fn without_openid_or_offline_access_there_is_no_id_token_or_refresh_token() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let r = start(&f, "email");
    assert!(answer(&f, &r.user_code, true, "email", NOW + 10));
    let tokens = poll_at(&f, &r.device_code, NOW + 20).unwrap();
    assert!(tokens.id_token.is_none());
    assert!(tokens.refresh_token.is_none());
}

#[test]
fn concurrent_polls_of_an_approved_code_get_tokens_once() {
    let dir = std::env::temp_dir().join(format!("authority-device-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("device.sqlite");
    let _ = std::fs::remove_file(&path);
    let f = setup(SqliteStore::open_file(&path).unwrap());
    let r = start(&f, "openid%20offline_access");
    assert!(answer(&f, &r.user_code, true, "openid offline_access", NOW + 10));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (path, barrier, device_code) = (path.clone(), barrier.clone(), r.device_code.clone());
            std::thread::spawn(move || {
                let f = setup(SqliteStore::open_file(&path).unwrap());
                barrier.wait();
                poll_at(&f, &device_code, NOW + 20).is_ok()
            })
        })
        .collect();
    let issued = handles.into_iter().map(|h| h.join().unwrap()).filter(|ok| *ok).count();
    assert_eq!(issued, 1, "one conditional UPDATE lets exactly one poll through");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rfc8707_the_device_flow_carries_its_resource_to_the_token_and_narrows_at_the_poll() {
    use crate::engine::platform::ports::SqlRunner;
    let f = setup(SqliteStore::open_in_memory().unwrap());
    for id in ["https://tv-api.example.com/", "https://other.example.com/"] {
        block_on(f.store.execute(
            "INSERT INTO resources (id, identifier, name, scopes, created_at, updated_at) VALUES (?1, ?1, 'API', '[\"email\"]', 0, 0)",
            &[id.into()],
        ))
        .unwrap();
    }
    let r = device_authorization_of(
        endpoint(&f, NOW),
        None,
        &form("client_id=tv&scope=openid%20email&resource=https://tv-api.example.com/"),
    )
    .unwrap();
    let unknown =
        device_authorization_of(endpoint(&f, NOW), None, &form("client_id=tv&resource=https://nowhere.example/"));
    assert!(matches!(unknown, Err(TokenError::InvalidTarget(_))));
    assert!(answer(&f, &r.user_code, true, "openid email", NOW + 10));
    // A resource the device did not ask for is refused, and the code is not spent by it.
    let body =
        |extra: &str| format!("grant_type={}&client_id=tv&device_code={}{extra}", grant::DEVICE_CODE, r.device_code);
    let wider =
        block_on(endpoint(&f, NOW + 20).handle_form(None, &form(&body("&resource=https://other.example.com/"))));
    assert!(matches!(wider, Err(TokenError::InvalidTarget(_))));
    let tokens = block_on(endpoint(&f, NOW + 30).handle_form(None, &form(&body("")))).unwrap();
    let (_, claims) = verify_jwt(&f.keys, &tokens.access_token);
    assert_eq!(claims["aud"], "https://tv-api.example.com/");
    assert_eq!(claims["scope"], "email");
}

/// The token endpoint of `f` with an accepted DPoP proof of key `jkt` (RFC 9449; the edge
/// verifies the proof, `oauth::dpop`).
fn bound<'a>(f: &'a Fixture, now: UnixTime, jkt: Option<&'static str>) -> TokenEndpoint<'a, NativePlatform> {
    TokenEndpoint { dpop_jkt: jkt, ..endpoint(f, now) }
}

#[test]
fn rfc9449_5_a_public_clients_tokens_are_bound_to_its_dpop_key_and_refresh_only_with_it() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let r = start(&f, "openid%20email%20offline_access");
    assert!(answer(&f, &r.user_code, true, "openid email offline_access", NOW + 10));
    let body = format!("grant_type={}&client_id=tv&device_code={}", grant::DEVICE_CODE, r.device_code);
    let tokens = block_on(bound(&f, NOW + 20, Some("key-1")).handle_form(None, &form(&body))).unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    let (_, access) = verify_jwt(&f.keys, &tokens.access_token);
    assert_eq!(access["cnf"], serde_json::json!({ "jkt": "key-1" }));
    let refresh = |jkt: Option<&'static str>, token: &str, now: UnixTime| {
        let body = format!("grant_type=refresh_token&client_id=tv&refresh_token={token}");
        block_on(bound(&f, now, jkt).handle_form(None, &form(&body)))
    };
    let first = tokens.refresh_token.unwrap();
    assert!(
        matches!(refresh(None, &first, NOW + 30), Err(TokenError::InvalidDpopProof(d)) if d.contains("needs a DPoP proof"))
    );
    assert!(
        matches!(refresh(Some("key-2"), &first, NOW + 31), Err(TokenError::InvalidDpopProof(d)) if d.contains("another"))
    );
    let next = refresh(Some("key-1"), &first, NOW + 32).unwrap();
    assert_eq!(next.token_type, "DPoP");
    // The successor keeps the binding.
    assert!(refresh(None, &next.refresh_token.unwrap(), NOW + 40).is_err());
    // Introspection tells a resource server the key (RFC 9449 §6.2).
    let row = block_on(f.store.refresh_token(&hash_token(&first))).unwrap().unwrap();
    assert_eq!(row.dpop_jkt.as_deref(), Some("key-1"));
}

#[test]
fn rfc9449_5_a_confidential_clients_access_token_is_bound_its_refresh_token_need_not_be() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("svc:s3cret"));
    let tokens =
        block_on(bound(&f, NOW, Some("svc-key")).handle_form(Some(&basic), &form("grant_type=client_credentials")))
            .unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    assert_eq!(verify_jwt(&f.keys, &tokens.access_token).1["cnf"]["jkt"], "svc-key");
    let plain = block_on(endpoint(&f, NOW).handle_form(Some(&basic), &form("grant_type=client_credentials"))).unwrap();
    assert_eq!(plain.token_type, "Bearer");
    assert!(verify_jwt(&f.keys, &plain.access_token).1.get("cnf").is_none());
}

#[test]
fn rfc9449_5_2_a_client_registered_dpop_bound_gets_tokens_only_with_a_proof() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let mut strict = confidential(AuthMethod::ClientSecretBasic);
    strict.client_id = "strict".into();
    strict.dpop_bound = true;
    let secret = ClientSecret {
        secret_id: "st".into(),
        secret_hash: hash_token("st-secret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    block_on(f.store.ensure_client(&strict, Some(&secret), 0)).unwrap();
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("strict:st-secret"));
    let plain = block_on(endpoint(&f, NOW).handle_form(Some(&basic), &form("grant_type=client_credentials")));
    assert!(matches!(plain, Err(TokenError::InvalidDpopProof(d)) if d.contains("dpop_bound_access_tokens")));
    let proven = block_on(bound(&f, NOW, Some("k")).handle_form(Some(&basic), &form("grant_type=client_credentials")));
    assert_eq!(proven.unwrap().token_type, "DPoP");
}

/// docs/storage.md, "One trip per grant": a pending poll is written in the batch that reads
/// the client and the code, and only for the code's own client with its right secret; a
/// refused poll writes nothing, and the interval grows in SQL as `poll` decides.
#[test]
fn a_pending_poll_is_recorded_in_its_batch_only_for_its_own_authenticated_client() {
    let f = setup(SqliteStore::open_in_memory().unwrap());
    let basic =
        |secret: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("svc:{secret}")));
    let r = device_authorization_of(endpoint(&f, NOW), Some(&basic("s3cret")), &form("scope=read")).unwrap();
    let poll = |secret: &str, now: UnixTime| {
        let body = format!("grant_type={}&device_code={}", grant::DEVICE_CODE, r.device_code);
        block_on(endpoint(&f, now).handle_form(Some(&basic(secret)), &form(&body)))
    };
    let recorded = || {
        let rows = f.store.rows("SELECT last_polled_at, poll_interval FROM device_codes", &[]);
        (rows[0]["last_polled_at"].as_i64(), rows[0]["poll_interval"].as_i64())
    };
    assert!(matches!(poll("wrong", NOW + 5).unwrap_err(), TokenError::InvalidClient { .. }));
    assert_eq!(recorded(), (None, Some(5)), "a wrong secret records nothing");
    assert!(matches!(poll_at(&f, &r.device_code, NOW + 6).unwrap_err(), TokenError::InvalidGrant(_)));
    assert_eq!(recorded(), (None, Some(5)), "another client's poll records nothing");
    assert_eq!(poll("s3cret", NOW + 7).unwrap_err(), TokenError::AuthorizationPending);
    assert_eq!(recorded(), (Some(NOW + 7), Some(5)));
    assert_eq!(poll("s3cret", NOW + 9).unwrap_err(), TokenError::SlowDown { interval: 10 });
    assert_eq!(recorded(), (Some(NOW + 9), Some(10)));
    assert_eq!(poll("s3cret", NOW + 19).unwrap_err(), TokenError::AuthorizationPending);
    assert_eq!(recorded(), (Some(NOW + 19), Some(10)), "on time: the interval stays");
}
