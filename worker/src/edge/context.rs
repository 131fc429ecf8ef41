//! The request context: everything a handler needs from the platform, built once per
//! request by the router (configuration, the D1 store, KV, the clock's reading, where the
//! request came from), and the per-isolate caches behind the signing and verification keys.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::{Env, Request, Response};

use crate::edge::adapters::d1::D1Store;
use crate::edge::adapters::http::FetchHttp;
use crate::edge::adapters::kv::Kv;
use crate::edge::adapters::outbound::EdgeOutbound;
use crate::edge::adapters::trips::Trips;
use crate::edge::adapters::webcrypto::{AlgKey, WebCryptoSigner};
use crate::edge::adapters::{db_counted, db_replica, kv_counted, WorkerClock};
use crate::edge::respond;
use crate::engine::admin::auth::{admin_principal, AdminPrincipal};
use crate::engine::admin::users::UserAdmin;
use crate::engine::clients::bootstrap;
use crate::engine::crypto::keys::{
    ActiveSigningKey, KeyLookup, KeyRing, SignerCache, TtlCache, VerifierCache, JWKS_ISOLATE_CACHE_SECONDS,
};
use crate::engine::identity::accounts::Accounts;
use crate::engine::identity::devices::location_name;
use crate::engine::identity::passkeys::Passkeys;
use crate::engine::oauth::access_token::{self, VerificationKeySource};
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::oauth::userinfo::{dpop_scheme, DpopPresentation};
use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
use crate::engine::platform::config::{Config, Secret};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{SigningAlg, SystemRandom, UnixMillis, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};

thread_local! {
    /// The imported signing key, per isolate (engine::crypto::keys::SignerCache says for how long).
    static SIGNER: RefCell<SignerCache<AlgKey>> = const { RefCell::new(SignerCache::new()) };
    /// Imported public keys for verifying presented tokens.
    static VERIFIERS: RefCell<VerifierCache<AlgKey>> = const { RefCell::new(VerifierCache::new()) };
    /// Whether this isolate has ensured the bootstrap clients (engine::clients::bootstrap).
    static BOOTSTRAPPED: Cell<bool> = const { Cell::new(false) };
    /// The served JWKS and discovery bodies: both change only with keys, configuration or
    /// (discovery) the scopes it lists, and rebuilding them costs D1 reads (and a
    /// signature for signed_metadata). A scope change clears this isolate's discovery body.
    pub static JWKS_BODY: RefCell<TtlCache<String>> = const { RefCell::new(TtlCache::new(JWKS_ISOLATE_CACHE_SECONDS)) };
    pub static DISCOVERY_BODY: RefCell<TtlCache<String>> = const { RefCell::new(TtlCache::new(DISCOVERY_CACHE_SECONDS)) };
}

/// How long an isolate serves the same discovery document (its signed_metadata `iat` ages
/// with it; the HTTP max-age is an hour): a scope created or deleted through another
/// isolate is listed, or gone, within this.
const DISCOVERY_CACHE_SECONDS: UnixTime = 60;

/// The caller's address (Cloudflare puts it in `CF-Connecting-IP`), user agent, and
/// where Cloudflare placed the address (`request.cf`'s city, region and country).
pub fn request_meta(req: &Request) -> RequestMeta {
    let header = |name: &str| req.headers().get(name).ok().flatten().filter(|v| !v.is_empty());
    let location = req
        .cf()
        .and_then(|cf| location_name(cf.city().as_deref(), cf.region_code().as_deref(), cf.country().as_deref()));
    RequestMeta { ip_address: header("CF-Connecting-IP"), user_agent: header("User-Agent"), location }
}

/// One request's view of the platform.
pub struct Cx<'a> {
    pub config: &'a Config,
    pub env: &'a Env,
    /// `ctx.waitUntil`, for work that must not delay the answer.
    pub worker: &'a worker::Context,
    pub store: D1Store,
    pub kv: Kv,
    /// The D1 and KV calls of this request (`SERVER_TIMING`).
    pub trips: Rc<Trips>,
    /// Read once, so every decision in a request sees the same time.
    pub now: UnixTime,
    /// The same reading in milliseconds (token cut-offs, RFC 7009 §2).
    pub now_ms: UnixMillis,
    pub meta: RequestMeta,
    /// The signing keys of what this request issues.
    pub keys: EdgeKeys,
    /// The public keys of the tokens this request presents.
    pub verifier: EdgeVerifier,
}

