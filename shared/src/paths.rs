//! The paths of the worker's endpoints, for both sides: the worker's route table
//! (`worker/src/routes.rs`) and the SPA's calls name them from here, so a renamed path
//! fails to compile instead of answering 404.

// ---- protocol endpoints (discovery lists them)
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/.well-known/jwks.json";
/// RFC 8414 §3: the same document at the OAuth well-known URI (MCP clients look here first).
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const AUTHORIZE: &str = "/authorize";
pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
pub const TOKEN: &str = "/token";
pub const INTROSPECT: &str = "/token/introspect";
pub const REVOKE: &str = "/token/revoke";
pub const USERINFO: &str = "/userinfo";
pub const DEVICE_AUTHORIZATION: &str = "/device";
/// RFC 9126 §2: the pushed authorization request endpoint.
pub const PUSHED_AUTHORIZATION_REQUEST: &str = "/par";
pub const LOGOUT: &str = "/logout";
pub const REGISTER: &str = "/register";
pub const HEALTH: &str = "/health";

// ---- pages of the SPA the server sends people to
/// Where a person enters a device's user code (RFC 8628 §3.3 `verification_uri`).
pub const ACTIVATE: &str = "/activate";
/// The second step of sign-in (a code), and step-up for `acr_values`.
pub const MFA_PAGE: &str = "/mfa";
/// Enrolling an authenticator app.
pub const MFA_SETUP_PAGE: &str = "/mfa/setup";
/// A new password: required (expired) or offered (expiring soon).
pub const PASSWORD_PAGE: &str = "/password";
/// The admin console's redirect URI (it signs in with code + PKCE like any app).
pub const ADMIN_CALLBACK: &str = "/admin/callback";
pub const SIGN_IN_PAGE: &str = "/signin";
pub const SIGN_UP_PAGE: &str = "/signup";
pub const CONSENT_PAGE: &str = "/consent";
pub const ACCOUNT_PAGE: &str = "/account";
pub const FORGOT_PASSWORD_PAGE: &str = "/forgot-password";
pub const RESET_PASSWORD_PAGE: &str = "/reset-password";
pub const VERIFY_EMAIL_PAGE: &str = "/verify-email";

/// The browser module that draws a page (docs/architecture.md, "The browser apps"). Each
/// page is a full page load: the worker names the module in the page's `<head>`
/// (`edge/assets.rs`), `boot.js` starts the one named, and each module's router knows
/// its own pages. The pages of an app's sign-in (what a person sees on the way to the
/// app) are one module, so that way is as short as it can be; the account's own pages
/// another; the admin console a third.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserApp {
    /// `/`, sign-in, sign-up, the second step, a required new password, consent, and any
    /// unknown page (its "not found").
    Public,
    /// The account, enrolling an authenticator app, a device's code, recovery.
    Account,
    /// `/admin` and below.
    Console,
}

/// The pages the account module draws.
pub const ACCOUNT_APP_PAGES: &[&str] =
    &[ACCOUNT_PAGE, MFA_SETUP_PAGE, ACTIVATE, FORGOT_PASSWORD_PAGE, RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE];

impl BrowserApp {
    /// The module for a page path (a trailing `/` is the same page).
    pub fn for_path(path: &str) -> BrowserApp {
        if path == "/admin" || path.starts_with("/admin/") {
            return BrowserApp::Console;
        }
        let page = path.trim_end_matches('/');
        if ACCOUNT_APP_PAGES.contains(&page) {
            BrowserApp::Account
        } else {
            BrowserApp::Public
        }
    }

    /// The module's files: `/<name>.js` and `/<name>_bg.wasm`.
    pub fn name(self) -> &'static str {
        match self {
            BrowserApp::Public => "public",
            BrowserApp::Account => "account",
            BrowserApp::Console => "console",
        }
    }
}

