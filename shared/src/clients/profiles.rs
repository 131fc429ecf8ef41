//! Request objects and security profiles in a registration: `request_object_signing_alg`
//! (RFC 9101 §10.1) and the FAPI 2.0 Security Profile (`security_profile: fapi2`), whose
//! rules a client is refused for breaking, each named (docs/api.md, "FAPI 2.0 profile").

use super::*;
use crate::oauth::{grant, REQUEST_OBJECT_SIGNING_ALGS};

/// The FAPI 2.0 Security Profile (final, 2025).
pub const FAPI2: &str = "fapi2";
/// Every `security_profile` a client may name.
pub const SECURITY_PROFILES: &[&str] = &[FAPI2];
/// FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA; of these the server verifies ES256 and EdDSA
/// (RS256 with PKCS#1 v1.5 is what the profile rules out).
pub const FAPI2_SIGNING_ALGS: &[&str] = &["ES256", "EdDSA"];

impl ClientSettings {
    /// The rules of this file, as [`ClientSettings::problems`] reports them.
    pub(super) fn profile_problems(&self) -> Vec<MetadataProblem> {
        let mut out = Vec::new();
        let mut metadata = |field: &'static str, message: String| {
            out.push(MetadataProblem { error: "invalid_client_metadata", field, message });
        };
        if let Some(alg) = self.request_object_signing_alg.as_deref() {
            if !REQUEST_OBJECT_SIGNING_ALGS.contains(&alg) {
                let allowed = REQUEST_OBJECT_SIGNING_ALGS.join(", ");
                metadata("request_object_signing_alg", format!("request_object_signing_alg must be one of {allowed}"));
            } else if self.jwks.is_none() && self.jwks_uri.is_none() {
                metadata(
                    "request_object_signing_alg",
                    "request objects are verified with the client's keys: register jwks or jwks_uri".into(),
                );
            }
        }
        let Some(profile) = self.security_profile.as_deref() else { return out };
        if !SECURITY_PROFILES.contains(&profile) {
            metadata("security_profile", format!("security_profile must be one of {}", SECURITY_PROFILES.join(", ")));
            return out;
        }
        let rule = |text: &str| format!("FAPI 2.0 {text}");
        if self.token_endpoint_auth_method != "private_key_jwt" {
            metadata(
                "token_endpoint_auth_method",
                rule("§5.3.2.1: the client authenticates with private_key_jwt (token_endpoint_auth_method)"),
            );
        }
        if self.response_types.iter().any(|r| r != "code") {
            metadata("response_types", rule("§5.3.2.2: the only response type is code (no implicit or hybrid)"));
        }
        let forbidden = [grant::IMPLICIT, grant::PASSWORD];
        if let Some(g) = self.grant_types.iter().find(|g| forbidden.contains(&g.as_str())) {
            metadata("grant_types", rule(&format!("§5.3.2.2: the {g} grant is not allowed")));
        }
        if !self.require_pushed_authorization_requests {
            metadata(
                "require_pushed_authorization_requests",
                rule("§5.3.2.2: authorization requests are pushed (require_pushed_authorization_requests true)"),
            );
        }
        if !self.dpop_bound_access_tokens {
            metadata(
                "dpop_bound_access_tokens",
                rule("§5.3.2.1: access tokens are sender-constrained (dpop_bound_access_tokens true)"),
            );
        }
        let strong = FAPI2_SIGNING_ALGS.join(" or ");
        for (field, alg) in [
            ("id_token_signed_response_alg", self.id_token_signed_response_alg.as_deref().or(Some("RS256"))),
            ("request_object_signing_alg", self.request_object_signing_alg.as_deref()),
        ] {
            if alg.is_some_and(|a| !FAPI2_SIGNING_ALGS.contains(&a)) {
                metadata(field, rule(&format!("§5.4.1: {field} is {strong}")));
            }
        }
        // https (http on loopback only, as for every web client, for development).
        if let Some(uri) = self.redirect_uris.iter().find(|u| private_use_scheme(u)) {
            metadata("redirect_uris", rule(&format!("§5.3.2.2: redirect URIs use https, not `{uri}`")));
        }
        out
    }
}
