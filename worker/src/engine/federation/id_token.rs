//! The provider's ID token, checked as a relying party must (OIDC Core §3.1.3.7): the
//! signature by a key of the provider's JWKS (RS256 or ES256, the algorithms providers
//! use; `none` and HMAC are refused, RFC 8725 §3.1), the issuer, the audience, the expiry
//! and the nonce of this sign-in.

use serde::Deserialize;

use crate::engine::crypto::jose::b64url_decode;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Es256Verifier, JwsSigner, PublicJwk, SigningAlg, UnixTime};

/// What the relying party uses of a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderClaims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    /// OIDC Core §5.1: absent means not verified. Apple sends it as a string (`"true"`).
    #[serde(default, deserialize_with = "boolean_or_string")]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub name: Option<String>,
}

fn boolean_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::String(s) => Some(s == "true"),
        _ => None,
    })
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Standard {
    iss: String,
    aud: serde_json::Value,
    exp: f64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

/// One JWK of the provider's set (RFC 7517), the members the two algorithms need.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// What the ID token must say.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: UnixTime,
}

/// The claims of `token` if it is valid for `expected`; `Err` with the reason otherwise.
pub async fn verify<V: JwsSigner + Es256Verifier>(
    verifier: &V,
    token: &str,
    keys: &JwkSet,
    expected: &Expected<'_>,
) -> Result<Result<ProviderClaims, &'static str>, InternalError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err("the ID token is not a compact JWS"));
    };
    let header: Header =
        match b64url_decode(header_b64).ok().and_then(|h| crate::engine::platform::json::parse(&h).ok()) {
            Some(h) => h,
            None => return Ok(Err("the ID token's header is unreadable")),
        };
    let (kty, usable) = match header.alg.as_str() {
        "RS256" => ("RSA", true),
        "ES256" => ("EC", true),
        _ => ("", false),
    };
    if !usable {
        return Ok(Err("the ID token's algorithm is not RS256 or ES256"));
    }
    let candidates: Vec<&Jwk> =
        keys.keys.iter().filter(|k| k.kty == kty && (header.kid.is_none() || k.kid == header.kid)).collect();
    let Some(key) = candidates.first() else { return Ok(Err("no key of the provider's JWKS signed the ID token")) };
    let Ok(signature) = b64url_decode(signature_b64) else { return Ok(Err("the ID token's signature is unreadable")) };
    let input = token.get(..header_b64.len() + 1 + claims_b64.len()).unwrap_or_default().as_bytes();
    let valid = match (kty, key) {
        ("RSA", Jwk { n: Some(n), e: Some(e), .. }) => {
            let public = verifier.import_public(SigningAlg::Rs256, &PublicJwk::rsa(n.clone(), e.clone())).await?;
            verifier.verify(&public, input, &signature).await?
        }
        ("EC", Jwk { crv: Some(crv), x: Some(x), y: Some(y), .. }) if crv == "P-256" => {
            match (b64url_decode(x), b64url_decode(y)) {
                (Ok(x), Ok(y)) => verifier.verify_es256(&x, &y, input, &signature).await?,
                _ => false,
            }
        }
        _ => false,
    };
    if !valid {
        return Ok(Err("the ID token's signature does not verify"));
    }
    let Ok(bytes) = b64url_decode(claims_b64) else { return Ok(Err("the ID token's claims are unreadable")) };
    let (Ok(standard), Ok(claims)) = (
        crate::engine::platform::json::parse::<Standard>(&bytes),
        crate::engine::platform::json::parse::<ProviderClaims>(&bytes),
    ) else {
        return Ok(Err("the ID token lacks iss, aud, exp or sub"));
    };
    let audience_ok = match &standard.aud {
        serde_json::Value::String(a) => a == expected.client_id,
        serde_json::Value::Array(list) => {
            list.iter().any(|a| a.as_str() == Some(expected.client_id))
                && (list.len() == 1 || standard.azp.as_deref() == Some(expected.client_id))
        }
        _ => false,
    };
    if standard.iss != expected.issuer {
        return Ok(Err("the ID token is from another issuer"));
    }
    if !audience_ok {
        return Ok(Err("the ID token is for another client"));
    }
    if (standard.exp as UnixTime) <= expected.now {
        return Ok(Err("the ID token has expired"));
    }
    if standard.nonce.as_deref() != Some(expected.nonce) {
        return Ok(Err("the ID token's nonce is not this sign-in's"));
    }
    Ok(Ok(claims))
}
