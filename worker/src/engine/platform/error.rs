//! Errors, one type per endpoint family (docs/architecture.md, "One error type per endpoint
//! family").
//!
//! Each family implements [`ErrorResponse`]: its RFC error code, its HTTP status and the
//! text the client may see. The edge turns any `ErrorResponse` into HTTP in exactly one
//! place (`edge::respond::error`). Internal failures are always `server_error`; their
//! detail goes to the log and never into a response.

use shared::codes;
use std::fmt;

use shared::api::FieldError;

/// Something that went wrong inside the server (a storage or crypto failure). The detail
/// is for the log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalError {
    detail: String,
}

impl InternalError {
    pub fn new(detail: impl Into<String>) -> Self {
        InternalError { detail: detail.into() }
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// A configuration variable that is missing or malformed. The variable's name is shown to
/// the caller (the operator needs it, and it is not a secret); the value is never echoed
/// for secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration variable {} {}", self.variable, self.problem)
    }
}

/// How an error family presents itself over HTTP.
pub trait ErrorResponse {
    /// The RFC error code (`error` member).
    fn code(&self) -> &'static str;
    /// The HTTP status.
    fn status(&self) -> u16;
    /// What the client may read (`error_description`).
    fn description(&self) -> Option<String>;
    /// What only the log may read.
    fn log_detail(&self) -> Option<String> {
        None
    }
    /// Per-field problems of a validation error.
    fn details(&self) -> Vec<FieldError> {
        Vec::new()
    }
    /// `Allow` header for 405 answers (RFC 9110 §15.5.6).
    fn allow(&self) -> Option<&str> {
        None
    }
    /// Seconds before a rate-limited caller may retry (`Retry-After`, `retry_after`).
    fn retry_after(&self) -> Option<u64> {
        None
    }
    /// A refused request's limit per window and the window's end (`X-RateLimit-*`).
    fn rate_limit(&self) -> Option<(u32, i64)> {
        None
    }
    /// `WWW-Authenticate` challenge (RFC 6749 §5.2 for Basic, RFC 6750 §3 for Bearer).
    fn www_authenticate(&self) -> Option<String> {
        None
    }
}

