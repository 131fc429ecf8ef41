//! Multi-factor sign-in between the SPA and the worker: the second step after the
//! password (`/mfa`), enrolment of an authenticator app (RFC 6238 TOTP) and the backup
//! codes, and the authentication context values tokens carry (OIDC Core §2 `acr`,
//! RFC 8176 `amr`).

use serde::{Deserialize, Serialize};

/// `acr` of a sign-in with one factor (a password).
pub const ACR_SINGLE_FACTOR: &str = "urn:authority:loa:1";
/// `acr` of a sign-in with two factors (password and a code, or a passkey). An app asks
/// for it with `acr_values` to make the person show the second factor (step-up).
pub const ACR_MULTI_FACTOR: &str = "urn:authority:loa:2";
/// Discovery's `acr_values_supported`, weakest first.
pub const ACR_VALUES: &[&str] = &[ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR];

/// How many backup codes an enrolment or a regeneration hands out.
pub const BACKUP_CODE_COUNT: usize = 10;

/// What the sign-in screen must do after a right password (`SessionInfo::step`): the
/// second factor, or the password change `PASSWORD_EXPIRY_DAYS` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStep {
    /// The account has a second factor: ask for it before the session starts.
    Verify,
    /// `REQUIRE_MFA`/`REQUIRE_ADMIN_MFA` and no second factor yet: enrol before the
    /// session starts (the grace period is over).
    Enrol,
    /// As `Enrol`, within `MFA_GRACE_PERIOD_DAYS`: the session has started and the
    /// person may enrol now or later.
    EnrolSoon,
    /// The password expired (beyond `PASSWORD_EXPIRY_GRACE_DAYS`): a new one before the
    /// session starts (after the second factor, if any).
    ChangePassword,
    /// The password expires within `PASSWORD_EXPIRY_WARNING_DAYS`, or expired within the
    /// grace period: the session has started; change it now or later.
    ChangePasswordSoon,
}

/// `GET /api/mfa`: the second factor of the person signing in (a password sign-in in
/// progress) or signed in (a session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    pub email: String,
    /// A password sign-in waits for the second factor; no session exists yet.
    pub pending_sign_in: bool,
    pub totp_enabled: bool,
    /// When the authenticator app was enrolled (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_configured_at: Option<i64>,
    pub backup_codes_left: u32,
    /// Registered passkeys: each one can be the second step too.
    #[serde(default)]
    pub passkeys: u32,
    /// `REQUIRE_MFA` or `REQUIRE_ADMIN_MFA` applies to this account.
    pub required: bool,
    /// Within the grace period: the end of it (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrol_by: Option<i64>,
}

/// `POST /api/mfa/totp`: a new authenticator secret, not in force until confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret in base32 (RFC 4648), for typing into the app.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// A code the person typed: six digits from the app, or a backup code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaCode {
    pub code: String,
}

/// `POST /api/mfa/totp/confirm` and `POST /api/mfa/backup-codes`: backup codes, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCodes {
    pub backup_codes: Vec<String>,
    /// A confirmation that started or renewed the session: the CSRF token bound to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// A confirmation that finished a sign-in's second step: what comes next, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<SignInStep>,
}

/// `POST /api/password/expired`: the new password of a sign-in whose password expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub new_password: String,
}

/// What a typed code looks like: six digits (spaces ignored) are an app's code,
/// anything else is tried as a backup code (`abcde-12345`, dash and case ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeKind {
    Totp(String),
    Backup(String),
}

/// Classifies and normalises a typed code; `None` when it cannot be either kind.
pub fn classify_code(typed: &str) -> Option<CodeKind> {
    let compact: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
        return Some(CodeKind::Totp(compact));
    }
    if compact.len() == 10 && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some(CodeKind::Backup(compact.to_ascii_lowercase()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_app_code_and_ten_characters_a_backup_code() {
        assert_eq!(classify_code(" 123 456 "), Some(CodeKind::Totp("123456".into())));
        assert_eq!(classify_code("ABCDE-12345"), Some(CodeKind::Backup("abcde12345".into())));
        assert_eq!(classify_code("12345"), None);
        assert_eq!(classify_code("abcde-1234!"), None);
        assert_eq!(classify_code(""), None);
    }
}
