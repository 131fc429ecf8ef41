//! The engine's view of the platform. The edge implements these with D1, KV, WebCrypto
//! and `Date.now()`; `crate::native` implements them with SQLite, the `rsa` crate and the
//! system clock for tests.
//!
//! Each store method is one atomic statement (or one D1 `batch()`): D1 has no interactive
//! transactions, so nothing here may rely on read-then-write being isolated.
//!
//! The traits use `async fn` without `Send` bounds on purpose: workers-rs futures hold
//! JS values and are never `Send`, and the engine is single-threaded per request.
#![allow(async_fn_in_trait)]

use std::fmt;

use crate::engine::platform::error::InternalError;

/// Seconds since the Unix epoch. Passed into the engine, never read inside it
/// (`SystemTime::now()` panics on wasm32-unknown-unknown).
pub type UnixTime = i64;

/// Milliseconds since the Unix epoch: the same reading as a request's [`UnixTime`], where
/// order within a second matters (a token issued just after a revocation, RFC 7009 §2).
pub type UnixMillis = i64;

pub trait Clock {
    fn now(&self) -> UnixTime;
}

/// Cryptographically secure randomness.
pub trait Random {
    fn fill(&self, buf: &mut [u8]) -> Result<(), InternalError>;
}

/// The operating system's CSPRNG natively, `crypto.getRandomValues` in workerd.
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), InternalError> {
        getrandom::fill(buf).map_err(|e| InternalError::new(format!("getrandom failed: {e}")))
    }
}

/// Where a signing key is in its life (migrations/0001, 0018).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Made by a rotation: in the JWKS, signing from its `activate_at` on.
    Pending,
    /// Signs new tokens; at most one per algorithm.
    Active,
    /// Only verifies tokens signed before a rotation; in the JWKS until `publish_until`.
    Verify,
    /// Kept for the record, not published.
    Retired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Pending => "pending",
            KeyStatus::Active => "active",
            KeyStatus::Verify => "verify",
            KeyStatus::Retired => "retired",
        }
    }

    pub fn parse(value: &str) -> Result<KeyStatus, InternalError> {
        match value {
            "pending" => Ok(KeyStatus::Pending),
            "active" => Ok(KeyStatus::Active),
            "verify" => Ok(KeyStatus::Verify),
            "retired" => Ok(KeyStatus::Retired),
            other => Err(InternalError::new(format!("unknown signing key status `{other}`"))),
        }
    }
}

/// A signing key as stored: the public half in the clear, the private half sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub status: KeyStatus,
    pub public: PublicJwk,
    /// PKCS#8 DER sealed by [`crate::engine::crypto::sealed::seal`] with the kid as associated data.
    pub private_key_sealed: String,
    pub created_at: UnixTime,
    /// A pending key starts signing at this time.
    pub activate_at: Option<UnixTime>,
    pub publish_until: Option<UnixTime>,
}

// docs/architecture.md, "Secrets are hashed at rest and redacted in Debug": sealed key
// material stays out of logs, even encrypted.
impl fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .field("activate_at", &self.activate_at)
            .field("publish_until", &self.publish_until)
            .finish_non_exhaustive()
    }
}

/// Signing keys in D1 (edge) or SQLite (native).
pub trait KeyStore {
    /// The key that signs with `alg` at `now`: a pending key whose `activate_at` has come
    /// (the newest), else the active one.
    async fn signing_key_for(&self, alg: SigningAlg, now: UnixTime) -> Result<Option<StoredSigningKey>, InternalError>;

    /// Keys that belong in the JWKS at `now`: pending and active ones, and `verify` keys
    /// whose `publish_until` is unset or later; oldest first.
    async fn published_signing_keys(&self, now: UnixTime) -> Result<Vec<StoredSigningKey>, InternalError>;

