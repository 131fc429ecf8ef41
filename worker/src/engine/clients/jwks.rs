//! A client's public keys (RFC 7517 sets: its registered `jwks`, or the set at its
//! `jwks_uri`) and the one way a signature is checked against them: client assertions
//! (RFC 7523) and request objects (RFC 9101).

use serde::Deserialize;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{HttpClient, JwsSigner, PublicJwk, SigningAlg};
use crate::engine::platform::request::{Platform, RequestContext};

use super::Client;

#[derive(Deserialize, Clone)]
struct Key {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Key>,
}

/// Whether `key` may verify a signature with `alg` (and the header's `kid`, if any).
fn fits(key: &Key, alg: SigningAlg, kid: Option<&str>) -> bool {
    key.kty == alg.kty()
        && key.alg.as_deref().is_none_or(|a| a == alg.as_str())
        && key.usage.as_deref().is_none_or(|u| u == "sig")
        && (kid.is_none() || key.kid.as_deref() == kid)
        && (alg != SigningAlg::EdDsa || key.crv.as_deref() == Some("Ed25519"))
        && (alg != SigningAlg::Es256 || key.crv.as_deref() == Some("P-256"))
}

fn public_jwk(key: &Key) -> Option<PublicJwk> {
    Some(PublicJwk {
        kty: key.kty.clone(),
        crv: key.crv.clone().unwrap_or_default(),
        n: key.n.clone().unwrap_or_default(),
        e: key.e.clone().unwrap_or_default(),
        x: key.x.clone().unwrap_or_default(),
        y: key.y.clone().unwrap_or_default(),
    })
    .filter(|k| !k.n.is_empty() || !k.x.is_empty())
}

/// The client's keys: its inline `jwks`, or the set at its `jwks_uri` (fetched with the
/// outbound limits: a deadline, no redirects, 1 MB).
async fn client_keys<P: Platform>(
    rc: &RequestContext<'_, P>,
    client: &Client,
) -> Result<Result<Vec<Key>, String>, InternalError> {
    let text = match (&client.jwks, &client.jwks_uri) {
        (Some(inline), _) => inline.clone(),
        (None, Some(uri)) => match rc.http.get(uri, None).await {
            Ok(reply) if reply.status == 200 => reply.body,
            Ok(reply) => return Ok(Err(format!("the client's jwks_uri answered {}", reply.status))),
            Err(e) => return Ok(Err(format!("the client's jwks_uri could not be read: {}", e.detail()))),
        },
        (None, None) => return Ok(Err("the client has no jwks".into())),
    };
    Ok(serde_json::from_str::<KeySet>(&text)
        .map(|s| s.keys)
        .map_err(|_| "the client's jwks is not a JWK set".to_string()))
}

/// Whether a key of `client` that fits `alg` (and `kid`, if the header names one)
/// verifies `signature` over `input`: `Ok(Err(why))` when the client's keys cannot be had.
pub async fn verifies<P: Platform>(
    rc: &RequestContext<'_, P>,
    client: &Client,
    alg: SigningAlg,
    kid: Option<&str>,
    input: &[u8],
    signature: &[u8],
) -> Result<Result<bool, String>, InternalError> {
    let keys = match client_keys(rc, client).await? {
        Ok(keys) => keys,
        Err(why) => return Ok(Err(why)),
    };
    for key in keys.iter().filter(|k| fits(k, alg, kid)) {
        let Some(public) = public_jwk(key) else { continue };
        let imported = rc.signer.import_public(alg, &public).await?;
        if rc.signer.verify(&imported, input, signature).await? {
            return Ok(Ok(true));
        }
    }
    Ok(Ok(false))
}
