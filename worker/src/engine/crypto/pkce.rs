//! Proof Key for Code Exchange (RFC 7636).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::engine::crypto::jose::b64url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    S256,
    #[serde(rename = "plain")]
    Plain,
}

impl Method {
    pub fn parse(value: &str) -> Option<Method> {
        match value {
            "S256" => Some(Method::S256),
            "plain" => Some(Method::Plain),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::S256 => "S256",
            Method::Plain => "plain",
        }
    }
}

/// §4.1 / §4.2: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
/// The same grammar holds for verifiers and (S256 gives 43) challenges.
pub fn valid_challenge(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// §4.2: the S256 challenge of `verifier` (what this server sends as a client).
pub fn s256_challenge(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// §4.6: the server recomputes the challenge from the verifier and compares (in
/// constant time: the challenge is not secret, but the comparison costs nothing).
pub fn verify(method: Method, challenge: &str, verifier: &str) -> bool {
    if !valid_challenge(verifier) {
        return false;
    }
    let computed = match method {
        Method::S256 => s256_challenge(verifier),
        Method::Plain => verifier.to_owned(),
    };
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_s256_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(Method::S256, challenge, verifier));
        assert!(!verify(Method::S256, challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK"));
        assert!(!verify(Method::Plain, challenge, verifier), "the method is part of the check");
    }

    #[test]
    fn rfc7636_4_1_verifier_grammar() {
        assert!(!verify(Method::Plain, "short", "short"));
        let long = "a".repeat(129);
        assert!(!verify(Method::Plain, &long, &long));
        let bad = format!("{}+", "a".repeat(43));
        assert!(!verify(Method::Plain, &bad, &bad));
        let ok = "a".repeat(43);
        assert!(verify(Method::Plain, &ok, &ok));
    }
}
