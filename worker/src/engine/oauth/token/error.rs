//! Errors of the token endpoint family (`/token`, `/token/introspect`, `/token/revoke`):
//! RFC 6749 §5.2.

use crate::engine::platform::error::{ApiError, ErrorResponse, InternalError};
use shared::codes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Missing, repeated or malformed parameter; wrong content type.
    InvalidRequest(String),
    /// A body over the endpoint's limit: `invalid_request` with 413 (RFC 9110 §15.5.14).
    TooLarge {
        limit: usize,
    },
    /// Client authentication failed (§5.2). `basic` is whether the client tried HTTP Basic:
    /// then the answer is 401 with `WWW-Authenticate: Basic` (§5.2 "MUST").
    InvalidClient {
        basic: bool,
    },
    /// A `private_key_jwt` assertion (RFC 7523 §3) or a client metadata document refused:
    /// `invalid_client` like every authentication failure; the reason goes to the log only.
    ClientRefused(String),
    InvalidGrant(String),
    UnauthorizedClient(String),
    UnsupportedGrantType(String),
    InvalidScope(String),
    /// RFC 8707 §2: a `resource` that is malformed, unknown or not this client's.
    InvalidTarget(String),
    /// RFC 9449 §5: the DPoP proof is missing where required, or broke a rule (named).
    InvalidDpopProof(String),
    /// RFC 9126 §2.3: the pushed request broke a rule of the authorization endpoint; its
    /// error code (`invalid_request`, `invalid_scope`, `invalid_request_object`, ...) as
    /// `/authorize` would have said it.
    Authorization {
        error: &'static str,
        description: String,
    },
    /// RFC 9449 §8: the proof needs this server's nonce (the answer's `DPoP-Nonce`).
    UseDpopNonce,
    /// A browser request from an origin that is not one of the client's redirect URIs'
    /// (`oauth::cors`): `invalid_request`, and the answer carries no CORS headers.
    OriginNotAllowed,
    /// RFC 8628 §3.5: the person has not answered on the activation page yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: polled faster than `interval`; the interval is now this many seconds.
    SlowDown {
        interval: u32,
    },
    /// RFC 8628 §3.5: the person denied the request.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired; start again.
    ExpiredToken,
    /// `RATE_LIMIT_TOKEN_*` or `LOCKOUT_BY_IP`: 429 with `Retry-After` (docs/api.md, "Errors").
    RateLimited {
        retry_after: u64,
        limit: u32,
        reset: i64,
    },
    Internal(InternalError),
}

impl From<ApiError> for TokenError {
    /// The limiter's answers at the token endpoints (the only `ApiError`s they meet).
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::RateLimited { retry_after, limit, reset } => {
                TokenError::RateLimited { retry_after, limit, reset }
            }
            ApiError::Internal(e) => TokenError::Internal(e),
            other => TokenError::Internal(InternalError::new(format!("unexpected at /token: {}", other.code()))),
        }
    }
}

impl From<InternalError> for TokenError {
    fn from(e: InternalError) -> Self {
        TokenError::Internal(e)
    }
}

impl ErrorResponse for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) | TokenError::TooLarge { .. } | TokenError::OriginNotAllowed => {
                "invalid_request"
            }
            TokenError::InvalidClient { .. } | TokenError::ClientRefused(_) => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnauthorizedClient(_) => "unauthorized_client",
            TokenError::UnsupportedGrantType(_) => "unsupported_grant_type",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::InvalidTarget(_) => "invalid_target",
            TokenError::InvalidDpopProof(_) => "invalid_dpop_proof",
            TokenError::UseDpopNonce => "use_dpop_nonce",
            TokenError::Authorization { error, .. } => error,
            TokenError::AuthorizationPending => "authorization_pending",
            TokenError::SlowDown { .. } => "slow_down",
            TokenError::AccessDenied => "access_denied",
            TokenError::ExpiredToken => "expired_token",
            TokenError::RateLimited { .. } => codes::RATE_LIMIT_EXCEEDED,
            TokenError::Internal(_) => codes::SERVER_ERROR,
        }
    }

    fn status(&self) -> u16 {
        match self {
            TokenError::InvalidClient { .. } | TokenError::ClientRefused(_) => 401,
            TokenError::TooLarge { .. } => 413,
            TokenError::RateLimited { .. } => 429,
            TokenError::Internal(_) => 500,
            _ => 400,
        }
    }

    fn description(&self) -> Option<String> {
        match self {
            TokenError::InvalidRequest(d)
            | TokenError::InvalidGrant(d)
            | TokenError::UnauthorizedClient(d)
            | TokenError::UnsupportedGrantType(d)
            | TokenError::InvalidScope(d)
            | TokenError::InvalidTarget(d)
            | TokenError::InvalidDpopProof(d)
            | TokenError::Authorization { description: d, .. } => Some(d.clone()),
            // One message for every failure: which part was wrong is not the caller's to know.
            TokenError::InvalidClient { .. } | TokenError::ClientRefused(_) => {
                Some("client authentication failed".into())
            }
            TokenError::OriginNotAllowed => {
                Some("this origin is not an origin of the client's registered redirect URIs".into())
            }
            TokenError::TooLarge { limit } => Some(format!("the request body is larger than {limit} bytes")),
            TokenError::AuthorizationPending => Some("the user has not yet completed authorization".into()),
            TokenError::SlowDown { interval } => {
                Some(format!("polling too fast; wait at least {interval} seconds between requests"))
            }
            TokenError::AccessDenied => Some("the user denied the authorization request".into()),
            TokenError::UseDpopNonce => {
                Some("the DPoP proof needs this server's nonce: retry with the DPoP-Nonce header's value".into())
            }
            TokenError::ExpiredToken => Some("the device code has expired; request a new one".into()),
            TokenError::RateLimited { retry_after, .. } => {
                Some(format!("Too many requests. Please retry after {retry_after} seconds."))
            }
            TokenError::Internal(_) => Some("the server could not complete the request".into()),
        }
    }

    fn log_detail(&self) -> Option<String> {
        match self {
            TokenError::Internal(e) => Some(e.detail().to_owned()),
            TokenError::ClientRefused(why) => Some(format!("client refused: {why}")),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            TokenError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    fn rate_limit(&self) -> Option<(u32, i64)> {
        match self {
            TokenError::RateLimited { limit, reset, .. } => Some((*limit, *reset)),
            _ => None,
        }
    }

    fn www_authenticate(&self) -> Option<String> {
        match self {
            TokenError::InvalidClient { basic: true } => Some(r#"Basic realm="token", charset="UTF-8""#.into()),
            _ => None,
        }
    }
}

impl From<crate::engine::oauth::scope::MalformedScope> for TokenError {
    fn from(e: crate::engine::oauth::scope::MalformedScope) -> Self {
        TokenError::InvalidScope(e.0)
    }
}
