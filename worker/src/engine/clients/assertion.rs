//! JWT client authentication: `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2
//! and §3, OIDC Core §9).
//!
//! The client sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
//! and a `client_assertion`: for `private_key_jwt` signed with a key of its registered
//! `jwks` (or the set at its `jwks_uri`) with RS256, ES256 or EdDSA, the key's algorithm
//! (RFC 8725 §3.1: never `none`, never HMAC); for `client_secret_jwt` an HS256 MAC keyed
//! with one of its live secrets (kept sealed for this). It is accepted when the signature
//! verifies; `iss` and `sub` are the client (§3 items 1–2); `aud` is this
//! server's issuer or the URL of the endpoint called (§3 item 3); `exp` is present, in
//! the future and at most [`MAX_LIFETIME`] away (item 4: short-lived); `jti` is present
//! and was not accepted before (item 7: the `client_assertions` table keeps it until it
//! expires). Every failure is the same `invalid_client` to the caller; the reason goes to
//! the log only.

use serde::Deserialize;
use shared::clients::FAPI2_SIGNING_ALGS;
use shared::oauth::ASSERTION_SIGNING_ALGS;
use shared::paths;

use crate::engine::crypto::jose::b64url_decode;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::token::TokenError;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SigningAlg, SqlRunner};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::client_assertions;

use super::{jwks, AuthMethod, Client, ClientRecord, ClientSecret};
use crate::engine::crypto::sealed::{self, Purpose};

/// The longest an assertion may live, from now: a few minutes is what RFC 7523 §3 item 4
/// ("SHOULD be short") means in practice (node-oidc-provider, Keycloak).
pub const MAX_LIFETIME: i64 = 300;
/// Clock skew allowed on `exp`, `nbf` and `iat`.
const LEEWAY: i64 = 60;

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<serde_json::Value>,
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
    #[serde(default)]
    iat: Option<f64>,
    jti: Option<String>,
}

/// The `sub` of an assertion, unverified: which client it claims to be, when the request
/// names no `client_id` (RFC 7523 §3 item 2).
pub fn claimed_client(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let claims: Claims = crate::engine::platform::json::parse(&b64url_decode(payload).ok()?).ok()?;
    claims.sub.or(claims.iss)
}

/// The audiences an assertion may name (RFC 7523 §3 item 3): the issuer, or the URL of
/// an endpoint that authenticates clients.
fn audiences(issuer: &str) -> Vec<String> {
    let mut out = vec![issuer.to_owned()];
    out.extend(
        [
            paths::TOKEN,
            paths::INTROSPECT,
            paths::REVOKE,
            paths::DEVICE_AUTHORIZATION,
            paths::PUSHED_AUTHORIZATION_REQUEST,
        ]
        .iter()
        .map(|p| format!("{issuer}{p}")),
    );
    out
}

/// Verifies `assertion` for `client` (registered for `private_key_jwt` or
/// `client_secret_jwt`, with its `secrets`): `Ok(Ok(()))` when accepted (its `jti` is then
/// spent), `Ok(Err(reason))` when refused.
pub async fn verify<P: Platform>(
    rc: &RequestContext<'_, P>,
    client: &Client,
    secrets: &[ClientSecret],
    assertion: &str,
) -> Result<Result<(), String>, InternalError> {
    let mut parts = assertion.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err("the assertion is not a compact JWS".into()));
    };
    let parse = |part: &str| b64url_decode(part).ok();
    let Some(header) = parse(header_b64).and_then(|h| crate::engine::platform::json::parse::<Header>(&h).ok()) else {
        return Ok(Err("the assertion's header is unreadable".into()));
    };
    let mac = client.auth_method == AuthMethod::ClientSecretJwt;
    let alg = match (mac, header.alg.as_str()) {
        (true, "HS256") => None,
        (true, other) => return Ok(Err(format!("a client_secret_jwt assertion is HS256, not alg `{other}`"))),
        (false, other) if client.fapi2 && !FAPI2_SIGNING_ALGS.contains(&other) => {
            return Ok(Err(format!("FAPI 2.0 §5.4.1: a FAPI 2.0 client's assertion is ES256 or EdDSA, not `{other}`")))
        }
        (false, other) => match ASSERTION_SIGNING_ALGS.contains(&other).then(|| SigningAlg::parse(other)).flatten() {
            Some(alg) => Some(alg),
            None => return Ok(Err(format!("alg `{other}` is not one of RS256, ES256, EdDSA"))),
        },
    };
    let Some(claims) = parse(claims_b64).and_then(|c| crate::engine::platform::json::parse::<Claims>(&c).ok()) else {
        return Ok(Err("the assertion's claims are unreadable".into()));
    };
    if let Err(why) = check_claims(&claims, client, &audiences(&rc.config.issuer), rc.now) {
        return Ok(Err(why));
    }
    let Some(signature) = parse(signature_b64) else { return Ok(Err("the signature is unreadable".into())) };
    let input = assertion.get(..header_b64.len() + 1 + claims_b64.len()).unwrap_or_default().as_bytes();
    let verified = match alg {
        None => mac_verifies(rc, secrets, input, &signature)?,
        Some(alg) => match jwks::verifies(rc, client, alg, header.kid.as_deref(), input, &signature).await? {
            Ok(verified) => verified,
            Err(why) => return Ok(Err(why)),
        },
    };
    if !verified {
        let why = if mac {
            "no live secret of the client MACs the assertion"
        } else {
            "no key of the client's jwks verifies the assertion"
        };
        return Ok(Err(why.into()));
    }
    // RFC 7523 §3 item 7: once. Kept until the assertion would have expired anyway.
    let (Some(jti), Some(exp)) = (&claims.jti, claims.exp) else { return Ok(Err("jti and exp are required".into())) };
    let first = rc.store.exec(client_assertions::record(&client.client_id, &hash_token(jti), exp as i64)).await? == 1;
    Ok(if first { Ok(()) } else { Err("this assertion's jti was used before".into()) })
}

