//! The one route table: every path the worker answers itself, the methods each takes, and
//! which handler answers it. Plain data, compiled natively too, so a unit test walks it;
//! the edge (`edge::router`) only looks a request up here and calls the handler named.
//!
//! Paths not listed here are pages of the SPA (served from the assets binding), except
//! those under [`API_PREFIXES`] / [`API_PATHS`], which get a JSON 404.

use shared::paths;

use crate::engine::platform::form::decode_path_segment;

/// What answers a route. The edge maps each to one handler function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    // ---- operations and discovery
    Health,
    Discovery,
    Jwks,
    UiConfig,
    // ---- OAuth: the token family's form endpoints (RFC 6749, 8628, 7662, 7009) and UserInfo
    Token,
    DeviceAuthorization,
    Introspect,
    Revoke,
    UserInfo,
    // ---- browser sign-in: redirects and pages
    Authorize,
    AuthorizeResume,
    Logout,
    // ---- the sign-in and consent screens' JSON
    Session,
    AuthorizationDetails,
    Consent,
    // ---- self-service accounts
    SignUp,
    VerifyEmail,
    ResendVerification,
    PasswordReset,
    PasswordResetComplete,
    ValidatePassword,
    Account,
    AccountPassword,
    AccountSessions,
    AccountSession,
    AccountConsents,
    AccountConsent,
    // ---- the second factor (RFC 6238 TOTP, backup codes)
    Mfa,
    MfaVerify,
    MfaTotp,
    MfaTotpConfirm,
    MfaDisable,
    MfaBackupCodes,
    PasswordExpired,
    // ---- sign-in with other identity providers
    SocialStart,
    SocialCallback,
    SocialUnlink,
    /// `GET /api/providers` (admin): the providers configured and their user counts.
    Providers,
    AccountIdentities,
    // ---- passkeys (WebAuthn Level 2)
    Passkeys,
    Passkey,
    PasskeyRegisterOptions,
    PasskeySignInOptions,
    PasskeySignIn,
    // ---- device activation screen (RFC 8628 §3.3)
    DeviceLookup,
    DeviceDecision,
    // ---- admin: mail and clients (RFC 7591, 7592)
    Outbox,
    Register,
    RegisteredClient,
    RenewSecret,
    Secrets,
    Secret,
    Clients,
    RevokeTokens,
    // ---- admin: user accounts
    Users,
    User,
    UnlockUser,
    UserPasswordReset,
    UserSessions,
    UserPasswordStatus,
    UserConsents,
    UserConsent,
    UserMfa,
    UserIdentities,
    UserProviderTokens,
    // ---- admin: scopes
    Scopes,
    Scope,
    // ---- operations
    Metrics,
    OpenApi,
    // ---- admin: signing keys
    Keys,
    KeyRotation,
    // ---- admin: browser sessions
    Sessions,
    AdminSession,
    SessionMetrics,
    // ---- admin: settings
    Settings,
    // ---- admin: the audit log
    AuditLogs,
    AuditLogExport,
    AuditLog,
    SignInMetrics,
}

/// How responses of a route are finished (`edge::respond::finish`): API answers are JSON;
/// page answers (redirects, HTML) get the page security headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Api,
    Page,
}

/// Which browser origins may call a route (docs/api.md, "Browser apps"; Fetch standard CORS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cors {
    /// Same-origin only: no CORS headers, no preflight.
    None,
    /// Public documents (discovery, JWKS): `Access-Control-Allow-Origin: *`.
    AnyOrigin,
    /// Client-bound endpoints: an origin of the calling client's redirect URIs
    /// (`engine::oauth::cors`), judged by the handler once it knows the client.
    Client,
}

