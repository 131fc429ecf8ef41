//! OpenID Provider Metadata (OIDC Discovery 1.0 §3, RFC 8414 §2).
//!
//! Only what works is advertised: an endpoint appears here in the same change that makes
//! it answer. Clients take this document at its word.

use serde_json::{json, Map, Value};

use crate::engine::crypto::jose::sign_jwt;
use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::oauth::authorize::request::RESPONSE_MODES_SUPPORTED;
use crate::engine::oauth::token::{grant_types_supported, INTROSPECTION_AUTH_METHODS_SUPPORTED};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, UnixTime};
use shared::oauth::{is_implicit, ASSERTION_SIGNING_ALGS, AUTH_METHODS, RESPONSE_TYPES};
use shared::paths;

/// The ID token's own claims; with the user claims scopes release
/// (`shared::scopes::RELEASABLE_CLAIMS`) they make `claims_supported` (OIDC Discovery §3).
const TOKEN_CLAIMS: &[&str] =
    &["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "amr", "acr"];

/// Claims the server can release (OIDC Discovery §3 `claims_supported`).
pub fn claims_supported() -> Vec<&'static str> {
    TOKEN_CLAIMS.iter().chain(shared::scopes::RELEASABLE_CLAIMS).copied().collect()
}

/// The metadata document without `signed_metadata`; `scopes` are the scopes table's names.
pub fn provider_metadata(config: &Config, scopes: &[String]) -> Map<String, Value> {
    let metadata = json!({
        "issuer": config.issuer,
        "authorization_endpoint": config.endpoint(paths::AUTHORIZE),
        "jwks_uri": config.endpoint(paths::JWKS),
        "token_endpoint": config.endpoint(paths::TOKEN),
        "device_authorization_endpoint": config.endpoint(paths::DEVICE_AUTHORIZATION),
        // RFC 7591 behind an admin token (the "initial access token" of §3).
        "registration_endpoint": config.endpoint(paths::REGISTER),
        "userinfo_endpoint": config.endpoint(paths::USERINFO),
        // OIDC RP-Initiated Logout 1.0 §2.1.
        "end_session_endpoint": config.endpoint(paths::LOGOUT),
        "scopes_supported": scopes,
        "claims_supported": claims_supported(),
        "acr_values_supported": shared::mfa::ACR_VALUES,
        // OIDC Discovery §3: the implicit grant counts too (served by /authorize, not /token).
        "grant_types_supported": grant_types_supported(config)
            .into_iter()
            .chain(config.security.allow_implicit.then_some("implicit"))
            .collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        // RFC 8414 §2: the algorithms a client assertion may use (RFC 7523; HS256 for
        // client_secret_jwt).
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
        // RFC 8414 §2: introspection and revocation authenticate clients the same way.
        "introspection_endpoint": config.endpoint(paths::INTROSPECT),
        "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS_SUPPORTED,
        "revocation_endpoint": config.endpoint(paths::REVOKE),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_SIGNING_ALGS,
        "response_types_supported": RESPONSE_TYPES
            .iter()
            .filter(|t| config.security.allow_implicit || !is_implicit(t))
            .collect::<Vec<_>>(),
        "response_modes_supported": RESPONSE_MODES_SUPPORTED,
        // RFC 7636: plain only when ALLOW_PLAIN_PKCE=true.
        "code_challenge_methods_supported": if config.security.allow_plain_pkce { vec!["S256", "plain"] } else { vec!["S256"] },
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        // OIDC Discovery §3: the languages of the pages (`ui_locales`, docs/i18n.md).
        "ui_locales_supported": shared::i18n::supported_tags(),
        // RFC 9101: signed request objects at /authorize and the PAR endpoint; a request_uri
        // only from our own PAR endpoint (RFC 9126 §4), never fetched from elsewhere.
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
        "request_object_signing_alg_values_supported": shared::oauth::REQUEST_OBJECT_SIGNING_ALGS,
        // RFC 9126 §5.
        "pushed_authorization_request_endpoint": config.endpoint(paths::PUSHED_AUTHORIZATION_REQUEST),
        "require_pushed_authorization_requests": config.security.require_par,
        "subject_types_supported": ["public"],
        // RS256 for every client unless it registered another (OIDC Registration §2).
        "id_token_signing_alg_values_supported": shared::clients::ID_TOKEN_SIGNING_ALGS,
        // RFC 9207: every authorization response will carry `iss` (docs/api.md, "Endpoints").
        "authorization_response_iss_parameter_supported": true,
        // OIDC Back-Channel Logout 1.0 §2.1: Logout Tokens carry `sid`, as ID tokens do.
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        // RFC 9449 §5.1: DPoP proofs at the token endpoint and UserInfo.
        "dpop_signing_alg_values_supported": crate::engine::oauth::dpop::DPOP_ALGS,
        // draft-ietf-oauth-client-id-metadata-document: a client_id may be a document's URL.
        "client_id_metadata_document_supported": config.metadata_documents.enabled,
    });
    match metadata {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The document as served: the metadata plus `signed_metadata` (RFC 8414 §2.1), a JWT of
/// the same values with `iss`, signed with the active key. A client that pins our JWKS can
/// check that the metadata it fetched was issued by this server.
pub async fn discovery_document<S: JwsSigner>(
    config: &Config,
    signer: &S,
    key: &ActiveSigningKey<S::Key>,
    scopes: &[String],
    now: UnixTime,
) -> Result<Value, InternalError> {
    let mut metadata = provider_metadata(config, scopes);
    let mut claims = metadata.clone();
    claims.insert("iss".into(), Value::String(config.issuer.clone()));
    claims.insert("iat".into(), Value::from(now));
    let signed = sign_jwt(signer, key, "JWT", &Value::Object(claims)).await?;
    metadata.insert("signed_metadata".into(), Value::String(signed));
    Ok(Value::Object(metadata))
}

#[cfg(test)]
mod tests {
    use jwt_compact::alg::{Rsa, RsaPublicKey};
    use jwt_compact::{AlgorithmExt, UntrustedToken};

    use super::*;
    use crate::engine::crypto::jose::b64url_decode;
    use crate::engine::crypto::keys::KeyRing;
    use crate::engine::platform::ports::SystemRandom;
    use crate::engine::test_support::dev_vars;
    use crate::native::{NativeSigner, SqliteStore};

    fn config() -> Config {
        let vars = dev_vars();
        Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap()
    }

    #[test]
    fn oidc_discovery_section_3_required_members_and_issuer() {
        let m = provider_metadata(&config(), &["openid".to_string()]);
        assert_eq!(m["issuer"], "http://127.0.0.1:8787");
        assert_eq!(m["jwks_uri"], "http://127.0.0.1:8787/.well-known/jwks.json");
        for required in ["response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"]
        {
            assert!(m[required].is_array(), "{required}");
        }
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(m["token_endpoint"], "http://127.0.0.1:8787/token");
        assert_eq!(m["end_session_endpoint"], "http://127.0.0.1:8787/logout", "RP-Initiated Logout 1.0 §2.1");
        assert_eq!(m["backchannel_logout_supported"], true, "Back-Channel Logout 1.0 §2.1");
        assert_eq!(m["backchannel_logout_session_supported"], true);
        assert_eq!(
            m["grant_types_supported"],
            serde_json::json!([
                "authorization_code",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "refresh_token"
            ])
        );
        assert_eq!(m["device_authorization_endpoint"], "http://127.0.0.1:8787/device", "RFC 8628 §4");
        assert_eq!(m["authorization_endpoint"], "http://127.0.0.1:8787/authorize");
        assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        // RFC 9700 §2.1.2: the implicit types only with ALLOW_IMPLICIT=true.
        assert_eq!(m["response_types_supported"], serde_json::json!(["code", "code id_token"]));
        let implicit = crate::engine::test_support::config_with(|v| {
            v.insert("ALLOW_IMPLICIT", "true".into());
        });
        let all = provider_metadata(&implicit, &[]);
        assert_eq!(all["response_types_supported"].as_array().map(Vec::len), Some(7));
        assert!(all["grant_types_supported"].as_array().unwrap().iter().any(|g| g == "implicit"));
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt",
                "none"
            ])
        );
        assert_eq!(
            m["introspection_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"])
        );
        assert_eq!(
            m["token_endpoint_auth_signing_alg_values_supported"],
            serde_json::json!(["RS256", "ES256", "EdDSA", "HS256"])
        );
        assert_eq!(m["introspection_endpoint"], "http://127.0.0.1:8787/token/introspect");
        assert_eq!(m["revocation_endpoint"], "http://127.0.0.1:8787/token/revoke");
        assert_eq!(m["userinfo_endpoint"], "http://127.0.0.1:8787/userinfo");
        assert_eq!(m["scopes_supported"], serde_json::json!(["openid"]));
        // Nothing that does not exist yet is advertised.
        assert_eq!(m["registration_endpoint"], "http://127.0.0.1:8787/register");
    }

    #[test]
    fn grant_types_follow_the_configuration() {
        let mut vars = dev_vars();
        vars.insert("REFRESH_TOKEN_TTL", "0".into());
        vars.insert("ENABLE_PASSWORD_GRANT", "true".into());
        let config = Config::load(&|n: &'static str| vars.get(n).cloned()).unwrap();
        assert_eq!(
            provider_metadata(&config, &[])["grant_types_supported"],
            serde_json::json!([
                "authorization_code",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "password"
            ])
        );
    }

    #[test]
    fn rfc8414_signed_metadata_carries_iss_and_verifies() {
        let config = config();
        let store = SqliteStore::open_in_memory().unwrap();
        let ring = KeyRing { store: &store, signer: &NativeSigner, rng: &SystemRandom, secret: &config.secret_key };
        let key =
            pollster::block_on(ring.load_active_signer(crate::engine::platform::ports::SigningAlg::Rs256, 42)).unwrap();
        let doc = pollster::block_on(discovery_document(&config, &NativeSigner, &key, &[], 42)).unwrap();
        let jwt = doc["signed_metadata"].as_str().unwrap();
        let jwks = pollster::block_on(ring.jwks(42)).unwrap();
        let jwk = jwks.keys.iter().find(|k| k.kid == key.kid).unwrap();
        let public = RsaPublicKey::new(
            rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.n).unwrap()),
            rsa::BigUint::from_bytes_be(&b64url_decode(&jwk.e).unwrap()),
        )
        .unwrap();
        let token = UntrustedToken::new(jwt).unwrap();
        let verified = Rsa::rs256().validator::<Value>(&public).validate(&token).unwrap();
        let claims = &verified.claims().custom;
        assert_eq!(claims["iss"], "http://127.0.0.1:8787");
        assert_eq!(claims["jwks_uri"], doc["jwks_uri"]);
        // jwt-compact lifts `iat` out of the custom claims into its own field.
        assert_eq!(verified.claims().issued_at.map(|t| t.timestamp()), Some(42));
    }
}
