//! The one route table: every path the worker answers itself, the methods each takes, and
//! which handler answers it. Plain data, compiled natively too, so a unit test walks it;
//! the edge (`edge::router`) only looks a request up here and calls the handler named.
//!
//! Paths not listed here are pages of the SPA (served from the assets binding), except
//! those under [`API_PREFIXES`] / [`API_PATHS`], which get a JSON 404.

use shared::paths;

use crate::engine::platform::form::decode_path_segment;

/// One operation: a path and the methods that do the same thing there. The edge's one
/// `match` (`edge::router::dispatch`) maps each to its handler; handlers never look at
/// the method again to decide what to do.
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
    PushedAuthorizationRequest,
    Introspect,
    Revoke,
    UserInfo,
    // ---- browser sign-in: redirects and pages
    Authorize,
    AuthorizeResume,
    Logout,
    // ---- the sign-in and consent screens' JSON
    SessionInfo,
    SignIn,
    SignOut,
    AuthorizationDetails,
    Consent,
    // ---- self-service accounts
    SignUp,
    VerifyEmail,
    ResendVerification,
    PasswordReset,
    PasswordResetComplete,
    PasswordResetReview,
    ValidatePassword,
    Account,
    UpdateAccount,
    AccountPassword,
    AccountConfirm,
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
    SocialLink,
    /// `GET /api/providers` (admin): the providers configured and their user counts.
    Providers,
    AccountIdentities,
    // ---- passkeys (WebAuthn Level 2)
    Passkeys,
    RegisterPasskey,
    Passkey,
    PasskeyRegisterOptions,
    PasskeySignInOptions,
    PasskeySignIn,
    // ---- device activation screen (RFC 8628 §3.3)
    DeviceLookup,
    DeviceDecision,
    // ---- admin: mail and clients (RFC 7591, 7592)
    Outbox,
    Deliveries,
    RetryDelivery,
    MailTest,
    MailTemplates,
    SaveMailTemplate,
    ResetMailTemplate,
    PreviewMailTemplate,
    Register,
    RegisteredClient,
    UpdateClient,
    DeleteClient,
    RenewSecret,
    Secrets,
    Secret,
    Clients,
    RevokeTokens,
    // ---- admin: user accounts
    Users,
    CreateUser,
    User,
    UpdateUser,
    DeleteUser,
    UnlockUser,
    UserPasswordReset,
    UserSessions,
    EndUserSessions,
    UserPasswordStatus,
    UserConsents,
    UserConsent,
    UserMfa,
    UserIdentities,
    UserProviderTokens,
    // ---- admin: protected resources (RFC 8707)
    Resources,
    CreateResource,
    Resource,
    UpdateResource,
    DeleteResource,
    // ---- admin: scopes
    Scopes,
    CreateScope,
    Scope,
    UpdateScope,
    DeleteScope,
    // ---- operations
    Metrics,
    OpenApi,
    // ---- admin: signing keys
    Keys,
    KeyRotation,
    // ---- admin: browser sessions
    Sessions,
    EndSessions,
    AdminSession,
    SessionMetrics,
    // ---- admin: settings
    Settings,
    UpdateSettings,
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
/// the methods of one operation on it, the endpoint, and how it answers. A path with
/// several operations has a row for each; its `Allow` value (RFC 9110 §10.2.1) is their
/// methods together. A path with a CORS policy also answers `OPTIONS` (the preflight).
#[derive(Debug)]
pub struct Route {
    pub pattern: &'static str,
    pub methods: &'static str,
    pub endpoint: Endpoint,
    pub kind: Kind,
    pub cors: Cors,
}

const READ: &str = "GET, HEAD";

const fn api(pattern: &'static str, methods: &'static str, endpoint: Endpoint) -> Route {
    Route { pattern, methods, endpoint, kind: Kind::Api, cors: Cors::None }
}

const fn get(pattern: &'static str, endpoint: Endpoint) -> Route {
    api(pattern, READ, endpoint)
}

