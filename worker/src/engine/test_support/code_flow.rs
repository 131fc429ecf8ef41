//! A store with Alice, the web and SPA clients and a signing key, and the steps of the
//! code flow: `/authorize` for Alice's session, then the token endpoint.

use serde_json::Value;

use super::fixtures::{alice, config_with, public_app, query, session, urlencode, web_app, REDIRECT};
use super::keys::{test_keys, TestKeys};
use super::outbound::{TestOutbound, NO_OUTBOUND};
use crate::engine::clients::{Client, ClientSecret, ClientStore};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::authorize::issue::Issuer;
use crate::engine::oauth::authorize::{request, AuthorizationResponse};
use crate::engine::oauth::token::{TokenEndpoint, TokenError};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{SystemRandom, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::native::{MemoryKv, NativeSigner, SqliteStore};

/// A request from nowhere in particular (no IP, no user agent).
pub static NO_META: RequestMeta = RequestMeta { ip_address: None, user_agent: None, location: None };
/// The KV of requests from nowhere: they have no address, so nothing is counted in it.
pub static NO_KV: std::sync::LazyLock<MemoryKv> = std::sync::LazyLock::new(MemoryKv::default);

/// Outbound HTTP of the native suites: answers from a script of `url -> reply`, and
/// records each URL asked for; a URL not in the script fails like an unreachable host.
#[derive(Default)]
pub struct TestHttp {
    pub replies: std::sync::Mutex<std::collections::HashMap<String, crate::engine::platform::ports::HttpReply>>,
    pub asked: std::sync::Mutex<Vec<String>>,
}

impl TestHttp {
    pub fn answer(&self, url: &str, status: u16, body: &str) {
        if let Ok(mut replies) = self.replies.lock() {
            replies.insert(
                url.into(),
                crate::engine::platform::ports::HttpReply { status, body: body.into(), cache_control: None },
            );
        }
    }

    fn reply(
        &self,
        url: &str,
    ) -> Result<crate::engine::platform::ports::HttpReply, crate::engine::platform::error::InternalError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(url.into());
        }
        let replies = self
            .replies
            .lock()
            .map_err(|_| crate::engine::platform::error::InternalError::new("test http poisoned"))?;
        replies
            .get(url)
            .cloned()
            .ok_or_else(|| crate::engine::platform::error::InternalError::new(format!("fetch {url}: unreachable")))
    }
}

impl crate::engine::platform::ports::HttpClient for TestHttp {
    async fn get(
        &self,
        url: &str,
        _: Option<&str>,
    ) -> Result<crate::engine::platform::ports::HttpReply, crate::engine::platform::error::InternalError> {
        self.reply(url)
    }

    async fn post_form(
        &self,
        url: &str,
        _: &str,
        _: Option<(&str, &str)>,
    ) -> Result<crate::engine::platform::ports::HttpReply, crate::engine::platform::error::InternalError> {
        self.reply(url)
    }
}

/// The outbound HTTP of requests that call nobody.
pub static NO_HTTP: std::sync::LazyLock<TestHttp> = std::sync::LazyLock::new(TestHttp::default);

/// The native suites' platform: SQLite running the real migrations, the in-memory KV,
/// RustCrypto signers and a test key that signs and verifies.
pub struct NativePlatform;

impl Platform for NativePlatform {
    type Sql = SqliteStore;
    type Kv = MemoryKv;
    type Signer = NativeSigner;
    type Keys = TestKeys;
    type Verifier = TestKeys;
    type Rng = SystemRandom;
    type Outbound = TestOutbound;
    type Http = TestHttp;
}

/// A request from nowhere at `now` over a test store and its key.
pub fn request_context<'a>(
    config: &'a Config,
    store: &'a SqliteStore,
    keys: &'a TestKeys,
    now: UnixTime,
) -> RequestContext<'a, NativePlatform> {
    RequestContext {
        config,
        store,
        kv: &NO_KV,
        signer: &NativeSigner,
        keys,
        verifier: keys,
        rng: &SystemRandom,
        outbound: &NO_OUTBOUND,
        http: &*NO_HTTP,
        meta: &NO_META,
        now,
        now_ms: now * 1000,
    }
}