/// One row of the table: a path pattern (`{name}` matches one percent-decoded segment),
/// the `Allow` value (RFC 9110 §10.2.1), the endpoint and its CORS policy. Routes with a
/// CORS policy also answer `OPTIONS` (the preflight), which `allow` lists.
#[derive(Debug)]
pub struct Route {
    pub pattern: &'static str,
    pub allow: &'static str,
    pub endpoint: Endpoint,
    pub kind: Kind,
    pub cors: Cors,
}

const READ: &str = "GET, HEAD";

const fn api(pattern: &'static str, allow: &'static str, endpoint: Endpoint) -> Route {
    Route { pattern, allow, endpoint, kind: Kind::Api, cors: Cors::None }
}

/// An API route browser apps call from their own origins.
const fn cors(pattern: &'static str, allow: &'static str, endpoint: Endpoint, cors: Cors) -> Route {
    Route { pattern, allow, endpoint, kind: Kind::Api, cors }
}

const fn page(pattern: &'static str, allow: &'static str, endpoint: Endpoint) -> Route {
    Route { pattern, allow, endpoint, kind: Kind::Page, cors: Cors::None }
}

const READ_CORS: &str = "GET, HEAD, OPTIONS";
const POST_CORS: &str = "POST, OPTIONS";
const USERINFO: &str = "GET, HEAD, POST, OPTIONS";

use Endpoint as E;

