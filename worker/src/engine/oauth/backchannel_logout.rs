//! OpenID Connect Back-Channel Logout 1.0. When a browser session ends on purpose
//! (`identity::sessions::end`, an admin's bulk end), every client that got a code or
//! tokens in it (`session_clients`) and registered a `backchannel_logout_uri` gets a
//! delivery row in the same batch that ends the session (`logout_deliveries`): an ended
//! session is never left untold, even if the isolate dies. After the answer the edge
//! signs each due row's Logout Token (§2.4) and POSTs it (§2.5); a delivery that fails
//! is retried with backoff by the next request that ends a session or by the Cron
//! Trigger, and given up after [`RETRY_AFTER`] runs out. Each outcome is audited.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::engine::crypto::jose::sign_jwt;
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::ops::audit::{AuditEvent, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{HttpClient, JwsSigner, Random, SigningAlg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::logout_deliveries::{self, Delivery};

/// §2.4: the event a Logout Token carries.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// §2.4 (explicit typing, RFC 8725 §3.11).
const TYP: &str = "logout+jwt";

/// How long a Logout Token is valid: long enough for a slow network, short enough that a
/// captured one is soon useless (§2.6 lets the receiver check `iat`/`exp`).
const TOKEN_SECONDS: UnixTime = 120;

/// Seconds to wait before the next attempt after the n-th failed one; after the last,
/// the delivery is given up (about a day and a half in all).
pub const RETRY_AFTER: [UnixTime; 9] = [5, 30, 120, 600, 3_600, 21_600, 21_600, 21_600, 43_200];

/// How many deliveries one run takes, and how long they stay claimed by it.
const BATCH: i64 = 50;
const LEASE_SECONDS: UnixTime = 60;

/// A session end in this isolate queued deliveries: the edge runs [`deliver_due`] after
/// answering. (Another request of the isolate may take the signal; it delivers every due
/// row, so nothing waits for the Cron Trigger unless the POST fails.)
static QUEUED: AtomicBool = AtomicBool::new(false);

pub fn note_queued() {
    QUEUED.store(true, Ordering::Relaxed);
}

pub fn take_queued() -> bool {
    QUEUED.swap(false, Ordering::Relaxed)
}

/// §2.4: `iss`, `sub`, `aud`, `iat`, `exp`, `jti`, `events`, `sid`; never a `nonce`.
pub fn logout_token_claims(config: &Config, delivery: &Delivery, now: UnixTime) -> Value {
    json!({
        "iss": config.issuer,
        "sub": delivery.user_id,
        "aud": delivery.client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": delivery.id,
        "events": { EVENT: {} },
        "sid": delivery.session_id,
    })
}

/// What a run did, for the log and the cleanup's summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: u64,
    pub retrying: u64,
    pub given_up: u64,
}

/// The ports a delivery run needs; the edge builds them after an answer or in the Cron
/// Trigger, the native tests with a scripted HTTP client.
pub struct Sender<'a, S, C: JwsSigner, K, H, R> {
    pub store: &'a S,
    pub signer: &'a C,
    pub keys: &'a K,
    pub http: &'a H,
    pub rng: &'a R,
    pub config: &'a Config,
    pub now: UnixTime,
}

impl<S, C, K, H, R> Sender<'_, S, C, K, H, R>
where
    S: SqlRunner,
    C: JwsSigner,
    K: SigningKeySource<C::Key>,
    H: HttpClient,
    R: Random,
{
    /// Delivers every due Logout Token (up to [`BATCH`]), in parallel, then records each
    /// outcome and its audit entry in one batch.
    pub async fn deliver_due(&self) -> Result<Delivered, InternalError> {
        let claimed =
            self.store.select(logout_deliveries::claim_due(self.now, self.now + LEASE_SECONDS, BATCH)).await?;
        let due = logout_deliveries::decode_claimed(claimed)
            .map_err(|e| InternalError::new(format!("logout delivery row: {e}")))?;
        if due.is_empty() {
            return Ok(Delivered::default());
        }
        let outcomes = join_all(due.iter().map(|d| self.attempt(d))).await;
        let mut statements: Vec<Statement<'static>> = Vec::new();
        let mut counts = Delivered::default();
        let meta = RequestMeta { ip_address: None, user_agent: None };
        for (delivery, outcome) in due.iter().zip(outcomes) {
            let audit = |name: &'static str, extra: Value| {
                let mut metadata =
                    json!({ "sid": delivery.session_id, "attempts": delivery.attempts, "jti": delivery.id });
                if let (Value::Object(m), Value::Object(e)) = (&mut metadata, extra) {
                    m.extend(e);
                }
                AuditEvent::new(name, &meta, self.now, self.rng).map(|e| {
                    e.actor("system", "backchannel_logout")
                        .resource("client", &delivery.client_id)
                        .metadata(metadata)
                        .statement()
                })
            };
            match outcome {
                Ok(()) => {
                    counts.delivered += 1;
                    statements.push(logout_deliveries::delivered(&delivery.id, self.now));
                    statements.push(audit("logout.backchannel_delivered", json!({}))?);
                }
                Err(error) => match retry_after(delivery.attempts) {
                    Some(wait) => {
                        counts.retrying += 1;
                        let next = self.now + wait;
                        statements.push(logout_deliveries::retry_at(&delivery.id, next, &error));
                        statements.push(audit(
                            "logout.backchannel_failed",
                            json!({ "error": error, "next_attempt_at": next }),
                        )?);
                    }
                    None => {
                        counts.given_up += 1;
                        statements.push(logout_deliveries::give_up(&delivery.id, self.now, &error));
                        statements.push(audit("logout.backchannel_given_up", json!({ "error": error }))?);
                    }
                },
            }
        }
        self.store.batch(&statements).await?;
        Ok(counts)
    }

    /// One POST of a signed Logout Token (§2.5): any 2xx is delivered; anything else, or
    /// no answer, is a failure with a reason for the log and the audit entry.
    async fn attempt(&self, delivery: &Delivery) -> Result<(), String> {
        let token = self.sign(delivery).await.map_err(|e| format!("signing: {}", e.detail()))?;
        let body = format!("logout_token={token}");
        match self.http.post_form(&delivery.uri, &body, None).await {
            Ok(reply) if (200..300).contains(&reply.status) => Ok(()),
            Ok(reply) => Err(format!("HTTP {}", reply.status)),
            Err(e) => Err(e.detail().to_owned()),
        }
    }

    async fn sign(&self, delivery: &Delivery) -> Result<String, InternalError> {
        // The client's ID-token algorithm (OIDC Registration §2), RS256 by default.
        let alg = delivery.alg.as_deref().and_then(SigningAlg::parse).unwrap_or(SigningAlg::Rs256);
        let key = self.keys.signing_key(alg).await?;
        sign_jwt(self.signer, &key, TYP, &logout_token_claims(self.config, delivery, self.now)).await
    }
}

/// The wait before the next attempt after `attempts` failed ones; `None`: give up.
pub fn retry_after(attempts: i64) -> Option<UnixTime> {
    usize::try_from(attempts).ok().and_then(|n| n.checked_sub(1)).and_then(|i| RETRY_AFTER.get(i).copied())
}

#[cfg(test)]
mod tests;