/// HS256 (RFC 7518 §3.2) with each live secret of the client; the MAC is compared in
/// constant time (`verify_slice`).
fn mac_verifies<P: Platform>(
    rc: &RequestContext<'_, P>,
    secrets: &[ClientSecret],
    input: &[u8],
    signature: &[u8],
) -> Result<bool, InternalError> {
    use hmac::{Hmac, Mac};
    let mut matched = false;
    for secret in secrets.iter().filter(|s| s.expires_at.is_none_or(|e| rc.now < e)) {
        let Some(sealed_secret) = &secret.sealed else { continue };
        let key =
            sealed::open(&rc.config.secret_key, Purpose::ClientSecret, secret.secret_id.as_bytes(), sealed_secret)?;
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| InternalError::new(format!("hmac: {e}")))?;
        mac.update(input);
        matched |= mac.verify_slice(signature).is_ok();
    }
    Ok(matched)
}

/// RFC 7523 §3 items 1–4 and 7 on the claims alone.
fn check_claims(claims: &Claims, client: &Client, audiences: &[String], now: i64) -> Result<(), String> {
    let id = client.client_id.as_str();
    if claims.iss.as_deref() != Some(id) || claims.sub.as_deref() != Some(id) {
        return Err("iss and sub must both be the client_id".into());
    }
    let audience_ok = |a: &str| audiences.iter().any(|x| x == a);
    let aud_ok = match &claims.aud {
        Some(serde_json::Value::String(a)) => audience_ok(a),
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|a| a.as_str()).any(audience_ok),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("aud must be the issuer or a token endpoint's URL: {}", audiences.join(", ")));
    }
    let Some(exp) = claims.exp.map(|e| e as i64) else { return Err("exp is required".into()) };
    if exp + LEEWAY <= now {
        return Err("the assertion has expired".into());
    }
    if exp > now + MAX_LIFETIME + LEEWAY {
        return Err(format!("exp is more than {MAX_LIFETIME} seconds away: make assertions short-lived"));
    }
    if claims.nbf.is_some_and(|nbf| nbf as i64 > now + LEEWAY)
        || claims.iat.is_some_and(|iat| iat as i64 > now + LEEWAY)
    {
        return Err("the assertion is not valid yet (nbf or iat in the future)".into());
    }
    if claims.jti.as_deref().is_none_or(str::is_empty) {
        return Err("jti is required".into());
    }
    Ok(())
}

/// [`verify`] as the token endpoints answer it: any refusal is `invalid_client` (its
/// reason logged, never told).
pub async fn authenticate<P: Platform>(
    rc: &RequestContext<'_, P>,
    (client, secrets): ClientRecord,
    assertion: &str,
) -> Result<Client, TokenError> {
    match verify(rc, &client, &secrets, assertion).await? {
        Ok(()) => Ok(client),
        Err(why) => Err(TokenError::ClientRefused(format!("{}: {why}", client.client_id))),
    }
}

#[cfg(test)]
mod tests;