/// Every route. Aliases are those of docs/api.md, "Endpoints" (`/oauth/introspect`, `/oauth2/userinfo`, ...).
pub const ROUTES: &[Route] = &[
    api(paths::HEALTH, READ, E::Health),
    cors(paths::DISCOVERY, READ_CORS, E::Discovery, Cors::AnyOrigin),
    cors(paths::JWKS, READ_CORS, E::Jwks, Cors::AnyOrigin),
    api(paths::UI_CONFIG, READ, E::UiConfig),
    cors(paths::TOKEN, POST_CORS, E::Token, Cors::Client),
    cors(paths::DEVICE_AUTHORIZATION, POST_CORS, E::DeviceAuthorization, Cors::Client),
    cors("/device/code", POST_CORS, E::DeviceAuthorization, Cors::Client),
    // Introspection is for resource servers, not browsers (RFC 7662 §2.1).
    api(paths::INTROSPECT, "POST", E::Introspect),
    api("/oauth/introspect", "POST", E::Introspect),
    cors(paths::REVOKE, POST_CORS, E::Revoke, Cors::Client),
    cors("/oauth/revoke", POST_CORS, E::Revoke, Cors::Client),
    cors(paths::USERINFO, USERINFO, E::UserInfo, Cors::Client),
    cors("/oauth2/userinfo", USERINFO, E::UserInfo, Cors::Client),
    page(paths::AUTHORIZE, "GET, HEAD, POST", E::Authorize),
    page(paths::AUTHORIZE_RESUME, READ, E::AuthorizeResume),
    page(paths::LOGOUT, "GET, HEAD, POST", E::Logout),
    api(paths::SESSION, "GET, HEAD, POST, DELETE", E::Session),
    api(paths::AUTHORIZATION_DETAILS, READ, E::AuthorizationDetails),
    api(paths::CONSENT, "POST", E::Consent),
    api(paths::SIGNUP, "POST", E::SignUp),
    api(paths::VERIFY_EMAIL, "POST", E::VerifyEmail),
    api(paths::VERIFY_EMAIL_RESEND, "POST", E::ResendVerification),
    api(paths::PASSWORD_RESET, "POST", E::PasswordReset),
    api(paths::PASSWORD_RESET_COMPLETE, "POST", E::PasswordResetComplete),
    api(paths::VALIDATE_PASSWORD, "POST", E::ValidatePassword),
    api(paths::ACCOUNT, "GET, HEAD, PATCH", E::Account),
    api(paths::ACCOUNT_PASSWORD, "POST", E::AccountPassword),
    api(paths::ACCOUNT_SESSIONS, READ, E::AccountSessions),
    api("/api/account/sessions/{id}", "DELETE", E::AccountSession),
    api(paths::ACCOUNT_CONSENTS, READ, E::AccountConsents),
    api("/api/account/consents/{client_id}", "DELETE", E::AccountConsent),
    api(paths::MFA, READ, E::Mfa),
    api(paths::MFA_VERIFY, "POST", E::MfaVerify),
    api(paths::MFA_TOTP, "POST", E::MfaTotp),
    api(paths::MFA_TOTP_CONFIRM, "POST", E::MfaTotpConfirm),
    api(paths::MFA_DISABLE, "POST", E::MfaDisable),
    api(paths::MFA_BACKUP_CODES, "POST", E::MfaBackupCodes),
    api(paths::PASSWORD_EXPIRED, "POST", E::PasswordExpired),
    page("/auth/{provider}", READ, E::SocialStart),
    // POST: a provider's form_post answer (Sign in with Apple).
    page("/auth/{provider}/callback", "GET, HEAD, POST", E::SocialCallback),
    api("/auth/{provider}/unlink", "POST", E::SocialUnlink),
    api(paths::ACCOUNT_IDENTITIES, READ, E::AccountIdentities),
    api(paths::PASSKEYS, "GET, HEAD, POST", E::Passkeys),
    api(paths::PASSKEY_REGISTER_OPTIONS, "POST", E::PasskeyRegisterOptions),
    api(paths::PASSKEY_SIGN_IN_OPTIONS, "POST", E::PasskeySignInOptions),
    api(paths::PASSKEY_SIGN_IN, "POST", E::PasskeySignIn),
    // After the fixed paths above, which it would match too.
    api("/api/passkeys/{id}", "DELETE", E::Passkey),
    api(paths::DEVICE_LOOKUP, "POST", E::DeviceLookup),
    api(paths::DEVICE_DECISION, "POST", E::DeviceDecision),
    api(paths::OUTBOX, READ, E::Outbox),
    api(paths::REGISTER, "POST", E::Register),
    api("/register/{client_id}", "GET, HEAD, PATCH, DELETE", E::RegisteredClient),
    api("/register/{client_id}/renew_secret", "POST", E::RenewSecret),
    api("/register/{client_id}/secrets", "POST", E::Secrets),
    api("/register/{client_id}/secrets/{secret_id}", "DELETE", E::Secret),
    api(paths::CLIENTS, READ, E::Clients),
    api("/api/clients/{client_id}/revoke_tokens", "POST", E::RevokeTokens),
    api(paths::USERS, "GET, HEAD, POST", E::Users),
    api("/api/users/{id}", "GET, HEAD, PATCH, DELETE", E::User),
    api("/api/users/{id}/unlock", "POST", E::UnlockUser),
    api("/api/users/{id}/send-password-reset", "POST", E::UserPasswordReset),
    api("/api/users/{id}/sessions", "GET, HEAD, DELETE", E::UserSessions),
    api("/api/users/{id}/password-status", READ, E::UserPasswordStatus),
    api("/api/users/{id}/consents", READ, E::UserConsents),
    api("/api/users/{id}/consents/{client_id}", "DELETE", E::UserConsent),
    api("/api/users/{id}/mfa", "DELETE", E::UserMfa),
    api("/api/users/{id}/identities", READ, E::UserIdentities),
    api("/api/users/{id}/identities/{provider}/tokens", READ, E::UserProviderTokens),
    api(paths::PROVIDERS, READ, E::Providers),
    api(paths::SCOPES, "GET, HEAD, POST", E::Scopes),
    api("/api/scopes/{id}", "GET, HEAD, PATCH, DELETE", E::Scope),
    api(paths::METRICS, READ, E::Metrics),
    api(paths::OPENAPI, READ, E::OpenApi),
    api(paths::KEYS, READ, E::Keys),
    api(paths::KEYS_ROTATE, "POST", E::KeyRotation),
    api(paths::SESSIONS, "GET, HEAD, DELETE", E::Sessions),
    api("/api/sessions/{id}", "DELETE", E::AdminSession),
    api(paths::SESSION_METRICS, READ, E::SessionMetrics),
    api(paths::SETTINGS, "GET, HEAD, PATCH", E::Settings),
    api(paths::AUDIT_LOGS, READ, E::AuditLogs),
    // Before the `{id}` pattern, which would match it too.
    api("/api/audit-logs/export", READ, E::AuditLogExport),
    api("/api/audit-logs/{id}", READ, E::AuditLog),
    api(paths::SIGN_IN_METRICS, READ, E::SignInMetrics),
];

