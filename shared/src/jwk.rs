//! JSON Web Keys as the server publishes them (RFC 7517) and the SPA lists them.

use serde::{Deserialize, Serialize};

/// One public signing key (RFC 7517 §4): RSA (RFC 7518 §6.3.1: `n`, `e`), EC P-256 (RFC
/// 7518 §6.2.1: `crv`, `x`, `y`) or Ed25519 (RFC 8037 §2: `crv`, `x`); members of other key
/// types are absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub kid: String,
    /// RSA modulus, base64url without padding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub n: String,
    /// RSA public exponent, base64url without padding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub e: String,
    /// The curve: `P-256` (EC) or `Ed25519` (OKP).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub crv: String,
    /// The EC point's x coordinate, or the Ed25519 public key; base64url.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x: String,
    /// The EC point's y coordinate, base64url.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub y: String,
}

impl Jwk {
    /// Modulus size in bits, from the base64url length (no decoding needed: 4 characters
    /// carry 3 bytes, and an unpadded tail of k characters carries k-1 bytes).
    pub fn modulus_bits(&self) -> usize {
        let chars = self.n.len();
        let bytes = chars / 4 * 3 + (chars % 4).saturating_sub(1);
        bytes * 8
    }

    /// The key's size or curve, for people: `2048 bits`, `P-256`, `Ed25519`.
    pub fn strength(&self) -> String {
        if self.kty == "RSA" {
            format!("{} bits", self.modulus_bits())
        } else {
            self.crv.clone()
        }
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
            crv: String::new(),
            x: String::new(),
            y: String::new(),
        };
        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(json["use"], "sig");
        assert!(json.get("use_").is_none());
        // 256 bytes encode to 342 unpadded base64url characters.
        assert_eq!(jwk.modulus_bits(), 2048);
        assert!(json.get("crv").is_none() && json.get("x").is_none(), "no members of other key types");
    }
}
