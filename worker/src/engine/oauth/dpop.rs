//! DPoP proofs (RFC 9449; docs/api.md, "DPoP"): a client proves it holds a private key by
//! signing a short JWT for each request, and the tokens issued to it are bound to that key
//! (`cnf.jkt`, the key's RFC 7638 thumbprint), so a copied token is useless without it.
//!
//! A proof is accepted when (§4.3): it is a JWS with `typ` `dpop+jwt`, an asymmetric
//! `alg` of [`DPOP_ALGS`] and a public `jwk` (no private members) whose algorithm it is;
//! the signature verifies with that key; `htm` is the request's method and `htu` its URL
//! (without query and fragment); `iat` is within [`MAX_AGE`] seconds past and
//! [`MAX_SKEW`] ahead; `jti` is present and was not seen within that window (the
//! `dpop_proofs` table: a second isolate sees it too); for a protected resource, `ath` is
//! the hash of the access token presented. Every refusal says why (`invalid_dpop_proof`).

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::engine::crypto::jose::{b64url, b64url_decode, thumbprint};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::platform::config::Secret;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, PublicJwk, SigningAlg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::dpop_proofs;

/// The algorithms a proof may use (discovery's `dpop_signing_alg_values_supported`).
pub const DPOP_ALGS: &[&str] = &["ES256", "RS256", "EdDSA"];
/// How old a proof may be (its `iat`), and how far ahead of our clock.
pub const MAX_AGE: i64 = 300;
pub const MAX_SKEW: i64 = 60;

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: String,
    jwk: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    nonce: Option<String>,
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<f64>,
    #[serde(default)]
    ath: Option<String>,
}

/// What a request must match.
pub struct Expected<'a> {
    /// The request's method (`POST`, `GET`).
    pub htm: &'a str,
    /// The request's URL; its query and fragment are ignored (§4.3 item 9).
    pub htu: &'a str,
    /// At a protected resource: the access token presented (its hash is `ath`).
    pub access_token: Option<&'a str>,
    /// With `DPOP_NONCES`: the key this server's nonces are made with; the proof must
    /// carry a current one (§8).
    pub nonce_key: Option<&'a Secret>,
}

/// Why a proof was refused: it lacks a current nonce of ours (`use_dpop_nonce`, §8), or
/// it broke another rule (named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    UseNonce,
    Invalid(String),
}

impl From<String> for Refused {
    fn from(why: String) -> Self {
        Refused::Invalid(why)
    }
}

impl From<&str> for Refused {
    fn from(why: &str) -> Self {
        Refused::Invalid(why.into())
    }
}

/// How long a nonce window lasts; a nonce of this window or the one before is accepted.
const NONCE_WINDOW: i64 = 300;

fn nonce_of(key: &Secret, window: i64) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()) else { return String::new() };
    mac.update(b"dpop-nonce ");
    mac.update(&window.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    b64url(digest.get(..16).unwrap_or_default())
}

/// The nonce clients should use now (RFC 9449 §8): derived from `SECRET_KEY` and the time
/// window, so every isolate makes and accepts the same without a storage call.
pub fn current_nonce(key: &Secret, now: UnixTime) -> String {
    nonce_of(key, now.div_euclid(NONCE_WINDOW))
}

fn nonce_ok(key: &Secret, nonce: &str, now: UnixTime) -> bool {
    use subtle::ConstantTimeEq;
    let window = now.div_euclid(NONCE_WINDOW);
    [window, window - 1].iter().any(|w| bool::from(nonce_of(key, *w).as_bytes().ct_eq(nonce.as_bytes())))
}

/// An accepted proof: the thumbprint of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub jkt: String,
}

/// `https://host/path` of `url`: scheme, host, port and path, without query or fragment.
fn without_query(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_query(None);
    parsed.set_fragment(None);
    Some(parsed.to_string())
}

/// The `ath` of an access token (§4.2): base64url of its SHA-256.
pub fn ath(access_token: &str) -> String {
    b64url(&Sha256::digest(access_token.as_bytes()))
}

fn public_key(jwk: &serde_json::Value) -> Result<PublicJwk, String> {
    if shared::clients::PRIVATE_JWK_MEMBERS.iter().any(|m| jwk.get(*m).is_some()) {
        return Err("the proof's jwk carries a private key".into());
    }
    let member = |m: &str| jwk.get(m).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let key = PublicJwk {
        kty: member("kty"),
        crv: member("crv"),
        n: member("n"),
        e: member("e"),
        x: member("x"),
        y: member("y"),
    };
    let usable = match key.kty.as_str() {
        "RSA" => !key.n.is_empty() && !key.e.is_empty(),
        "EC" => key.crv == "P-256" && !key.x.is_empty() && !key.y.is_empty(),
        "OKP" => key.crv == "Ed25519" && !key.x.is_empty(),
        _ => false,
    };
    if usable {
        Ok(key)
    } else {
        Err("the proof's jwk is not an RSA, EC P-256 or Ed25519 public key".into())
    }
}

/// A proof that passed every check but one: its `jti` is still to be spent (RFC 9449
/// §11.1), by [`verify`] at once or in the batch of the grant it comes with
/// (docs/storage.md, "One trip per grant").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub jkt: String,
    pub jti_hash: String,
    /// Kept as long as the proof's `iat` would still be accepted.
    pub expires_at: UnixTime,
}