/// Paths that belong to programs, not people: unknown ones get a JSON 404, never the SPA.
pub const API_PREFIXES: &[&str] =
    &["/api/", "/.well-known/", "/oauth/", "/oauth2/", "/token/", "/register/", "/device/", "/auth/"];
pub const API_PATHS: &[&str] =
    &["/api", "/token", "/authorize", "/userinfo", "/register", "/device", "/logout", "/metrics"];

/// Whether an unknown `path` is an API path (JSON 404) rather than a page of the SPA.
pub fn is_api_path(path: &str) -> bool {
    API_PATHS.contains(&path) || API_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// A route that matched, with its `{name}` segments decoded, in order.
#[derive(Debug)]
pub struct Matched {
    pub route: &'static Route,
    pub params: Vec<String>,
}

impl Matched {
    /// The `n`th path parameter (the table guarantees how many a route has).
    pub fn param(&self, n: usize) -> &str {
        self.params.get(n).map_or("", String::as_str)
    }
}

impl Route {
    /// Whether the route answers `method` (HEAD wherever GET is).
    pub fn accepts(&self, method: &str) -> bool {
        self.allow.split(", ").any(|m| m == method)
    }

    fn matches(&'static self, path: &str) -> Option<Matched> {
        let mut pattern = self.pattern.split('/');
        let mut segments = path.split('/');
        let mut params = Vec::new();
        loop {
            match (pattern.next(), segments.next()) {
                (None, None) => return Some(Matched { route: self, params }),
                (Some(p), Some(s)) if p.starts_with('{') => {
                    if s.is_empty() {
                        return None;
                    }
                    params.push(decode_path_segment(s)?);
                }
                (Some(p), Some(s)) if p == s => {}
                _ => return None,
            }
        }
    }
}

/// The route that answers `path`, if any.
pub fn resolve(path: &str) -> Option<Matched> {
    ROUTES.iter().find_map(|route| route.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tests/e2e/routes.json`: the route table as data for the JavaScript suites (the
    /// OpenAPI document is checked against it, the fuzz corpus covers it), written from
    /// [`ROUTES`] itself rather than read out of this file's text. Stale, this test fails;
    /// `UPDATE_ROUTES=1 cargo test -p authority-worker routes_json` writes it again.
    #[test]
    fn tests_e2e_routes_json_is_the_route_table() {
        let rows: Vec<serde_json::Value> = ROUTES
            .iter()
            .map(|r| {
                serde_json::json!({
                    "pattern": r.pattern,
                    "methods": r.allow.split(", ").collect::<Vec<_>>(),
                    "kind": format!("{:?}", r.kind).to_lowercase(),
                    "cors": format!("{:?}", r.cors).to_lowercase(),
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).unwrap() + "\n";
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/routes.json");
        if std::env::var_os("UPDATE_ROUTES").is_some() {
            std::fs::write(&file, &text).unwrap();
        }
        let stored = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            stored == text,
            "tests/e2e/routes.json is stale: UPDATE_ROUTES=1 cargo test -p authority-worker routes_json"
        );
    }

    #[test]
    fn every_documented_path_resolves_to_its_endpoint() {
        for (path, endpoint) in [
            ("/token", E::Token),
            ("/oauth/introspect", E::Introspect),
            ("/oauth2/userinfo", E::UserInfo),
            ("/device/code", E::DeviceAuthorization),
            ("/register", E::Register),
            ("/register/abc", E::RegisteredClient),
            ("/register/abc/secrets/s1", E::Secret),
            ("/api/clients/abc/revoke_tokens", E::RevokeTokens),
            ("/api/account/consents/demo-app", E::AccountConsent),
        ] {
            assert_eq!(resolve(path).map(|m| m.route.endpoint), Some(endpoint), "{path}");
        }
    }

    #[test]
    fn path_parameters_are_one_decoded_segment() {
        let m = resolve("/register/a%20b/secrets/s%2F1").unwrap();
        assert_eq!(m.params, vec!["a b", "s/1"]);
        assert!(resolve("/register/").is_none());
        assert!(resolve("/register/a/b/c/d").is_none());
        assert!(resolve("/api/clients/abc/other").is_none());
        // Not valid UTF-8 once decoded: no route, so a JSON 404.
        assert!(resolve("/register/%FF").is_none());
    }

    #[test]
    fn rfc9110_allow_lists_the_methods_a_route_accepts() {
        let token = resolve("/token").unwrap();
        assert!(token.route.accepts("POST") && !token.route.accepts("GET"));
        let client = resolve("/register/x").unwrap();
        assert!(["GET", "HEAD", "PATCH", "DELETE"].iter().all(|m| client.route.accepts(m)));
    }

    #[test]
    fn contract_browser_apps_the_client_bound_endpoints_and_public_documents_answer_preflights() {
        for path in ["/token", "/token/revoke", "/device", "/userinfo", "/oauth/revoke", "/oauth2/userinfo"] {
            let route = resolve(path).unwrap().route;
            assert_eq!(route.cors, Cors::Client, "{path}");
            assert!(route.accepts("OPTIONS"), "{path}");
        }
        for path in ["/.well-known/openid-configuration", "/.well-known/jwks.json"] {
            assert_eq!(resolve(path).unwrap().route.cors, Cors::AnyOrigin, "{path}");
        }
        // Every route that answers OPTIONS has a CORS policy, and the other way round.
        for route in ROUTES {
            assert_eq!(route.accepts("OPTIONS"), route.cors != Cors::None, "{}", route.pattern);
        }
        assert_eq!(resolve("/token/introspect").unwrap().route.cors, Cors::None);
        assert_eq!(resolve("/api/session").unwrap().route.cors, Cors::None);
    }

    #[test]
    fn unknown_program_paths_get_json_and_pages_go_to_the_spa() {
        assert!(resolve("/api/nothing").is_none() && is_api_path("/api/nothing"));
        assert!(is_api_path("/.well-known/other"));
        assert!(!is_api_path("/signin") && !is_api_path("/admin/clients"));
    }

    #[test]
    fn templated_paths_extend_the_shared_ones() {
        for (pattern, base) in [
            ("/register/{client_id}", paths::REGISTER),
            ("/api/clients/{client_id}/revoke_tokens", paths::CLIENTS),
            ("/api/account/sessions/{id}", paths::ACCOUNT_SESSIONS),
            ("/api/account/consents/{client_id}", paths::ACCOUNT_CONSENTS),
            ("/api/users/{id}/unlock", paths::USERS),
            ("/api/audit-logs/{id}", paths::AUDIT_LOGS),
        ] {
            assert!(pattern.starts_with(&format!("{base}/")), "{pattern}");
            assert!(ROUTES.iter().any(|r| r.pattern == pattern), "{pattern} is not routed");
        }
    }

    #[test]
    fn patterns_are_unique_and_well_formed() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(a.pattern.starts_with('/'), "{}", a.pattern);
            assert!(!a.allow.is_empty());
            assert!(ROUTES.iter().skip(i + 1).all(|b| b.pattern != a.pattern), "{} twice", a.pattern);
        }
    }
}