    /// Inserts `key` as the active key of its algorithm unless one exists already, in one
    /// statement (`INSERT ... ON CONFLICT DO NOTHING` against the one-active-per-algorithm
    /// unique index). Returns whether this key was inserted.
    async fn insert_active_signing_key_if_none(&self, key: &StoredSigningKey) -> Result<bool, InternalError>;

    /// Inserts `key` as a pending key unless its algorithm has one pending already (one
    /// statement). Returns whether it was inserted.
    async fn insert_pending_signing_key(&self, key: &StoredSigningKey) -> Result<bool, InternalError>;

    /// Completes the rotation of `alg` whose pending key `kid` is due: in one batch, the
    /// active key becomes `verify` until `publish_until`, the pending key `active`.
    async fn complete_rotation(&self, alg: SigningAlg, kid: &str, publish_until: UnixTime)
        -> Result<(), InternalError>;

    /// `verify` keys whose `publish_until` has passed become `retired`; their kids.
    async fn retire_expired_keys(&self, now: UnixTime) -> Result<Vec<String>, InternalError>;

    /// Every key that is not retired, newest first (rotation and the cron look at them).
    async fn live_signing_keys(&self) -> Result<Vec<StoredSigningKey>, InternalError>;

    /// A cheap query that proves the database is reachable and migrated.
    async fn ping(&self) -> Result<(), InternalError>;
}

/// The key-value store (Workers KV). Eventually consistent: nothing that must be single
/// use lives only here (docs/api.md, "Runtime shape").
pub trait KeyValue {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError>;
    /// Stores `value` until `ttl` seconds from now; Workers KV refuses TTLs under
    /// [`KV_MIN_TTL`], so callers pass at least that.
    async fn put(&self, key: &str, value: &str, ttl: u32) -> Result<(), InternalError>;
    async fn delete(&self, key: &str) -> Result<(), InternalError>;
    /// The keys that start with `prefix` (at most 1000: one KV list page).
    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, InternalError>;
    /// This isolate's memory of a rate-limit window (not in KV); synchronous, so requests
    /// of one isolate interleaving at an await see each other.
    fn local_window(&self, key: &str) -> Option<LocalWindow>;
    /// Remembers `window` for `key` until `window.expires`.
    fn set_local_window(&self, key: &str, window: LocalWindow, now: UnixTime);
}

/// What an isolate knows of one rate-limit window (engine::identity::rate_limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalWindow {
    /// Requests this isolate counted.
    pub counted: u32,
    /// `counted` when this isolate last synced with KV.
    pub synced: u32,
    /// The count KV held after that sync (everyone's).
    pub shared: u32,
    /// When the window ends (Unix seconds): forget it then.
    pub expires: UnixTime,
}

/// Workers KV's minimum `expirationTtl`, in seconds.
pub const KV_MIN_TTL: u32 = 60;

/// A JWS algorithm this server signs tokens with (RFC 7518 §3.1; EdDSA: RFC 8037 §3.1,
/// with Ed25519).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    Rs256,
    Es256,
    EdDsa,
}

impl SigningAlg {
    /// Every algorithm, in the order discovery lists them.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(value: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// The JWK key type its keys have (RFC 7518 §6.1, RFC 8037 §2).
    pub fn kty(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RSA",
            SigningAlg::Es256 => "EC",
            SigningAlg::EdDsa => "OKP",
        }
    }
}

/// The public members of a signing key's JWK (RSA: `n`, `e`; EC: `crv`, `x`, `y`; OKP:
/// `crv`, `x`), base64url without padding; members of other key types are empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub crv: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub n: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub e: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub y: String,
}

impl PublicJwk {
    pub fn rsa(n: String, e: String) -> PublicJwk {
        PublicJwk { kty: "RSA".into(), n, e, ..PublicJwk::default() }
    }
}

/// A new key pair: the private key as PKCS#8 DER, ready to be sealed.
pub struct GeneratedKey {
    pub private_pkcs8_der: Vec<u8>,
    pub public: PublicJwk,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey").field("public", &self.public).finish_non_exhaustive()
    }
}