const fn post(pattern: &'static str, endpoint: Endpoint) -> Route {
    api(pattern, "POST", endpoint)
}

const fn patch(pattern: &'static str, endpoint: Endpoint) -> Route {
    api(pattern, "PATCH", endpoint)
}

const fn put(pattern: &'static str, endpoint: Endpoint) -> Route {
    api(pattern, "PUT", endpoint)
}

const fn delete(pattern: &'static str, endpoint: Endpoint) -> Route {
    api(pattern, "DELETE", endpoint)
}

/// An API route browser apps call from their own origins.
const fn cors(pattern: &'static str, methods: &'static str, endpoint: Endpoint, cors: Cors) -> Route {
    Route { pattern, methods, endpoint, kind: Kind::Api, cors }
}

const fn page(pattern: &'static str, methods: &'static str, endpoint: Endpoint) -> Route {
    Route { pattern, methods, endpoint, kind: Kind::Page, cors: Cors::None }
}

/// GET and POST do the same: the request's parameters in the query or a form body
/// (OIDC Core §3.1.2.1, §5.3; RP-Initiated Logout §2; a provider's `form_post`).
const GET_OR_POST: &str = "GET, HEAD, POST";

use Endpoint as E;

/// Every route. Aliases are those of docs/api.md, "Endpoints" (`/oauth/introspect`, `/oauth2/userinfo`, ...).
pub const ROUTES: &[Route] = &[
    get(paths::HEALTH, E::Health),
    cors(paths::DISCOVERY, READ, E::Discovery, Cors::AnyOrigin),
    cors(paths::AUTHORIZATION_SERVER_METADATA, READ, E::Discovery, Cors::AnyOrigin),
    // RFC 8414 §3.1: with an issuer that has a path, the path follows the well-known part.
    cors("/.well-known/oauth-authorization-server/{issuer_path}", READ, E::Discovery, Cors::AnyOrigin),
    cors(paths::JWKS, READ, E::Jwks, Cors::AnyOrigin),
    get(paths::UI_CONFIG, E::UiConfig),
    cors(paths::TOKEN, "POST", E::Token, Cors::Client),
    cors(paths::DEVICE_AUTHORIZATION, "POST", E::DeviceAuthorization, Cors::Client),
    cors("/device/code", "POST", E::DeviceAuthorization, Cors::Client),
    // RFC 9126: browser apps push their requests too.
    cors(paths::PUSHED_AUTHORIZATION_REQUEST, "POST", E::PushedAuthorizationRequest, Cors::Client),
    // Introspection is for resource servers, not browsers (RFC 7662 §2.1).
    post(paths::INTROSPECT, E::Introspect),
    post("/oauth/introspect", E::Introspect),
    cors(paths::REVOKE, "POST", E::Revoke, Cors::Client),
    cors("/oauth/revoke", "POST", E::Revoke, Cors::Client),
    cors(paths::USERINFO, GET_OR_POST, E::UserInfo, Cors::Client),
    cors("/oauth2/userinfo", GET_OR_POST, E::UserInfo, Cors::Client),
    page(paths::AUTHORIZE, GET_OR_POST, E::Authorize),
    page(paths::AUTHORIZE_RESUME, READ, E::AuthorizeResume),
    page(paths::LOGOUT, GET_OR_POST, E::Logout),
    get(paths::SESSION, E::SessionInfo),
    post(paths::SESSION, E::SignIn),
    delete(paths::SESSION, E::SignOut),
    get(paths::AUTHORIZATION_DETAILS, E::AuthorizationDetails),
    post(paths::CONSENT, E::Consent),
    post(paths::SIGNUP, E::SignUp),
    post(paths::VERIFY_EMAIL, E::VerifyEmail),
    post(paths::VERIFY_EMAIL_RESEND, E::ResendVerification),
    post(paths::PASSWORD_RESET, E::PasswordReset),
    post(paths::PASSWORD_RESET_COMPLETE, E::PasswordResetComplete),
    post(paths::PASSWORD_RESET_REVIEW, E::PasswordResetReview),
    post(paths::VALIDATE_PASSWORD, E::ValidatePassword),
    get(paths::ACCOUNT, E::Account),
    patch(paths::ACCOUNT, E::UpdateAccount),
    post(paths::ACCOUNT_PASSWORD, E::AccountPassword),
    post(paths::ACCOUNT_CONFIRM, E::AccountConfirm),
    get(paths::ACCOUNT_SESSIONS, E::AccountSessions),
    delete("/api/account/sessions/{id}", E::AccountSession),
    get(paths::ACCOUNT_CONSENTS, E::AccountConsents),
    delete("/api/account/consents/{client_id}", E::AccountConsent),
    get(paths::MFA, E::Mfa),
    post(paths::MFA_VERIFY, E::MfaVerify),
    post(paths::MFA_TOTP, E::MfaTotp),
    post(paths::MFA_TOTP_CONFIRM, E::MfaTotpConfirm),
    post(paths::MFA_DISABLE, E::MfaDisable),
    post(paths::MFA_BACKUP_CODES, E::MfaBackupCodes),
    post(paths::PASSWORD_EXPIRED, E::PasswordExpired),
    page("/auth/{provider}", READ, E::SocialStart),
    // POST: a provider's form_post answer (Sign in with Apple).
    page("/auth/{provider}/callback", GET_OR_POST, E::SocialCallback),
    post("/auth/{provider}/unlink", E::SocialUnlink),
    post("/auth/{provider}/link", E::SocialLink),
    get(paths::ACCOUNT_IDENTITIES, E::AccountIdentities),
    get(paths::PASSKEYS, E::Passkeys),
    post(paths::PASSKEYS, E::RegisterPasskey),
    post(paths::PASSKEY_REGISTER_OPTIONS, E::PasskeyRegisterOptions),
    post(paths::PASSKEY_SIGN_IN_OPTIONS, E::PasskeySignInOptions),
    post(paths::PASSKEY_SIGN_IN, E::PasskeySignIn),
    // After the fixed paths above, which it would match too.
    delete("/api/passkeys/{id}", E::Passkey),
    post(paths::DEVICE_LOOKUP, E::DeviceLookup),
    post(paths::DEVICE_DECISION, E::DeviceDecision),
    get(paths::OUTBOX, E::Outbox),
    get(paths::DELIVERIES, E::Deliveries),
    post(paths::DELIVERY_RETRY, E::RetryDelivery),
    post(paths::MAIL_TEST, E::MailTest),
    get(paths::MAIL_TEMPLATES, E::MailTemplates),
    put("/api/mail-templates/{name}/{locale}", E::SaveMailTemplate),
    delete("/api/mail-templates/{name}/{locale}", E::ResetMailTemplate),
    post("/api/mail-templates/{name}/{locale}/preview", E::PreviewMailTemplate),
    post(paths::REGISTER, E::Register),
    get("/register/{client_id}", E::RegisteredClient),
    patch("/register/{client_id}", E::UpdateClient),
    delete("/register/{client_id}", E::DeleteClient),
    post("/register/{client_id}/renew_secret", E::RenewSecret),
    post("/register/{client_id}/secrets", E::Secrets),
    delete("/register/{client_id}/secrets/{secret_id}", E::Secret),
    get(paths::CLIENTS, E::Clients),
    post("/api/clients/{client_id}/revoke_tokens", E::RevokeTokens),
    get(paths::USERS, E::Users),
    post(paths::USERS, E::CreateUser),
    get("/api/users/{id}", E::User),
    patch("/api/users/{id}", E::UpdateUser),
    delete("/api/users/{id}", E::DeleteUser),
    post("/api/users/{id}/unlock", E::UnlockUser),
    post("/api/users/{id}/send-password-reset", E::UserPasswordReset),
    get("/api/users/{id}/sessions", E::UserSessions),
    delete("/api/users/{id}/sessions", E::EndUserSessions),
    get("/api/users/{id}/password-status", E::UserPasswordStatus),
    get("/api/users/{id}/consents", E::UserConsents),
    delete("/api/users/{id}/consents/{client_id}", E::UserConsent),
    delete("/api/users/{id}/mfa", E::UserMfa),
    get("/api/users/{id}/identities", E::UserIdentities),
    get("/api/users/{id}/identities/{provider}/tokens", E::UserProviderTokens),
    get(paths::PROVIDERS, E::Providers),
    get(paths::RESOURCES, E::Resources),
    post(paths::RESOURCES, E::CreateResource),
    get("/api/resources/{id}", E::Resource),
    patch("/api/resources/{id}", E::UpdateResource),
    delete("/api/resources/{id}", E::DeleteResource),
    get(paths::SCOPES, E::Scopes),
    post(paths::SCOPES, E::CreateScope),
    get("/api/scopes/{id}", E::Scope),
    patch("/api/scopes/{id}", E::UpdateScope),
    delete("/api/scopes/{id}", E::DeleteScope),
    get(paths::METRICS, E::Metrics),
    get(paths::OPENAPI, E::OpenApi),
    get(paths::KEYS, E::Keys),
    post(paths::KEYS_ROTATE, E::KeyRotation),
    get(paths::SESSIONS, E::Sessions),
    delete(paths::SESSIONS, E::EndSessions),
    delete("/api/sessions/{id}", E::AdminSession),
    get(paths::SESSION_METRICS, E::SessionMetrics),
    get(paths::SETTINGS, E::Settings),
    patch(paths::SETTINGS, E::UpdateSettings),
    get(paths::AUDIT_LOGS, E::AuditLogs),
    // Before the `{id}` pattern, which would match it too.
    get("/api/audit-logs/export", E::AuditLogExport),
    get("/api/audit-logs/{id}", E::AuditLog),
    get(paths::SIGN_IN_METRICS, E::SignInMetrics),
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

/// What the table says about a request's path and method.
#[derive(Debug)]
pub enum Resolved {
    /// The operation that answers it.
    Operation(Matched),
    /// `OPTIONS` on a path with a CORS policy: the preflight, with the path's methods.
    Preflight { allow: String, cors: Cors },
    /// The path exists, the method does not: 405 with the path's methods.
    WrongMethod { allow: String },
    /// No such path.
    Unknown,
}

impl Route {
    /// Whether this operation takes `method`.
    pub fn accepts(&self, method: &str) -> bool {
        self.methods.split(", ").any(|m| m == method)
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

/// The first route whose pattern matches `path`, whatever its method: the path's kind and
/// CORS policy, which every operation on a pattern shares.
pub fn resolve(path: &str) -> Option<Matched> {
    ROUTES.iter().find_map(|route| route.matches(path))
}

/// The `Allow` value of `pattern` (RFC 9110 §10.2.1): the methods of its operations, in
/// the table's order, and `OPTIONS` when it has a CORS policy.
pub fn allow(pattern: &str) -> String {
    let mut methods: Vec<&str> = Vec::new();
    let mut preflight = false;
    for route in ROUTES.iter().filter(|r| r.pattern == pattern) {
        for method in route.methods.split(", ") {
            if !methods.contains(&method) {
                methods.push(method);
            }
        }
        preflight |= route.cors != Cors::None;
    }
    if preflight {
        methods.push("OPTIONS");
    }
    methods.join(", ")
}

/// The operation for `method` on `path`.
pub fn resolve_operation(path: &str, method: &str) -> Resolved {
    let Some(first) = resolve(path) else { return Resolved::Unknown };
    let pattern = first.route.pattern;
    if method == "OPTIONS" && first.route.cors != Cors::None {
        return Resolved::Preflight { allow: allow(pattern), cors: first.route.cors };
    }
    let operation = ROUTES.iter().filter(|r| r.pattern == pattern && r.accepts(method)).find_map(|r| r.matches(path));
    match operation {
        Some(matched) => Resolved::Operation(matched),
        None => Resolved::WrongMethod { allow: allow(pattern) },
    }
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
