//! The JOSE pieces the server produces: base64url (RFC 7515 §2), JWKs and JWK Sets
//! (RFC 7517), thumbprints (RFC 7638) and compact JWS assembly (RFC 7515 §7.1).
//!
//! Signing itself is done by a [`RsaSigner`]; this module only builds the signing input
//! and the final token, so the same code runs with WebCrypto and with the `rsa` crate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use shared::jwk::{Jwk, JwkSet};

use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{RsaSigner, StoredSigningKey};

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Result<Vec<u8>, InternalError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| InternalError::new("invalid base64url"))
}

/// RFC 7638 §3.2: SHA-256 over the required members in lexicographic order, no spaces.
pub fn rsa_thumbprint(n: &str, e: &str) -> String {
    // n and e are base64url, so they need no JSON escaping.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    b64url(&Sha256::digest(canonical.as_bytes()))
}

impl From<&StoredSigningKey> for Jwk {
    fn from(key: &StoredSigningKey) -> Self {
        Jwk {
            kty: "RSA".into(),
            use_: "sig".into(),
            alg: key.alg.clone(),
            kid: key.kid.clone(),
            n: key.public_n.clone(),
            e: key.public_e.clone(),
        }
    }
}

/// Signs `claims` as a compact JWS with RS256 and the key's `kid`.
/// `typ` is `JWT` for ID tokens, `at+jwt` for access tokens (RFC 9068 §2.1).
pub async fn sign_jwt<S: RsaSigner>(
    signer: &S,
    key: &ActiveSigningKey<S::Key>,
    typ: &str,
    claims: &Value,
) -> Result<String, InternalError> {
    let header = serde_json::json!({ "alg": "RS256", "typ": typ, "kid": key.kid });
    let header = serde_json::to_vec(&header).map_err(|e| InternalError::new(format!("JWT header: {e}")))?;
    let claims = serde_json::to_vec(claims).map_err(|e| InternalError::new(format!("JWT claims: {e}")))?;
    let signing_input = format!("{}.{}", b64url(&header), b64url(&claims));
    let signature = signer.sign_rs256(&key.key, signing_input.as_bytes()).await?;
    Ok(format!("{signing_input}.{}", b64url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_section_3_1_thumbprint_example() {
        // The worked example of RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(rsa_thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