/// Key generation, signing and verification for the [`SigningAlg`]s: RS256
/// (RSASSA-PKCS1-v1_5 with SHA-256), ES256 (ECDSA P-256 with SHA-256, signatures `r ‖ s`),
/// EdDSA (Ed25519). WebCrypto on the edge; `rsa`, `p256` and `ed25519-dalek` natively.
pub trait JwsSigner {
    /// A private key ready to sign (it knows its algorithm): a non-extractable `CryptoKey`
    /// on the edge.
    type Key: Clone;
    /// A public key ready to verify (it knows its algorithm).
    type PublicKey: Clone;

    async fn generate(&self, alg: SigningAlg) -> Result<GeneratedKey, InternalError>;
    async fn import_private(&self, alg: SigningAlg, pkcs8_der: &[u8]) -> Result<Self::Key, InternalError>;
    async fn sign(&self, key: &Self::Key, message: &[u8]) -> Result<Vec<u8>, InternalError>;
    async fn import_public(&self, alg: SigningAlg, key: &PublicJwk) -> Result<Self::PublicKey, InternalError>;
    /// Whether `signature` is valid for `message`; malformed input is `false`.
    async fn verify(&self, key: &Self::PublicKey, message: &[u8], signature: &[u8]) -> Result<bool, InternalError>;
    /// The algorithm a public key was imported for (a token's `alg` must match it, RFC
    /// 8725 §3.1).
    fn alg_of(&self, key: &Self::PublicKey) -> SigningAlg;
}

/// ES256 verification (ECDSA on P-256 with SHA-256, RFC 7518 §3.4): passkeys' signatures.
/// WebCrypto on the edge, the `p256` crate natively.
pub trait Es256Verifier {
    /// Whether `signature` (`r ‖ s`, 64 bytes) is valid for `message` under the public
    /// point (`x`, `y`, 32 bytes each); malformed input is `false`.
    async fn verify_es256(&self, x: &[u8], y: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, InternalError>;
}

/// ES256 signing with a PKCS #8 private key (RFC 7518 §3.4): the client secret JWT Sign in
/// with Apple asks for. WebCrypto on the edge, the `p256` crate natively.
pub trait Es256Signer {
    /// The JWS signature (`r ‖ s`, 64 bytes) of `message` under the P-256 key `pkcs8` (DER).
    async fn sign_es256(&self, pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, InternalError>;
}

/// An HTTP answer: status and body text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
    /// The answer's `Cache-Control` (client metadata documents are cached by it).
    pub cache_control: Option<String>,
}

/// Outbound HTTP to other servers (identity providers): `fetch` on the edge, a scripted
/// fake in the native tests.
pub trait HttpClient {
    /// `GET url` with `Accept: application/json` and an optional Bearer token.
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<HttpReply, InternalError>;
    /// `POST url` with a form body, optionally authenticated with HTTP Basic.
    async fn post_form(&self, url: &str, body: &str, basic: Option<(&str, &str)>) -> Result<HttpReply, InternalError>;
}

/// A value bound to a SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlArg {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for SqlArg {
    fn from(v: &str) -> Self {
        SqlArg::Text(v.to_owned())
    }
}

impl From<&String> for SqlArg {
    fn from(v: &String) -> Self {
        SqlArg::Text(v.clone())
    }
}

impl From<i64> for SqlArg {
    fn from(v: i64) -> Self {
        SqlArg::Int(v)
    }
}

impl From<Option<&str>> for SqlArg {
    fn from(v: Option<&str>) -> Self {
        v.map(SqlArg::from).unwrap_or(SqlArg::Null)
    }
}

impl From<String> for SqlArg {
    fn from(v: String) -> Self {
        SqlArg::Text(v)
    }
}

impl From<Option<i64>> for SqlArg {
    fn from(v: Option<i64>) -> Self {
        v.map(SqlArg::Int).unwrap_or(SqlArg::Null)
    }
}

