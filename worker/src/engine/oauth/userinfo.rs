//! The UserInfo endpoint (OIDC Core §5.3) and its Bearer-token errors (RFC 6750 §3).

use serde_json::{Map, Value};
use shared::codes;

use crate::engine::clients::ClientStore;
use crate::engine::identity::users::UserStore;
use crate::engine::oauth::access_token::{self, AccessTokenClaims, RevocationStore, VerificationKeySource};
use crate::engine::oauth::cors;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ErrorResponse, InternalError};
use crate::engine::platform::ports::{JwsSigner, SqlRunner, UnixTime};

/// Errors of Bearer-protected endpoints (RFC 6750 §3.1), each with its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// No credentials at all: a bare challenge, no error code (§3.1).
    Missing,
    /// More than one way of sending the token, or a malformed request (§2, §3.1).
    InvalidRequest(String),
    /// Expired, revoked, malformed, or not ours (§3.1).
    InvalidToken(String),
    /// The token lacks a scope the resource needs (§3.1), here `openid` (OIDC Core §5.3).
    InsufficientScope(&'static str),
    /// A browser request from an origin that is not one of the token's client's redirect
    /// URIs' (`oauth::cors`); the answer carries no CORS headers.
    OriginNotAllowed,
    /// RFC 9449 §7.1: a DPoP-bound token without a valid proof of its key (the rule named).
    InvalidDpopProof(String),
    /// RFC 9449 §9: the proof needs a nonce of this server (`DPoP-Nonce` says which).
    UseDpopNonce,
    Internal(InternalError),
}

impl From<InternalError> for BearerError {
    fn from(e: InternalError) -> Self {
        BearerError::Internal(e)
    }
}

impl ErrorResponse for BearerError {
    fn code(&self) -> &'static str {
        match self {
            BearerError::Missing | BearerError::InvalidToken(_) => "invalid_token",
            BearerError::InvalidDpopProof(_) => "invalid_dpop_proof",
            BearerError::UseDpopNonce => "use_dpop_nonce",
            BearerError::InvalidRequest(_) | BearerError::OriginNotAllowed => "invalid_request",
            BearerError::InsufficientScope(_) => "insufficient_scope",
            BearerError::Internal(_) => codes::SERVER_ERROR,
        }
    }

    fn status(&self) -> u16 {
        match self {
            BearerError::Missing
            | BearerError::InvalidToken(_)
            | BearerError::InvalidDpopProof(_)
            | BearerError::UseDpopNonce => 401,
            BearerError::InvalidRequest(_) | BearerError::OriginNotAllowed => 400,
            BearerError::InsufficientScope(_) => 403,
            BearerError::Internal(_) => 500,
        }
    }

    fn description(&self) -> Option<String> {
        match self {
            BearerError::Missing => Some("an access token is required".into()),
            BearerError::InvalidRequest(d) | BearerError::InvalidToken(d) | BearerError::InvalidDpopProof(d) => {
                Some(d.clone())
            }
            BearerError::OriginNotAllowed => {
                Some("this origin is not an origin of the client's registered redirect URIs".into())
            }
            BearerError::InsufficientScope(scope) => Some(format!("the access token lacks the `{scope}` scope")),
            BearerError::UseDpopNonce => {
                Some("the DPoP proof needs this server's nonce: retry with the DPoP-Nonce header's value".into())
            }
            BearerError::Internal(_) => Some("the server could not complete the request".into()),
        }
    }

    fn log_detail(&self) -> Option<String> {
        match self {
            BearerError::Internal(e) => Some(e.detail().to_owned()),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<String> {
        let realm = r#"Bearer realm="userinfo""#;
        match self {
            BearerError::Missing => Some(realm.into()),
            // RFC 9449 §7.1: the DPoP challenge names the algorithms a proof may use.
            BearerError::InvalidDpopProof(_) | BearerError::UseDpopNonce => Some(format!(
                r#"DPoP algs="{}", error="{}", error_description={}"#,
                crate::engine::oauth::dpop::DPOP_ALGS.join(" "),
                self.code(),
                quoted_string(&self.description().unwrap_or_default())
            )),
            BearerError::Internal(_) => None,
            other => Some(format!(
                r#"{realm}, error="{}", error_description={}"#,
                other.code(),
                quoted_string(&other.description().unwrap_or_default())
            )),
        }
    }
}

/// `value` as an RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped, and characters a
/// header cannot carry (controls, non-ASCII; RFC 6750 §3 limits `error_description` to
/// printable ASCII) replaced, so a description that echoes input cannot break the header.
pub fn quoted_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
    out
}

