//! JSON Web Keys as the server publishes them (RFC 7517) and the SPA lists them.

use serde::{Deserialize, Serialize};

/// One public RSA signing key (RFC 7517 §4, RFC 7518 §6.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub kid: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

impl Jwk {
    /// Modulus size in bits, from the base64url length (no decoding needed: 4 characters
    /// carry 3 bytes, and an unpadded tail of k characters carries k-1 bytes).
    pub fn modulus_bits(&self) -> usize {
        let chars = self.n.len();
        let bytes = chars / 4 * 3 + (chars % 4).saturating_sub(1);
        bytes * 8
    }
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7517_member_names_and_modulus_size() {
        let jwk = Jwk {
            kty: "RSA".into(),
            use_: "sig".into(),
            alg: "RS256".into(),
            kid: "k".into(),
            n: "A".repeat(342),
            e: "AQAB".into(),
        };
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["use"], "sig");
        assert!(json.get("use_").is_none());
        // 256 bytes encode to 342 unpadded base64url characters.
        assert_eq!(jwk.modulus_bits(), 2048);
    }
}