impl From<u32> for SqlArg {
    fn from(v: u32) -> Self {
        SqlArg::Int(i64::from(v))
    }
}

impl From<bool> for SqlArg {
    fn from(v: bool) -> Self {
        SqlArg::Int(i64::from(v))
    }
}

/// One statement and its arguments, for [`SqlRunner::batch`] and [`SqlRunner::query_batch`].
pub type Statement<'a> = (&'a str, Vec<SqlArg>);

/// Plain SQL on the one database (D1 at the edge, SQLite in tests): the one way to the
/// database. Every store is written once in the engine over this port, so the native
/// tests run exactly the SQL that D1 runs; the edge and `crate::native` only adapt it.
pub trait SqlRunner {
    /// Runs one statement; returns the rows it changed.
    async fn execute(&self, sql: &str, args: &[SqlArg]) -> Result<u64, InternalError>;
    /// Runs one statement; returns its rows as JSON objects (D1's shape).
    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError>;
    /// Runs the statements as one transaction (a D1 `batch()`); returns each one's
    /// changed-row count.
    async fn batch(&self, statements: &[Statement<'_>]) -> Result<Vec<u64>, InternalError>;
    /// Runs statements as one batch (one round trip, one transaction); returns each
    /// one's rows. Reads that a request needs together go here, because a D1 round trip,
    /// not the SQL, is most of a request's cost (docs/benchmark.md); a write whose
    /// conditions are those reads may join them (it returns no rows).
    async fn query_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<Vec<serde_json::Value>>, InternalError>;

    /// Runs one statement built by its table's module (`engine::tables`); the rows it changed.
    async fn exec(&self, statement: Statement<'_>) -> Result<u64, InternalError> {
        self.execute(statement.0, &statement.1).await
    }

    /// Runs one read built by its table's module (`engine::tables`); its rows.
    async fn select(&self, statement: Statement<'_>) -> Result<Vec<serde_json::Value>, InternalError> {
        self.query(statement.0, &statement.1).await
    }

    /// Two reads in one batch (one round trip); each one's rows.
    async fn select_pair(
        &self,
        a: Statement<'_>,
        b: Statement<'_>,
    ) -> Result<[Vec<serde_json::Value>; 2], InternalError> {
        self.select_pair_of([a, b]).await
    }

    /// [`SqlRunner::select_pair`] for a pair a table's module built together (a page and
    /// its total).
    async fn select_pair_of(&self, pair: [Statement<'_>; 2]) -> Result<[Vec<serde_json::Value>; 2], InternalError> {
        let mut results = self.query_batch(&pair).await?.into_iter();
        match (results.next(), results.next()) {
            (Some(first), Some(second)) => Ok([first, second]),
            _ => Err(InternalError::new("batch: wrong number of results")),
        }
    }
}

/// A 0/1 flag or a unix time as D1 returns it: every SQL integer reaches JavaScript as a
/// number, so rows decode integers as `f64` (exact far beyond any unix time).
pub fn int(value: f64) -> i64 {
    value as i64
}

/// A count from a row (an `f64`, see [`int`]) as `u64`; a negative one is 0.
pub fn whole(value: f64) -> u64 {
    u64::try_from(int(value)).unwrap_or(0)
}

/// The first row of `rows` decoded as `T`.
pub fn first_row<T: serde::de::DeserializeOwned>(rows: Vec<serde_json::Value>) -> Result<Option<T>, InternalError> {
    match rows.into_iter().next() {
        Some(row) => crate::engine::platform::json::row(row, "first").map(Some),
        None => Ok(None),
    }
}

/// The `total` column of a `SELECT COUNT(*) AS total` query.
pub fn count(rows: Vec<serde_json::Value>) -> Result<u64, InternalError> {
    #[derive(serde::Deserialize)]
    struct CountRow {
        total: f64,
    }
    Ok(first_row::<CountRow>(rows)?.map_or(0, |r| r.total as u64))
}