/// Errors of the server's own JSON endpoints: `/health`, discovery, JWKS and `/api/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No such endpoint.
    NotFound,
    /// The endpoint exists; the thing it names does not (or is not the caller's to see):
    /// 404 `not_found`, "no such <what>".
    Missing(&'static str),
    /// The path exists but not for this method; carries the `Allow` value.
    MethodNotAllowed { allow: String },
    /// The server is misconfigured; the variable is named in the answer.
    Config(ConfigError),
    /// A request the caller can fix or must not make: its status, code and sentence.
    Request { status: u16, code: &'static str, description: String },
    /// Admin/account API input that breaks a rule: 422 `validation_error` with one entry
    /// per field (docs/api.md, "Errors").
    Validation(Vec<FieldError>),
    /// Too many attempts: 429 `rate_limit_exceeded` with `Retry-After` and the
    /// `X-RateLimit-*` headers (`limit` per window, the window ending at `reset`).
    RateLimited { retry_after: u64, limit: u32, reset: i64 },
    /// Anything else: `server_error`, detail logged only.
    Internal(InternalError),
}

/// A refusal the caller can understand: its status, a code from `shared::codes` (or the
/// RFC's own) and a sentence. The constructors name the common statuses.
impl ApiError {
    pub fn refused(status: u16, code: &'static str, description: impl Into<String>) -> Self {
        ApiError::Request { status, code, description: description.into() }
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self::refused(400, code, description)
    }

    /// 401: who is calling is not known (or no longer).
    pub fn unauthorized(code: &'static str, description: impl Into<String>) -> Self {
        Self::refused(401, code, description)
    }

    /// 403: the caller is known and may not do this.
    pub fn forbidden(code: &'static str, description: impl Into<String>) -> Self {
        Self::refused(403, code, description)
    }

    /// 404 with its own sentence ([`ApiError::Missing`] says "no such <what>").
    pub fn not_found(code: &'static str, description: impl Into<String>) -> Self {
        Self::refused(404, code, description)
    }

    /// 409: the request conflicts with what is stored.
    pub fn conflict(code: &'static str, description: impl Into<String>) -> Self {
        Self::refused(409, code, description)
    }

    /// A state-changing call without the CSRF token of this browser.
    pub fn csrf() -> Self {
        ApiError::Request {
            status: 403,
            code: codes::CSRF_FAILED,
            description: "the request did not carry this page's CSRF token; reload the page and try again".into(),
        }
    }
}

impl ApiError {
    /// A validation error about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

impl From<InternalError> for ApiError {
    fn from(e: InternalError) -> Self {
        ApiError::Internal(e)
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        ApiError::Config(e)
    }
}

impl ErrorResponse for ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound | ApiError::Missing(_) => codes::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => codes::METHOD_NOT_ALLOWED,
            ApiError::Request { code, .. } => code,
            ApiError::Validation(_) => codes::VALIDATION_ERROR,
            ApiError::RateLimited { .. } => codes::RATE_LIMIT_EXCEEDED,
            ApiError::Config(_) | ApiError::Internal(_) => codes::SERVER_ERROR,
        }
    }

    fn status(&self) -> u16 {
        match self {
            ApiError::NotFound | ApiError::Missing(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Request { status, .. } => *status,
            ApiError::Validation(_) => 422,
            ApiError::RateLimited { .. } => 429,
            ApiError::Config(_) | ApiError::Internal(_) => 500,
        }
    }

    fn description(&self) -> Option<String> {
        match self {
            ApiError::NotFound => Some("no such endpoint".into()),
            ApiError::Missing(what) => Some(format!("no such {what}")),
            ApiError::MethodNotAllowed { allow } => Some(format!("this endpoint accepts {allow}")),
            ApiError::Request { description, .. } => Some(description.clone()),
            ApiError::Validation(details) => Some(match details.as_slice() {
                [one] => one.message.clone(),
                _ => "Request validation failed".into(),
            }),
            ApiError::RateLimited { retry_after, .. } => {
                Some(format!("Too many requests. Please retry after {retry_after} seconds."))
            }
            ApiError::Config(e) => Some(e.to_string()),
            ApiError::Internal(_) => Some("the server could not complete the request".into()),
        }
    }

    fn log_detail(&self) -> Option<String> {
        match self {
            ApiError::Config(e) => Some(e.to_string()),
            ApiError::Internal(e) => Some(e.detail().to_owned()),
            _ => None,
        }
    }

    fn allow(&self) -> Option<&str> {
        match self {
            ApiError::MethodNotAllowed { allow } => Some(allow),
            _ => None,
        }
    }

    fn details(&self) -> Vec<FieldError> {
        match self {
            ApiError::Validation(details) => details.clone(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    fn rate_limit(&self) -> Option<(u32, i64)> {
        match self {
            ApiError::RateLimited { limit, reset, .. } => Some((*limit, *reset)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_server_error_and_never_show_their_detail() {
        let e = ApiError::from(InternalError::new("D1_ERROR: no such table: signing_keys"));
        assert_eq!(e.code(), "server_error");
        assert_eq!(e.status(), 500);
        assert!(!e.description().unwrap_or_default().contains("signing_keys"));
        assert!(e.log_detail().unwrap_or_default().contains("signing_keys"));
    }

    #[test]
    fn config_errors_name_the_variable() {
        let e =
            ApiError::from(ConfigError { variable: "CODE_TTL", problem: "must be a whole number of seconds".into() });
        assert_eq!(e.code(), "server_error");
        assert!(e.description().unwrap_or_default().contains("CODE_TTL"));
    }
}