// ---- JSON for the SPA
pub const UI_CONFIG: &str = "/api/ui-config";
pub const SESSION: &str = "/api/session";
pub const AUTHORIZATION_DETAILS: &str = "/api/authorize";
pub const CONSENT: &str = "/api/consent";
pub const SIGNUP: &str = "/api/signup";
pub const VERIFY_EMAIL: &str = "/api/verify-email";
pub const VERIFY_EMAIL_RESEND: &str = "/api/verify-email/resend";
pub const PASSWORD_RESET: &str = "/api/password-reset";
pub const PASSWORD_RESET_COMPLETE: &str = "/api/password-reset/complete";
/// After a reset: remove passkeys and linked providers someone else may have added.
pub const PASSWORD_RESET_REVIEW: &str = "/api/password-reset/review";
pub const VALIDATE_PASSWORD: &str = "/api/validate-password";
pub const ACCOUNT: &str = "/api/account";
pub const ACCOUNT_PASSWORD: &str = "/api/account/password";
/// A fresh proof before a change to how one signs in (docs/security.md).
pub const ACCOUNT_CONFIRM: &str = "/api/account/confirm";
/// `/{session id}` appended: one session.
pub const ACCOUNT_SESSIONS: &str = "/api/account/sessions";
/// `/{client_id}` appended: one app's consent.
pub const ACCOUNT_CONSENTS: &str = "/api/account/consents";
/// The second factor: status (GET) of the sign-in in progress or the session.
pub const MFA: &str = "/api/mfa";
/// The second step of a sign-in, or a step-up: a TOTP or backup code.
pub const MFA_VERIFY: &str = "/api/mfa/verify";
/// Begin enrolling an authenticator app (a new secret).
pub const MFA_TOTP: &str = "/api/mfa/totp";
/// Confirm the enrolment with a first code; answers the backup codes.
pub const MFA_TOTP_CONFIRM: &str = "/api/mfa/totp/confirm";
/// Turn the second factor off (a current code required).
pub const MFA_DISABLE: &str = "/api/mfa/disable";
/// New backup codes (a current code required); the old ones die.
pub const MFA_BACKUP_CODES: &str = "/api/mfa/backup-codes";
/// The new password of a sign-in whose password expired (`PASSWORD_EXPIRY_DAYS`).
pub const PASSWORD_EXPIRED: &str = "/api/password/expired";
/// Passkeys of the signed-in person (GET, POST to register); `/{id}` appended: one (DELETE).
pub const PASSKEYS: &str = "/api/passkeys";
/// The options of a registration ceremony.
pub const PASSKEY_REGISTER_OPTIONS: &str = "/api/passkeys/register/options";
/// The options of a sign-in ceremony (usernameless, or the second step's).
pub const PASSKEY_SIGN_IN_OPTIONS: &str = "/api/passkeys/sign-in/options";
/// Sign in with a passkey's assertion.
pub const PASSKEY_SIGN_IN: &str = "/api/passkeys/sign-in";
/// The provider identities linked to the signed-in account.
pub const ACCOUNT_IDENTITIES: &str = "/api/account/identities";
/// The identity providers configured and their user counts (admin).
pub const PROVIDERS: &str = "/api/providers";
pub const DEVICE_LOOKUP: &str = "/api/device/lookup";
pub const DEVICE_DECISION: &str = "/api/device/decision";

// ---- admin API
pub const OUTBOX: &str = "/api/outbox";
/// Outbound deliveries (docs/delivery.md) and an admin's retry of one.
pub const DELIVERIES: &str = "/api/deliveries";
pub const DELIVERY_RETRY: &str = "/api/deliveries/{id}/retry";
/// A test message through the configured mail transport (a super_admin).
pub const MAIL_TEST: &str = "/api/mail/test";
/// The mail templates (docs/i18n.md): `GET` lists; `/{name}/{locale}` `PUT` saves,
/// `DELETE` resets; `/{name}/{locale}/preview` `POST` renders an edit.
pub const MAIL_TEMPLATES: &str = "/api/mail-templates";
/// `/{client_id}/revoke_tokens` appended: revoke a client's tokens.
pub const CLIENTS: &str = "/api/clients";
/// Admin API: user accounts.
pub const USERS: &str = "/api/users";
/// Admin API: protected resources (RFC 8707).
pub const RESOURCES: &str = "/api/resources";
/// Admin API: scopes.
pub const SCOPES: &str = "/api/scopes";
/// Prometheus metrics (admin token or `METRICS_TOKEN`).
pub const METRICS: &str = "/metrics";
/// Admin API: the signing keys.
pub const KEYS: &str = "/api/keys";
/// Starts a signing-key rotation (super_admin).
pub const KEYS_ROTATE: &str = "/api/keys/rotate";
/// Admin API: browser sessions.
pub const SESSIONS: &str = "/api/sessions";
/// Admin API: session counts.
pub const SESSION_METRICS: &str = "/api/metrics/sessions";
/// Admin API: sign-ins and failures per hour or day.
pub const SIGN_IN_METRICS: &str = "/api/metrics/sign-ins";
/// Admin API: settings (the run-time ones changeable).
pub const SETTINGS: &str = "/api/settings";
/// The OpenAPI 3.1 description of `/api` and `/register`.
pub const OPENAPI: &str = "/api/openapi.json";
/// Admin API: the audit log.
pub const AUDIT_LOGS: &str = "/api/audit-logs";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_one_browser_module() {
        for page in [SIGN_IN_PAGE, SIGN_UP_PAGE, CONSENT_PAGE, MFA_PAGE, PASSWORD_PAGE, "/", "/no-such-page"] {
            assert_eq!(BrowserApp::for_path(page), BrowserApp::Public, "{page}");
        }
        for page in ACCOUNT_APP_PAGES {
            assert_eq!(BrowserApp::for_path(page), BrowserApp::Account, "{page}");
            assert_eq!(BrowserApp::for_path(&format!("{page}/")), BrowserApp::Account, "{page}/");
        }
        assert_eq!(BrowserApp::for_path("/mfa/setup/x"), BrowserApp::Public, "an unknown page is public's not found");
        for page in ["/admin", "/admin/", "/admin/keys", ADMIN_CALLBACK] {
            assert_eq!(BrowserApp::for_path(page), BrowserApp::Console, "{page}");
        }
        assert_eq!(BrowserApp::for_path("/administrator"), BrowserApp::Public);
    }
}
