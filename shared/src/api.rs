//! JSON bodies exchanged between the worker and its clients (the SPA, scripts, tests).

use serde::{Deserialize, Serialize};

use crate::branding::Branding;

/// The one error body every JSON endpoint answers with.
///
/// OAuth endpoints use exactly `error` and `error_description` (RFC 6749 §5.2); the admin
/// API adds `details` for validation errors, (docs/api.md, "Errors").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Seconds until a rate-limited caller may try again (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One invalid field of an admin/account API request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// State of one dependency as `/health` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Ok,
    Down,
}

/// `GET /health`: `status` is `ok` only when every check is `ok` (HTTP 200); otherwise
/// `unavailable` with HTTP 503 and the failing check named in `checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    pub checks: HealthChecks,
    /// Settings this deployment sets but this server does not read
    /// (they change nothing), with what to use instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread_settings: Vec<UnreadSetting>,
}

/// A setting that is set here but not read, and what takes its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadSetting {
    pub name: String,
    pub instead: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthChecks {
    /// The `[vars]` and secrets parse (the failing variable is named in the log).
    pub config: CheckState,
    pub d1: CheckState,
    pub kv: CheckState,
}

impl HealthReport {
    pub fn from_checks(checks: HealthChecks) -> Self {
        let status = if [checks.config, checks.d1, checks.kv].iter().all(|c| *c == CheckState::Ok) {
            HealthStatus::Ok
        } else {
            HealthStatus::Unavailable
        };
        HealthReport { status, checks, unread_settings: Vec::new() }
    }
}

/// `GET /api/ui-config`: the public branding the SPA needs before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiConfig {
    #[serde(flatten)]
    pub branding: Branding,
    pub issuer: String,
    /// Shown live on the sign-up, reset and change-password forms.
    pub password_policy: crate::password::PasswordPolicy,
    /// `CHECK_COMMON_PASSWORDS`: the screens ask `/api/validate-password` about that rule
    /// (the list stays in the worker).
    #[serde(default)]
    pub check_common_passwords: bool,
    /// The identity providers people may sign in with (`OIDC_PROVIDERS`).
    #[serde(default)]
    pub providers: Vec<crate::account::ProviderInfo>,
    /// Passkeys work here: the issuer is a host name (WebAuthn refuses IP addresses).
    #[serde(default)]
    pub passkeys: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_omits_empty_fields_like_rfc6749_section_5_2() {
        let body = ErrorBody { error: "not_found".into(), error_description: None, details: vec![], retry_after: None };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"error":"not_found"}"#);
    }

    #[test]
    fn health_is_unavailable_when_any_check_is_down() {
        let ok =
            HealthReport::from_checks(HealthChecks { config: CheckState::Ok, d1: CheckState::Ok, kv: CheckState::Ok });
        assert_eq!(ok.status, HealthStatus::Ok);
        let kv_down = HealthReport::from_checks(HealthChecks {
            config: CheckState::Ok,
            d1: CheckState::Ok,
            kv: CheckState::Down,
        });
        assert_eq!(kv_down.status, HealthStatus::Unavailable);
        assert_eq!(
            serde_json::to_value(&kv_down).unwrap(),
            serde_json::json!({"status":"unavailable","checks":{"config":"ok","d1":"ok","kv":"down"}})
        );
    }
}