/// Picks the one access token a request presents: the `Authorization: Bearer` header
/// (§2.1) or the `access_token` form parameter (§2.2), never both (§2).
pub fn presented_token<'a>(
    authorization: Option<&'a str>,
    form_token: Option<&'a str>,
) -> Result<&'a str, BearerError> {
    let header_token = match authorization {
        Some(value) => {
            let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
            if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("dpop") {
                return Err(BearerError::InvalidRequest(
                    "the Authorization header must use the Bearer or DPoP scheme".into(),
                ));
            }
            let token = token.trim();
            if token.is_empty() {
                return Err(BearerError::InvalidRequest("the Bearer token is empty".into()));
            }
            Some(token)
        }
        None => None,
    };
    match (header_token, form_token) {
        (Some(_), Some(_)) => {
            Err(BearerError::InvalidRequest("the access token was sent in more than one way (RFC 6750 §2)".into()))
        }
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (None, None) => Err(BearerError::Missing),
    }
}

/// Whether `authorization` uses the `DPoP` scheme (RFC 9449 §7.1).
pub fn dpop_scheme(authorization: Option<&str>) -> bool {
    authorization.and_then(|a| a.trim().split_once(' ')).is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"))
}

/// A token presented with `Authorization: DPoP` (RFC 9449 §7): its proof (the `DPoP`
/// header) and the request it must match.
pub struct DpopPresentation<'a> {
    pub proof: Option<&'a str>,
    pub htm: &'a str,
    pub htu: &'a str,
    /// With `DPOP_NONCES`: the key of this server's nonces (the proof needs one, §8).
    pub nonce_key: Option<&'a crate::engine::platform::config::Secret>,
}

/// RFC 9449 §7: a DPoP-bound token only with `Authorization: DPoP` and a proof of its key
/// with `ath`; an unbound one only as Bearer.
pub async fn check_binding<C: JwsSigner>(
    claims: &AccessTokenClaims,
    token: &str,
    dpop: Option<&DpopPresentation<'_>>,
    store: &impl SqlRunner,
    signer: &C,
    now: UnixTime,
) -> Result<(), BearerError> {
    match (claims.jkt(), dpop) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(BearerError::InvalidDpopProof(
            "this access token is DPoP-bound: present it with Authorization: DPoP and a proof".into(),
        )),
        (None, Some(_)) => {
            Err(BearerError::InvalidToken("this access token is not DPoP-bound; present it as Bearer".into()))
        }
        (Some(jkt), Some(presented)) => {
            let Some(proof) = presented.proof else {
                return Err(BearerError::InvalidDpopProof("the DPoP header with a proof is missing".into()));
            };
            let expected = crate::engine::oauth::dpop::Expected {
                htm: presented.htm,
                htu: presented.htu,
                access_token: Some(token),
                nonce_key: presented.nonce_key,
            };
            match crate::engine::oauth::dpop::verify(signer, store, proof, &expected, now).await? {
                Ok(accepted) if accepted.jkt == jkt => Ok(()),
                Ok(_) => {
                    Err(BearerError::InvalidDpopProof("the proof is signed by another key than the token's".into()))
                }
                Err(crate::engine::oauth::dpop::Refused::UseNonce) => Err(BearerError::UseDpopNonce),
                Err(crate::engine::oauth::dpop::Refused::Invalid(why)) => Err(BearerError::InvalidDpopProof(why)),
            }
        }
    }
}

/// The claims of the token's user that its scopes release, with `sub` (OIDC Core §5.3.2).
/// `origin` is a browser's `Origin` header: it must be an origin of the token's client.
#[allow(clippy::too_many_arguments)]
pub async fn userinfo<S, C>(
    token: &str,
    dpop: Option<&DpopPresentation<'_>>,
    origin: Option<&str>,
    config: &Config,
    store: &S,
    signer: &C,
    keys: &impl VerificationKeySource<C::PublicKey>,
    now: UnixTime,
) -> Result<Map<String, Value>, BearerError>
where
    S: UserStore + RevocationStore + ClientStore + ScopeStore + SqlRunner,
    C: JwsSigner,
{
    let invalid = || BearerError::InvalidToken("the access token is invalid, expired or revoked".into());
    let Ok(claims) = access_token::verify(token, config, signer, keys, now).await? else { return Err(invalid()) };
    // Revocation and the account in one D1 round trip, at the same time as a DPoP
    // proof's jti is recorded (nothing here writes: a refused proof leaves nothing behind).
    let (bound, read) = futures_util::future::join(
        check_binding(&claims, token, dpop, store, signer, now),
        store.revoked_and_subject(&claims),
    )
    .await;
    bound?;
    let (revoked, user) = read?;
    if revoked {
        return Err(invalid());
    }
    // Only browsers send Origin, so only they pay for the client lookup.
    if let Some(origin) = origin {
        let allowed = store.client_with_secrets(&claims.client_id).await?;
        if !allowed.is_some_and(|(client, _)| cors::allows_origin(&client, origin)) {
            return Err(BearerError::OriginNotAllowed);
        }
    }
    let scopes: Vec<&str> = claims.scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !scopes.contains(&"openid") {
        return Err(BearerError::InsufficientScope("openid"));
    }
    let user = match user {
        Some(user) if user.active => user,
        _ => return Err(invalid()),
    };
    let mut body = user.claims_for(&store.released_claims(&scopes).await?);
    body.insert("sub".into(), Value::String(user.id));
    Ok(body)
}
