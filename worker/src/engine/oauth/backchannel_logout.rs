//! OpenID Connect Back-Channel Logout 1.0. When a browser session ends on purpose
//! (`identity::sessions::end`, an admin's bulk end), every client that got a code or
//! tokens in it (`session_clients`) and registered a `backchannel_logout_uri` gets a
//! Logout Token row (`logout_deliveries`) and its delivery (`deliveries`, kind `logout`)
//! in the same batch that ends the session: an ended session is never left untold, even if
//! the isolate dies. After the answer the deliveries go the way of every outbound message
//! (docs/delivery.md): the Queue, retries with backoff, a dead letter an admin can retry.
//! Each attempt signs a fresh Logout Token (§2.4) with the same `jti` and POSTs it (§2.5);
//! each outcome is audited (`delivery::logout`).

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Value};

use crate::engine::crypto::jose::sign_jwt;
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, SigningAlg, UnixTime};
use crate::engine::tables::logout_deliveries::Delivery;

/// §2.4: the event a Logout Token carries.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// §2.4 (explicit typing, RFC 8725 §3.11).
const TYP: &str = "logout+jwt";

/// How long a Logout Token is valid: long enough for a slow network, short enough that a
/// captured one is soon useless (§2.6 lets the receiver check `iat`/`exp`).
const TOKEN_SECONDS: UnixTime = 120;

/// A session end in this isolate wrote Logout Tokens: the edge dispatches the due ones
/// after answering (another request of the isolate may take the signal; it dispatches
/// every due one).
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

/// The signed Logout Token of `delivery`, with the client's ID-token algorithm (OIDC
/// Registration §2; RS256 by default).
pub async fn logout_token<C: JwsSigner, K: SigningKeySource<C::Key>>(
    signer: &C,
    keys: &K,
    config: &Config,
    delivery: &Delivery,
    now: UnixTime,
) -> Result<String, InternalError> {
    let alg = delivery.alg.as_deref().and_then(SigningAlg::parse).unwrap_or(SigningAlg::Rs256);
    let key = keys.signing_key(alg).await?;
    sign_jwt(signer, &key, TYP, &logout_token_claims(config, delivery, now)).await
}

#[cfg(test)]
mod tests;
