//! What a token request shows of its client before anything is read, for a grant that
//! reads and writes in one D1 batch (docs/storage.md, "One trip per grant"): the write's
//! statement carries the client's checks as SQL conditions, so it lands only for a client
//! that [`super::check_credentials`] and [`crate::engine::oauth::cors`] will accept.
//!
//! The conditions are a guard, never the decision: the grant still checks everything in
//! Rust on the rows the batch read. Where the SQL is stricter than Rust (a client
//! authenticating with a JWT assertion, a metadata-document client, a redirect URI written
//! with a default port) the write simply does not land and the grant writes in a second
//! trip; where Rust refuses what the SQL let through, the grant undoes the write.

use super::Credentials;
use crate::engine::crypto::tokens::hash_token;

/// The facts the SQL guard compares with the `clients` and `client_secrets` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGate {
    pub client_id: String,
    /// The `token_endpoint_auth_method` the credentials use; empty (matches no client)
    /// for a JWT assertion, which only Rust verifies (RFC 7523).
    pub method: &'static str,
    /// SHA-256 of the presented secret (what `client_secrets` stores), if any.
    pub secret_hash: Option<String>,
    /// Whether the request carried an accepted DPoP proof (RFC 9449 §5.2).
    pub dpop: bool,
    /// The browser's `Origin`, which must be that of one of the client's redirect URIs.
    pub origin: Option<String>,
}

impl ClientGate {
    /// The guard for `credentials`; `open` false closes it (the grant then takes its
    /// two-trip path: RFC 8707 resources, which only Rust resolves).
    pub fn new(credentials: &Credentials, dpop: bool, origin: Option<&str>, open: bool) -> Self {
        let (method, secret_hash) = match credentials {
            Credentials::Basic { secret, .. } => ("client_secret_basic", Some(hash_token(secret))),
            Credentials::Post { secret, .. } => ("client_secret_post", Some(hash_token(secret))),
            Credentials::IdOnly { .. } => ("none", None),
            Credentials::Assertion { .. } => ("", None),
        };
        ClientGate {
            client_id: credentials.client_id().to_owned(),
            method: if open { method } else { "" },
            secret_hash,
            dpop,
            origin: origin.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_or_a_closed_gate_matches_no_client_method() {
        let assertion = Credentials::Assertion { client_id: "c".into(), assertion: "x.y.z".into() };
        assert_eq!(ClientGate::new(&assertion, false, None, true).method, "");
        let basic = Credentials::Basic { client_id: "c".into(), secret: "s".into() };
        let gate = ClientGate::new(&basic, true, Some("https://a.example"), true);
        assert_eq!((gate.method, gate.secret_hash.as_deref()), ("client_secret_basic", Some(hash_token("s").as_str())));
        assert_eq!(ClientGate::new(&basic, true, None, false).method, "");
    }
}
