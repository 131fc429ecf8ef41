//! The JOSE pieces the server produces: base64url (RFC 7515 §2), JWKs and JWK Sets
//! (RFC 7517), thumbprints (RFC 7638) and compact JWS assembly (RFC 7515 §7.1).
//!
//! Signing itself is done by a [`JwsSigner`]; this module only builds the signing input
//! and the final token, so the same code runs with WebCrypto and natively.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use shared::jwk::{Jwk, JwkSet};

use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, PublicJwk, StoredSigningKey};

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Result<Vec<u8>, InternalError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| InternalError::new("invalid base64url"))
}

/// RFC 7638 §3.2: SHA-256 over the required members in lexicographic order, no spaces
/// (RSA: `e kty n`; EC: `crv kty x y`, §3.2; OKP: `crv kty x`, RFC 8037 §2).
pub fn thumbprint(key: &PublicJwk) -> String {
    // The members are base64url or fixed names, so they need no JSON escaping.
    let canonical = match key.kty.as_str() {
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, key.e, key.n),
        "EC" => format!(r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#, key.crv, key.x, key.y),
        _ => format!(r#"{{"crv":"{}","kty":"{}","x":"{}"}}"#, key.crv, key.kty, key.x),
    };
    b64url(&Sha256::digest(canonical.as_bytes()))
}

impl From<&StoredSigningKey> for Jwk {
    fn from(key: &StoredSigningKey) -> Self {
        let public = key.public.clone();
        Jwk {
            kty: public.kty,
            use_: "sig".into(),
            alg: key.alg.as_str().into(),
            kid: key.kid.clone(),
            n: public.n,
            e: public.e,
            crv: public.crv,
            x: public.x,
            y: public.y,
        }
    }
}

/// Signs `claims` as a compact JWS with the key's algorithm and `kid`.
/// `typ` is `JWT` for ID tokens, `at+jwt` for access tokens (RFC 9068 §2.1).
pub async fn sign_jwt<S: JwsSigner>(
    signer: &S,
    key: &ActiveSigningKey<S::Key>,
    typ: &str,
    claims: &Value,
) -> Result<String, InternalError> {
    let header = serde_json::json!({ "alg": key.alg.as_str(), "typ": typ, "kid": key.kid });
    let header = serde_json::to_vec(&header).map_err(|e| InternalError::new(format!("JWT header: {e}")))?;
    let claims = serde_json::to_vec(claims).map_err(|e| InternalError::new(format!("JWT claims: {e}")))?;
    let signing_input = format!("{}.{}", b64url(&header), b64url(&claims));
    let signature = signer.sign(&key.key, signing_input.as_bytes()).await?;
    Ok(format!("{signing_input}.{}", b64url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_section_3_1_thumbprint_example() {
        // The worked example of RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let key = PublicJwk::rsa(n.into(), "AQAB".into());
        assert_eq!(thumbprint(&key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn rfc8037_appendix_a_3_okp_thumbprint_example() {
        // RFC 8037 Appendix A.3: the Ed25519 key of A.2 and its thumbprint.
        let key = PublicJwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
            ..PublicJwk::default()
        };
        assert_eq!(thumbprint(&key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
