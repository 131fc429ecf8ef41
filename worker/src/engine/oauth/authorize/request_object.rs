//! Request objects (RFC 9101, JAR): an authorization request's parameters as the claims
//! of a JWT the client signed with one of its keys, at `/authorize` (`request`) and at
//! the PAR endpoint.
//!
//! Accepted when: a compact JWS (encrypted objects are not offered); `alg` one of
//! [`REQUEST_OBJECT_SIGNING_ALGS`] (never `none`, never HMAC: RFC 9101 §10.1 leaves
//! unsigned objects to the server's policy, and this server has none), the client's
//! `request_object_signing_alg` when it registered one, ES256 or EdDSA for a FAPI 2.0
//! client; verified by a key of the client's `jwks`/`jwks_uri`; `iss` the client (§10.2),
//! `aud` this server's issuer (§10.2), `exp` present and at most an hour away, `nbf` not
//! in the future (FAPI 2.0 §5.3.2.1 also wants it within the last hour), a `client_id`
//! claim, if present, the client. The parameters are then the claims and nothing outside
//! (§5: "MUST only use the parameters included in the Request Object").

use serde_json::Value;
use shared::clients::FAPI2_SIGNING_ALGS;
use shared::oauth::REQUEST_OBJECT_SIGNING_ALGS;

use crate::engine::clients::{jwks, Client};
use crate::engine::crypto::jose::b64url_decode;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{SigningAlg, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};

/// The longest a request object may live, from now and from its `nbf` (FAPI 2.0 §5.3.2.1).
pub const MAX_LIFETIME: i64 = 3600;
/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY: i64 = 60;
/// The claims that describe the object rather than the request (RFC 7519 §4.1).
const JWT_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "jti", "sub"];

/// The parameters inside `object`, signed for `client`: `Ok(Err(why))` when it is refused
/// (the caller answers `invalid_request_object` with `why`).
pub async fn unpack<P: Platform>(
    rc: &RequestContext<'_, P>,
    client: &Client,
    object: &str,
) -> Result<Result<Form, String>, InternalError> {
    let parts: Vec<&str> = object.split('.').collect();
    let [header_b64, claims_b64, signature_b64] = parts.as_slice() else {
        return Ok(Err(match parts.len() {
            5 => "encrypted request objects are not supported: sign it (RFC 9101 §6.1)".into(),
            _ => "the request object is not a compact JWS".into(),
        }));
    };
    let json = |part: &str| b64url_decode(part).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(header) = json(header_b64) else { return Ok(Err("the request object's header is unreadable".into())) };
    let alg = match algorithm(client, header.get("alg").and_then(Value::as_str).unwrap_or_default()) {
        Ok(alg) => alg,
        Err(why) => return Ok(Err(why)),
    };
    let Some(Value::Object(claims)) = json(claims_b64) else {
        return Ok(Err("the request object's claims are unreadable".into()));
    };
    if let Err(why) = check_claims(&claims, client, &rc.config.issuer, rc.now) {
        return Ok(Err(why));
    }
    let Ok(signature) = b64url_decode(signature_b64) else { return Ok(Err("the signature is unreadable".into())) };
    let input = format!("{header_b64}.{claims_b64}");
    let kid = header.get("kid").and_then(Value::as_str);
    match jwks::verifies(rc, client, alg, kid, input.as_bytes(), &signature).await? {
        Ok(true) => {}
        Ok(false) => return Ok(Err("no key of the client's jwks verifies the request object".into())),
        Err(why) => return Ok(Err(why)),
    }
    Ok(parameters(&claims, &client.client_id))
}

/// The algorithm `client` may sign with, by the rules at the top of this file.
fn algorithm(client: &Client, alg: &str) -> Result<SigningAlg, String> {
    if alg == "none" {
        return Err("unsigned request objects (alg none) are refused".into());
    }
    if !REQUEST_OBJECT_SIGNING_ALGS.contains(&alg) {
        return Err(format!("alg `{alg}` is not one of {}", REQUEST_OBJECT_SIGNING_ALGS.join(", ")));
    }
    if client.request_object_alg.as_deref().is_some_and(|registered| registered != alg) {
        return Err(format!("this client's request objects are signed with its request_object_signing_alg, not {alg}"));
    }
    if client.fapi2 && !FAPI2_SIGNING_ALGS.contains(&alg) {
        return Err(format!("FAPI 2.0 §5.4.1: a FAPI 2.0 client's request objects are ES256 or EdDSA, not {alg}"));
    }
    SigningAlg::parse(alg).ok_or_else(|| format!("alg `{alg}` is not supported"))
}

fn check_claims(
    claims: &serde_json::Map<String, Value>,
    client: &Client,
    issuer: &str,
    now: UnixTime,
) -> Result<(), String> {
    let id = client.client_id.as_str();
    if claims.get("iss").and_then(Value::as_str) != Some(id) {
        return Err("iss must be the client_id (RFC 9101 §10.2)".into());
    }
    if claims.get("client_id").is_some_and(|c| c.as_str() != Some(id)) {
        return Err("client_id inside the request object must be the client's (RFC 9101 §5)".into());
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("aud must be this server's issuer, {issuer} (RFC 9101 §10.2)"));
    }
    let time = |name: &str| claims.get(name).and_then(Value::as_f64).map(|t| t as i64);
    let Some(exp) = time("exp") else { return Err("exp is required".into()) };
    if exp + LEEWAY <= now {
        return Err("the request object has expired".into());
    }
    if exp > now + MAX_LIFETIME + LEEWAY {
        return Err(format!("exp is more than {MAX_LIFETIME} seconds away"));
    }
    if let Some(nbf) = time("nbf") {
        if nbf > now + LEEWAY {
            return Err("the request object is not valid yet (nbf)".into());
        }
        if client.fapi2 && nbf < now - MAX_LIFETIME {
            return Err("FAPI 2.0 §5.3.2.1: nbf is at most an hour ago".into());
        }
    } else if client.fapi2 {
        return Err("FAPI 2.0 §5.3.2.1: a FAPI 2.0 client's request object has nbf".into());
    }
    Ok(())
}

/// The claims as authorization parameters: strings as they are, numbers and booleans in
/// their JSON spelling, `resource` arrays as repeated parameters (RFC 8707 §2), objects
/// (e.g. `claims`) as JSON text.
fn parameters(claims: &serde_json::Map<String, Value>, client_id: &str) -> Result<Form, String> {
    let mut pairs = vec![("client_id".to_owned(), client_id.to_owned())];
    for (name, value) in claims.iter().filter(|(n, _)| !JWT_CLAIMS.contains(&n.as_str()) && *n != "client_id") {
        match value {
            Value::Null => {}
            Value::String(text) => pairs.push((name.clone(), text.clone())),
            Value::Array(items) if name == "resource" => {
                for item in items {
                    let Some(text) = item.as_str() else { return Err("resource values are strings".into()) };
                    pairs.push((name.clone(), text.to_owned()));
                }
            }
            Value::Number(_) | Value::Bool(_) | Value::Object(_) | Value::Array(_) => {
                pairs.push((name.clone(), value.to_string()));
            }
        }
    }
    Form::from_pairs(&pairs).map_err(|e| e.describe())
}