impl<'a> Cx<'a> {
    pub fn new(
        req: &Request,
        config: &'a Config,
        env: &'a Env,
        worker: &'a worker::Context,
    ) -> Result<Self, InternalError> {
        let trips = Rc::new(Trips::new(config.storage_delay_ms));
        let now_ms = WorkerClock.now_ms();
        let now = now_ms.div_euclid(1000);
        Ok(Cx {
            config,
            env,
            worker,
            store: db_counted(env, trips.clone())?,
            kv: kv_counted(env, trips.clone())?,
            keys: EdgeKeys::new(db_counted(env, trips.clone())?, config, now),
            verifier: EdgeVerifier::new(db_counted(env, trips.clone())?, now),
            trips,
            now,
            now_ms,
            meta: request_meta(req),
        })
    }

    /// The engine's view of this request (`engine::platform::request`).
    pub fn request_context(&self) -> RequestContext<'_, WorkerPlatform> {
        edge_context(self.config, &self.store, &self.kv, &self.keys, &self.verifier, &self.meta, self.now_ms)
    }

    /// Passkey ceremonies (engine::identity::passkeys), signatures checked by WebCrypto.
    pub fn passkeys(&self) -> Passkeys<'_, WorkerPlatform> {
        Passkeys { rc: self.request_context() }
    }

    /// The self-service account flows (engine::identity::accounts) on this platform.
    pub fn accounts(&self) -> Accounts<'_, WorkerPlatform> {
        Accounts { rc: self.request_context() }
    }

    /// The admin behind the request's Bearer token (docs/api.md, "Admin and account API"), or
    /// the RFC 6750 answer to send instead.
    pub async fn admin(&self, req: &Request) -> Result<AdminPrincipal, Response> {
        let authorization = req.headers().get("Authorization").ok().flatten();
        // RFC 9449 §7: a DPoP-bound admin token with its proof.
        let url = req.url().map(|u| u.to_string()).unwrap_or_default();
        let proof = req.headers().get("DPoP").ok().flatten();
        let method = req.method().to_string();
        let nonce_key = self.config.security.dpop_nonces.then_some(&self.config.secret_key);
        let dpop = dpop_scheme(authorization.as_deref()).then(|| DpopPresentation {
            proof: proof.as_deref(),
            htm: &method,
            htu: &url,
            nonce_key,
        });
        let store = &self.store;
        let principal = admin_principal(
            authorization.as_deref(),
            dpop.as_ref(),
            self.config,
            store,
            &WebCryptoSigner,
            &self.verifier,
            self.now,
        )
        .await
        .map_err(|e| {
            let refused = respond::error(&e);
            // RFC 9449 §8: the nonce a DPoP proof needs, told with the refusal.
            match self.config.security.dpop_nonces {
                true => respond::with_header(
                    refused,
                    "DPoP-Nonce",
                    &crate::engine::oauth::dpop::current_nonce(&self.config.secret_key, self.now),
                ),
                false => refused,
            }
        })?;
        // ADMIN_ALLOWED_IPS: a valid admin token from elsewhere is refused and audited (a
        // caller without one gets the 401 above, as from anywhere: no audit row to flood).
        if crate::engine::admin::auth::address_allowed(self.config, self.meta.ip_address.as_deref()) {
            return Ok(principal);
        }
        let (actor_type, actor_id) = principal.actor();
        let recorded = async {
            let event = AuditEvent::new("admin.address_refused", &self.meta, self.now, &SystemRandom)?
                .actor(actor_type, actor_id)
                .metadata(serde_json::json!({ "path": req.path(), "method": method }));
            self.store.record(&event).await
        };
        if let Err(e) = recorded.await {
            log::error!("admin.address_refused not audited: {}", e.detail());
        }
        Err(respond::error(&ApiError::forbidden(
            shared::codes::ADDRESS_NOT_ALLOWED,
            "admin calls are not accepted from this address (ADMIN_ALLOWED_IPS)",
        )))
    }

    /// The admin API on users, for `admin`.
    pub fn user_admin<'b>(&'b self, admin: &'b AdminPrincipal) -> UserAdmin<'b, WorkerPlatform> {
        UserAdmin { rc: self.request_context(), admin }
    }

    /// Ensures the bootstrap clients (one D1 batch each) and the first super_admin, once
    /// per isolate.
    pub async fn ensure_bootstrap(&self) -> Result<(), InternalError> {
        if BOOTSTRAPPED.with(Cell::get) {
            return Ok(());
        }
        bootstrap::ensure_clients(&self.store, self.config, self.now).await?;
        bootstrap::ensure_super_admin(&self.store, self.config, &SystemRandom, self.now).await?;
        BOOTSTRAPPED.with(|b| b.set(true));
        Ok(())
    }

    /// The signer of `alg`, from the isolate's cache or loaded (and on a fresh database
    /// created).
    pub async fn signing_key(&self, alg: SigningAlg) -> Result<ActiveSigningKey<AlgKey>, InternalError> {
        self.keys.signing_key(alg).await
    }

    /// Forgets this isolate's signers and served JWKS (after a rotation made here).
    pub fn forget_keys(&self) {
        SIGNER.with(|c| c.borrow_mut().clear());
        JWKS_BODY.with(|c| c.borrow_mut().clear());
    }

    pub fn key_ring(&self) -> KeyRing<'_, D1Store, WebCryptoSigner, SystemRandom> {
        self.key_ring_on(&self.store)
    }

    /// The key ring over `store` (the primary, or [`Cx::replica`] for the published keys).
    pub fn key_ring_on<'s>(&'s self, store: &'s D1Store) -> KeyRing<'s, D1Store, WebCryptoSigner, SystemRandom> {
        KeyRing { store, signer: &WebCryptoSigner, rng: &SystemRandom, secret: &self.config.secret_key }
    }

    /// D1 through a session that may read from a nearby replica: for the published,
    /// lag-tolerant reads only ([`D1Store::replica`]).
    pub fn replica(&self) -> Result<D1Store, InternalError> {
        db_replica(self.env, self.trips.clone())
    }
}

