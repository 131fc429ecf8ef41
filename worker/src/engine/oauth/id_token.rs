//! ID tokens (OIDC Core §2, §3.1.3.6, §5.4).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};
use shared::mfa::{ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR};

use crate::engine::crypto::jose::b64url;
use crate::engine::identity::users::User;
use crate::engine::platform::config::Config;
use crate::engine::platform::ports::{SigningAlg, UnixTime};

/// `at_hash` / `c_hash` (OIDC Core §3.1.3.6, §3.3.2.11): the left half of the hash of the
/// ASCII value, base64url, with the hash of the ID token's `alg`: SHA-256 for RS256 and
/// ES256, SHA-512 for EdDSA with Ed25519 (the hash Ed25519 uses, as OpenID Foundation
/// implementations do).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::Rs256 | SigningAlg::Es256 => b64url(Sha256::digest(value.as_bytes()).get(..16).unwrap_or_default()),
        SigningAlg::EdDsa => b64url(Sha512::digest(value.as_bytes()).get(..32).unwrap_or_default()),
    }
}

pub struct IdTokenFacts<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    /// The user claims the granted scopes release (`ScopeStore::released_claims`).
    pub claims: &'a [String],
    pub auth_time: UnixTime,
    /// How the person signed in (RFC 8176 values, space-separated): `amr`, and `acr`
    /// derived from it (OIDC Core §2).
    pub amr: Option<&'a str>,
    pub nonce: Option<&'a str>,
    /// The access token issued alongside, for `at_hash`.
    pub access_token: Option<&'a str>,
    /// The code issued alongside in a hybrid flow, for `c_hash` (OIDC Core §3.3.2.11).
    pub code: Option<&'a str>,
    /// The browser session it was issued in (OIDC Back-Channel Logout §2.1 `sid`).
    pub sid: Option<&'a str>,
    pub ttl: u32,
    /// The algorithm the ID token is signed with (it picks `at_hash`'s hash).
    pub alg: SigningAlg,
}

/// The ID token's claims: `iss sub aud exp iat auth_time` (+ `nonce`, `at_hash`, `c_hash`), then
/// the user's claims that the granted scopes release.
pub fn claims(config: &Config, facts: &IdTokenFacts<'_>, now: UnixTime) -> Value {
    let mut claims: Map<String, Value> = facts.user.claims_for(facts.claims);
    claims.insert("iss".into(), Value::String(config.issuer.clone()));
    claims.insert("sub".into(), Value::String(facts.user.id.clone()));
    claims.insert("aud".into(), Value::String(facts.client_id.into()));
    claims.insert("exp".into(), Value::from(now + i64::from(facts.ttl)));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("auth_time".into(), Value::from(facts.auth_time));
    if let Some(amr) = facts.amr.filter(|a| !a.is_empty()) {
        let methods: Vec<Value> = amr.split(' ').map(|m| Value::String(m.into())).collect();
        let multi_factor = amr.split(' ').any(|m| m == "mfa");
        let acr = if multi_factor { ACR_MULTI_FACTOR } else { ACR_SINGLE_FACTOR };
        claims.insert("amr".into(), Value::Array(methods));
        claims.insert("acr".into(), Value::String(acr.into()));
    }
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), Value::String(nonce.into()));
    }
    if let Some(access_token) = facts.access_token {
        claims.insert("at_hash".into(), Value::String(half_hash(facts.alg, access_token)));
    }
    if let Some(code) = facts.code {
        claims.insert("c_hash".into(), Value::String(half_hash(facts.alg, code)));
    }
    if let Some(sid) = facts.sid {
        claims.insert("sid".into(), Value::String(sid.into()));
    }
    Value::Object(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_core_3_1_3_6_at_hash_example() {
        // The worked example from OIDC Core Appendix A.3 / A.4.
        assert_eq!(
            half_hash(SigningAlg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // EdDSA (Ed25519) takes SHA-512's left half; computed with Python's hashlib.
        assert_eq!(
            half_hash(SigningAlg::EdDsa, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM"
        );
        for alg in [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa] {
            let value = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
            assert_eq!(half_hash(alg, value), crate::engine::test_support::expected_half_hash(alg, value));
        }
    }
}
