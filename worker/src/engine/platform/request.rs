//! One way to build a service: a [`Platform`] names the types of its ports once (SQL,
//! KV, signer, keys, randomness), and a [`RequestContext`] holds one request's view of
//! them — the configuration, where the request came from and the clock's reading. The
//! edge builds it once per request (`edge::context::Cx::request_context`), a test fixture
//! once per test (`test_support::NativePlatform`); services are views of it that add only
//! what is theirs, and reach its fields through `Deref`.

use crate::engine::clients::ClientStore;
use crate::engine::delivery::Outbound;
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::mail::MailStore;
use crate::engine::identity::users::UserStore;
use crate::engine::oauth::access_token::{RevocationStore, VerificationKeySource};
use crate::engine::oauth::consent::ConsentStore;
use crate::engine::oauth::device::DeviceStore;
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::oauth::token::{SigningKeySource, TokenLookups};
use crate::engine::ops::audit::{AuditStore, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::ports::{
    Es256Verifier, HttpClient, JwsSigner, KeyStore, KeyValue, Random, SqlRunner, UnixMillis, UnixTime,
};

/// The ports of one platform: workerd at the edge (D1, KV, WebCrypto), SQLite and the
/// RustCrypto signers in the native tests. Every store trait is implemented over
/// [`SqlRunner`]; naming them here lets a service call any store without a bound of its
/// own (docs/architecture.md, "One way to the database").
pub trait Platform {
    type Sql: SqlRunner
        + TokenLookups
        + UserStore
        + AuditStore
        + DeviceStore
        + ConsentStore
        + AccountStore
        + KeyStore
        + MailStore
        + RefreshStore
        + ClientStore
        + ScopeStore
        + RevocationStore;
    type Kv: KeyValue;
    /// Signs and verifies tokens; verifies passkeys' ES256 signatures.
    type Signer: JwsSigner + Es256Verifier;
    /// Signs what a request issues.
    type Keys: SigningKeySource<<Self::Signer as JwsSigner>::Key>;
    /// Verifies the tokens a request presents.
    type Verifier: VerificationKeySource<<Self::Signer as JwsSigner>::PublicKey>;
    type Rng: Random;
    /// The Queue, mail servers and HTTP APIs deliveries go to (`engine::delivery`).
    type Outbound: Outbound;
    /// Outbound HTTP a request needs before it answers: a client's `jwks_uri` (RFC 7523).
    type Http: HttpClient;
}

/// One request's engine context (docs/architecture.md, "Time is a parameter": `now` is
/// read once at the edge).
pub struct RequestContext<'a, P: Platform> {
    pub config: &'a Config,
    pub store: &'a P::Sql,
    pub kv: &'a P::Kv,
    pub signer: &'a P::Signer,
    pub keys: &'a P::Keys,
    pub verifier: &'a P::Verifier,
    pub rng: &'a P::Rng,
    pub outbound: &'a P::Outbound,
    pub http: &'a P::Http,
    /// Where the request came from, for audit entries and per-address limits.
    pub meta: &'a RequestMeta,
    pub now: UnixTime,
    /// `now` in milliseconds, where order within a second matters (access tokens' `jti`,
    /// RFC 7009 cut-offs).
    pub now_ms: UnixMillis,
}

// Every field is a reference or a number: a service hands its context to another.
impl<P: Platform> Clone for RequestContext<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Platform> Copy for RequestContext<'_, P> {}

/// A service that is a view of the request context (its field `rc`) reaches the context's
/// fields through `Deref`: one definition instead of one per service.
macro_rules! request_context_view {
    ($service:ident) => {
        impl<'a, P: $crate::engine::platform::request::Platform> std::ops::Deref for $service<'a, P> {
            type Target = $crate::engine::platform::request::RequestContext<'a, P>;

            fn deref(&self) -> &Self::Target {
                &self.rc
            }
        }
    };
}
pub(crate) use request_context_view;