/// The ports of workerd: D1, KV, WebCrypto, this isolate's key caches, mail over `fetch`.
pub struct WorkerPlatform;

impl Platform for WorkerPlatform {
    type Sql = D1Store;
    type Kv = Kv;
    type Signer = WebCryptoSigner;
    type Keys = EdgeKeys;
    type Verifier = EdgeVerifier;
    type Rng = SystemRandom;
    type Outbound = EdgeOutbound;
    type Http = FetchHttp;
}

/// The engine's view of a request over these ports: one definition for the request's
/// context ([`Cx::request_context`]) and for work after the answer, which builds its own.
pub fn edge_context<'a>(
    config: &'a Config,
    store: &'a D1Store,
    kv: &'a Kv,
    keys: &'a EdgeKeys,
    verifier: &'a EdgeVerifier,
    meta: &'a RequestMeta,
    now_ms: UnixMillis,
) -> RequestContext<'a, WorkerPlatform> {
    RequestContext {
        config,
        store,
        kv,
        signer: &WebCryptoSigner,
        keys,
        verifier,
        rng: &SystemRandom,
        outbound: &EdgeOutbound,
        http: &FetchHttp,
        meta,
        now: now_ms.div_euclid(1000),
        now_ms,
    }
}

/// The per-isolate signer cache as the engine's key source, loading (and on a fresh
/// database creating) a key on a miss through its own D1 handle.
pub struct EdgeKeys {
    store: D1Store,
    secret: Secret,
    now: UnixTime,
}

impl EdgeKeys {
    pub fn new(store: D1Store, config: &Config, now: UnixTime) -> EdgeKeys {
        EdgeKeys { store, secret: config.secret_key.clone(), now }
    }
}

impl SigningKeySource<AlgKey> for EdgeKeys {
    async fn signing_key(&self, alg: SigningAlg) -> Result<ActiveSigningKey<AlgKey>, InternalError> {
        if let Some(key) = SIGNER.with(|c| c.borrow().get(alg, self.now)) {
            return Ok(key);
        }
        let ring = KeyRing { store: &self.store, signer: &WebCryptoSigner, rng: &SystemRandom, secret: &self.secret };
        let key = ring.load_active_signer(alg, self.now).await?;
        SIGNER.with(|c| c.borrow_mut().put(key.clone(), self.now));
        Ok(key)
    }
}

/// Public keys for verifying presented tokens, cached per isolate like the signer.
pub struct EdgeVerifier {
    store: D1Store,
    now: UnixTime,
}

impl EdgeVerifier {
    pub fn new(store: D1Store, now: UnixTime) -> EdgeVerifier {
        EdgeVerifier { store, now }
    }
}

impl VerificationKeySource<AlgKey> for EdgeVerifier {
    async fn verification_key(&self, kid: &str) -> Result<Option<AlgKey>, InternalError> {
        let cached = VERIFIERS.with(|v| v.borrow().lookup(kid, self.now));
        match cached {
            KeyLookup::Found(key) => return Ok(Some(key)),
            KeyLookup::Unknown => return Ok(None),
            KeyLookup::Reload => {}
        }
        let keys = access_token::import_published_keys(&self.store, &WebCryptoSigner, self.now).await?;
        let found = keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone());
        VERIFIERS.with(|v| v.borrow_mut().replace(keys, self.now));
        Ok(found)
    }
}