impl Checked {
    /// The statement that spends the `jti`: returns a row the first time only.
    pub fn spend(&self) -> Statement<'static> {
        dpop_proofs::record_returning(&self.jkt, &self.jti_hash, self.expires_at)
    }
}

/// The refusal of a proof whose `jti` was spent before.
pub fn used_before() -> Refused {
    Refused::Invalid("this DPoP proof was used before".into())
}

/// Checks `proof` against `expected` at `now`, and spends its `jti` in `store`:
/// `Ok(Ok(proof))` when accepted, `Ok(Err(refusal))` when not.
pub async fn verify<S: JwsSigner>(
    signer: &S,
    store: &impl SqlRunner,
    proof: &str,
    expected: &Expected<'_>,
    now: UnixTime,
) -> Result<Result<Proof, Refused>, InternalError> {
    let checked = match check(signer, proof, expected, now).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(Err(refused)),
    };
    if store.select(checked.spend()).await?.is_empty() {
        return Ok(Err(used_before()));
    }
    Ok(Ok(Proof { jkt: checked.jkt }))
}

/// [`verify`] without spending the `jti`.
pub async fn check<S: JwsSigner>(
    signer: &S,
    proof: &str,
    expected: &Expected<'_>,
    now: UnixTime,
) -> Result<Result<Checked, Refused>, InternalError> {
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err(Refused::Invalid("the DPoP proof is not a compact JWS".into())));
    };
    let parse = |part: &str| b64url_decode(part).ok();
    let Some(header) = parse(header_b64).and_then(|h| crate::engine::platform::json::parse::<Header>(&h).ok()) else {
        return Ok(Err(Refused::Invalid("the DPoP proof's header is unreadable".into())));
    };
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Ok(Err(Refused::Invalid("the DPoP proof's typ is not dpop+jwt".into())));
    }
    let Some(alg) = DPOP_ALGS.contains(&header.alg.as_str()).then(|| SigningAlg::parse(&header.alg)).flatten() else {
        return Ok(Err(Refused::Invalid(format!(
            "alg `{}` is not one of {} (never none or HMAC)",
            header.alg,
            DPOP_ALGS.join(", ")
        ))));
    };
    let key = match header.jwk.as_ref().map(public_key) {
        Some(Ok(key)) if key.kty == alg.kty() => key,
        Some(Ok(_)) => return Ok(Err(Refused::Invalid("the proof's jwk is not a key for its alg".into()))),
        Some(Err(why)) => return Ok(Err(Refused::Invalid(why))),
        None => return Ok(Err(Refused::Invalid("the DPoP proof has no jwk".into()))),
    };
    let Some(signature) = parse(signature_b64) else {
        return Ok(Err(Refused::Invalid("the proof's signature is unreadable".into())));
    };
    let input = proof.get(..header_b64.len() + 1 + claims_b64.len()).unwrap_or_default().as_bytes();
    let imported = signer.import_public(alg, &key).await?;
    if !signer.verify(&imported, input, &signature).await? {
        return Ok(Err(Refused::Invalid("the DPoP proof's signature does not verify with its jwk".into())));
    }
    let Some(claims) = parse(claims_b64).and_then(|c| crate::engine::platform::json::parse::<Claims>(&c).ok()) else {
        return Ok(Err(Refused::Invalid("the DPoP proof's claims are unreadable".into())));
    };
    if claims.htm.as_deref() != Some(expected.htm) {
        return Ok(Err(Refused::Invalid(format!("the proof's htm is not {}", expected.htm))));
    }
    let htu_ok = match (claims.htu.as_deref().and_then(without_query), without_query(expected.htu)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if !htu_ok {
        return Ok(Err(Refused::Invalid("the proof's htu is not this request's URL".into())));
    }
    let Some(iat) = claims.iat.map(|t| t as i64) else {
        return Ok(Err(Refused::Invalid("the proof has no iat".into())));
    };
    if iat < now - MAX_AGE || iat > now + MAX_SKEW {
        return Ok(Err(Refused::Invalid(format!("the proof's iat is not within {MAX_AGE} s of now"))));
    }
    if let Some(token) = expected.access_token {
        if claims.ath.as_deref() != Some(ath(token).as_str()) {
            return Ok(Err(Refused::Invalid("the proof's ath is not the hash of this access token".into())));
        }
    }
    if let Some(key) = expected.nonce_key {
        if !claims.nonce.as_deref().is_some_and(|n| nonce_ok(key, n, now)) {
            return Ok(Err(Refused::UseNonce));
        }
    }
    let Some(jti) = claims.jti.filter(|j| !j.is_empty() && j.len() <= 256) else {
        return Ok(Err(Refused::Invalid("the proof has no jti".into())));
    };
    // §11.1: a proof works once; kept as long as its iat would still be accepted.
    Ok(Ok(Checked { jkt: thumbprint(&key), jti_hash: hash_token(&jti), expires_at: iat + MAX_AGE + MAX_SKEW }))
}

#[cfg(test)]
mod tests;
