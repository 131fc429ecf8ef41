//! Signing-key administration (docs/api.md, "Admin and account API": `POST /api/keys/rotate`,
//! super_admin) and the Cron Trigger's share of rotation (`KEY_ROTATION_DAYS`, completing
//! due rotations, retiring keys whose tokens have all expired). The timing rules are in
//! `crypto::keys::rotation`. Audited: `key.rotated`, `key.activated`, `key.retired`.

use serde_json::json;
use shared::admin::{KeyRotation, SigningKeyInfo};
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::crypto::keys::rotation::Maintenance;
use crate::engine::crypto::keys::KeyRing;
use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{JwsSigner, KeyStore, Random, SigningAlg, StoredSigningKey, UnixTime};

/// The longest a token signed by a replaced key may still be presented: the access and ID
/// token lifetime, with an hour of margin for a lifetime raised meanwhile. Per-client
/// lifetimes are capped by the same range (`shared::clients::ACCESS_TTL_RANGE`).
pub fn max_token_ttl(config: &Config) -> UnixTime {
    let longest = config.tokens.access_token_ttl.max(shared::clients::ACCESS_TTL_RANGE.1);
    i64::from(longest) + 3_600
}

fn info(key: &StoredSigningKey) -> SigningKeyInfo {
    SigningKeyInfo {
        kid: key.kid.clone(),
        alg: key.alg.as_str().into(),
        status: key.status.as_str().into(),
        published: true,
        created_at: key.created_at,
        activate_at: key.activate_at,
        publish_until: key.publish_until,
    }
}

async fn record<A: AuditStore>(
    audit: &A,
    event: AuditEvent,
    actor: Option<(&'static str, &str)>,
    kid: &str,
    metadata: serde_json::Value,
) -> Result<(), InternalError> {
    let mut event = event.resource("signing_key", kid).metadata(metadata);
    if let Some((kind, id)) = actor {
        event = event.actor(kind, id);
    }
    audit.record(&event).await
}

async fn record_maintenance<A: AuditStore, R: Random>(
    audit: &A,
    rng: &R,
    meta: &RequestMeta,
    done: &Maintenance,
    now: UnixTime,
) -> Result<(), InternalError> {
    for (alg, kid, until) in &done.activated {
        let event = AuditEvent::new("key.activated", meta, now, rng)?;
        record(audit, event, None, kid, json!({ "alg": alg.as_str(), "previous_published_until": until })).await?;
    }
    for kid in &done.retired {
        record(audit, AuditEvent::new("key.retired", meta, now, rng)?, None, kid, json!({})).await?;
    }
    Ok(())
}

/// `POST /api/keys/rotate`: a pending key for `alg` (or every algorithm), published now
/// and signing from its `activate_at`. Only a super_admin.
pub async fn rotate<S: KeyStore + AuditStore, C: JwsSigner, R: Random>(
    ring: &KeyRing<'_, S, C, R>,
    config: &Config,
    admin: &AdminPrincipal,
    request: &KeyRotation,
    meta: &RequestMeta,
    now: UnixTime,
) -> Result<Vec<SigningKeyInfo>, ApiError> {
    if !admin.is_super_admin() {
        return Err(ApiError::forbidden(codes::SUPER_ADMIN_REQUIRED, "only a super_admin rotates signing keys"));
    }
    let algs: Vec<SigningAlg> = match request.alg.as_deref() {
        None => SigningAlg::ALL.to_vec(),
        Some(name) => match SigningAlg::parse(name) {
            Some(alg) => vec![alg],
            None => return Err(ApiError::invalid("alg", "alg must be RS256, ES256 or EdDSA")),
        },
    };
    // Rotations that came due meanwhile are completed first, so a pending key never waits
    // behind another.
    let done = ring.maintain(now, max_token_ttl(config)).await?;
    record_maintenance(ring.store, ring.rng, meta, &done, now).await?;
    let mut started = Vec::new();
    for alg in algs {
        if let Some(key) = ring.rotate(alg, now).await? {
            let event = AuditEvent::new("key.rotated", meta, now, ring.rng)?;
            let metadata = json!({ "alg": alg.as_str(), "activate_at": key.activate_at });
            record(ring.store, event, Some(admin.actor()), &key.kid, metadata).await?;
            started.push(info(&key));
        }
    }
    if started.is_empty() {
        return Err(ApiError::conflict(
            codes::ROTATION_PENDING,
            "a rotation of this key is pending already; it completes at its activate_at",
        ));
    }
    Ok(started)
}

/// The Cron Trigger's part: complete due rotations, retire keys whose tokens have expired,
/// and with `KEY_ROTATION_DAYS` start rotations of keys that old.
pub async fn scheduled<S: KeyStore + AuditStore, C: JwsSigner, R: Random>(
    ring: &KeyRing<'_, S, C, R>,
    config: &Config,
    now: UnixTime,
) -> Result<serde_json::Value, InternalError> {
    let meta = RequestMeta::default();
    let done = ring.maintain(now, max_token_ttl(config)).await?;
    record_maintenance(ring.store, ring.rng, &meta, &done, now).await?;
    let started = ring.rotate_due(config.tokens.key_rotation_days, now).await?;
    for key in &started {
        let event = AuditEvent::new("key.rotated", &meta, now, ring.rng)?;
        let metadata = json!({ "alg": key.alg.as_str(), "activate_at": key.activate_at, "scheduled": true });
        record(ring.store, event, None, &key.kid, metadata).await?;
    }
    Ok(
        json!({ "keys_activated": done.activated.len(), "keys_retired": done.retired.len(), "keys_rotated": started.len() }),
    )
}

#[cfg(test)]
mod tests;