/// A request from nowhere at `now` for the services that sign nothing: its keys are one
/// set made once for the whole test run, in a database of their own.
pub fn unsigned_request_context<'a>(
    config: &'a Config,
    store: &'a SqliteStore,
    now: UnixTime,
) -> RequestContext<'a, NativePlatform> {
    static KEYS: std::sync::LazyLock<TestKeys> = std::sync::LazyLock::new(|| {
        let store = SqliteStore::open_in_memory().unwrap();
        super::test_keys(&store, &super::config_with(|_| {}))
    });
    request_context(config, store, &KEYS, now)
}

/// The development configuration (`dev_vars`), for tests that change nothing in it.
pub static DEFAULT_CONFIG: std::sync::LazyLock<Config> = std::sync::LazyLock::new(|| config_with(|_| {}));

/// A request at `now` from `meta`, over `store` and `kv`, for the services that sign
/// nothing (the account, admin and passkey services).
pub fn context_of<'a>(
    config: &'a Config,
    store: &'a SqliteStore,
    kv: &'a MemoryKv,
    meta: &'a RequestMeta,
    now: UnixTime,
) -> RequestContext<'a, NativePlatform> {
    RequestContext { kv, meta, ..unsigned_request_context(config, store, now) }
}

/// The token endpoint over a test store and its key at `now`, for a request from nowhere.
pub fn token_endpoint<'a>(
    config: &'a Config,
    store: &'a SqliteStore,
    keys: &'a TestKeys,
    now: UnixTime,
) -> TokenEndpoint<'a, NativePlatform> {
    TokenEndpoint { rc: request_context(config, store, keys, now), origin: None, dpop_jkt: None, dpop_unspent: None }
}

pub struct CodeFlow {
    pub config: Config,
    pub store: SqliteStore,
    pub keys: TestKeys,
}

/// A server that allows every flow the web app is registered for: the implicit and
/// hybrid types (`ALLOW_IMPLICIT`), and codes without PKCE for a confidential client
/// (`REQUIRE_PKCE=false`). The RFC 9700 defaults have their own tests.
pub fn all_flows_config() -> Config {
    config_with(|v| {
        v.insert("ALLOW_IMPLICIT", "true".into());
        v.insert("REQUIRE_PKCE", "false".into());
    })
}

pub fn code_flow() -> CodeFlow {
    let config = all_flows_config();
    let store = SqliteStore::open_in_memory().unwrap();
    let keys = test_keys(&store, &config);
    let secret = ClientSecret {
        secret_id: "w1".into(),
        secret_hash: hash_token("web-secret"),
        created_at: 0,
        expires_at: None,
        sealed: None,
    };
    pollster::block_on(store.ensure_client(&web_app(), Some(&secret), 0)).unwrap();
    pollster::block_on(store.ensure_client(&public_app(), None, 0)).unwrap();
    store.insert_user(&alice()).unwrap();
    CodeFlow { config, store, keys }
}

pub fn authorize(f: &CodeFlow, client: &Client, q: &str, now: UnixTime) -> AuthorizationResponse {
    let request =
        request::parse(&query(q), Some(client), &[], &f.config, now * 1000, request::Via::FrontChannel).unwrap();
    let (config, store, keys) = (&f.config, &f.store, &f.keys);
    let issuer = Issuer { rc: request_context(config, store, keys, now) };
    pollster::block_on(issuer.issue(&request, client, &alice(), &session(now - 60), None)).unwrap()
}

pub fn param<'a>(response: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    response.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The client's credentials of a test request, read as the edge reads them (RFC 6749 §2.3).
pub fn credentials_of(authorization: Option<&str>, form: &Form) -> crate::engine::clients::Credentials {
    crate::engine::clients::Credentials::from_request(authorization, form).unwrap()
}

pub fn token_request(
    f: &CodeFlow,
    auth: Option<&str>,
    body: &str,
    now: UnixTime,
) -> Result<shared::oauth::TokenResponse, TokenError> {
    let endpoint = token_endpoint(&f.config, &f.store, &f.keys, now);
    pollster::block_on(endpoint.handle_form(auth, &Form::parse(body.as_bytes()).unwrap()))
}

pub fn web_auth() -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("web:web-secret"))
}

pub fn redeem(
    f: &CodeFlow,
    code: &str,
    extra: &str,
    now: UnixTime,
) -> Result<shared::oauth::TokenResponse, TokenError> {
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={}{extra}", urlencode(REDIRECT));
    token_request(f, Some(&web_auth()), &body, now)
}

/// The claims of a JWT the flow issued, verified against its key.
pub fn flow_claims(f: &CodeFlow, token: &str) -> Value {
    super::keys::verify_jwt(&f.keys, token).1
}
