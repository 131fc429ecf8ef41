//! The `error` codes of the JSON API beyond the RFCs' own (RFC 6749 §5.2, RFC 6750 §3.1,
//! RFC 7591 §3.2.2, RFC 8628 §3.5): defined once, so the worker answers them and the
//! SPA reads them under the same names.

/// 400: a request the endpoint cannot parse.
pub const INVALID_REQUEST: &str = "invalid_request";
/// 401 at `POST /api/session`: wrong email or password, or a locked account (which one
/// is not said).
pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
/// 403 at `POST /api/session` with `EMAIL_VERIFICATION_REQUIRED=true`.
pub const EMAIL_NOT_VERIFIED: &str = "email_not_verified";
/// 403: a state-changing call without the CSRF header or from another origin.
pub const CSRF_FAILED: &str = "csrf_failed";
/// 401: an account call without a signed-in session.
pub const LOGIN_REQUIRED: &str = "login_required";
/// 409 at sign-up with `HIDE_EMAIL_EXISTENCE=false`.
pub const EMAIL_TAKEN: &str = "email_taken";
/// 404 at password reset with `HIDE_EMAIL_EXISTENCE=false`.
pub const USER_NOT_FOUND: &str = "user_not_found";
/// 422: field-level problems, listed in `details`.
pub const VALIDATION_ERROR: &str = "validation_error";
/// 404.
pub const NOT_FOUND: &str = "not_found";
/// 405, with `Allow`.
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
/// 414: a URL longer than Cloudflare lets reach a Worker ([`MAX_URL_BYTES`]).
pub const URI_TOO_LONG: &str = "uri_too_long";
/// The longest URL Cloudflare passes to a Worker (16 KB, its documented URL size limit);
/// the worker refuses longer ones itself so that `make dev` answers as production does.
pub const MAX_URL_BYTES: usize = 16 * 1024;
/// 429, with `Retry-After`.
pub const RATE_LIMIT_EXCEEDED: &str = "rate_limit_exceeded";
/// 409: a client already holds its most live secrets.
pub const TOO_MANY_SECRETS: &str = "too_many_secrets";
/// 409: a client's last secret cannot be retired.
pub const LAST_SECRET: &str = "last_secret";
/// 403: a first-party or bootstrap client changed by someone other than a super_admin;
/// 409: the admin console's own client deleted.
pub const PROTECTED_CLIENT: &str = "protected_client";
/// 403: an admin action only a super_admin may take (the mail outbox, managing admins,
/// changing roles).
pub const SUPER_ADMIN_REQUIRED: &str = "super_admin_required";
/// An admin call from an address outside `ADMIN_ALLOWED_IPS`.
pub const ADDRESS_NOT_ALLOWED: &str = "address_not_allowed";
/// A change of `ADMIN_ALLOWED_IPS` that would shut the caller out, not confirmed.
pub const LOCKOUT_CONFIRMATION_REQUIRED: &str = "lockout_confirmation_required";
/// 409: the change would leave no active super_admin.
pub const LAST_SUPER_ADMIN: &str = "last_super_admin";
/// 409: a rotation of the signing key is pending already (`POST /api/keys/rotate`).
pub const ROTATION_PENDING: &str = "rotation_pending";
/// 409: another scope has this name.
pub const SCOPE_EXISTS: &str = "scope_exists";
/// 409: clients may request the scope; `?force=true` removes it from them too.
pub const SCOPE_IN_USE: &str = "scope_in_use";
/// `POST /api/resources`: another resource has this identifier.
pub const RESOURCE_EXISTS: &str = "resource_exists";
/// `DELETE /api/resources/{id}`: a client's `allowed_resources` names it.
pub const RESOURCE_IN_USE: &str = "resource_in_use";
/// 409: a system scope (`shared::scopes::SYSTEM_SCOPES`) is never deleted or renamed.
pub const SYSTEM_SCOPE: &str = "system_scope";
/// 500: the detail is logged, never sent.
/// A TOTP or backup code that is wrong, expired or already used.
pub const INVALID_CODE: &str = "invalid_code";
/// The second factor step was asked for without a password sign-in in progress (or it
/// expired): start again at the sign-in screen.
pub const MFA_CHALLENGE_EXPIRED: &str = "mfa_challenge_expired";
/// An authenticator app is already enrolled (disable it first).
pub const MFA_ALREADY_ENABLED: &str = "mfa_already_enabled";
/// No authenticator app is enrolled.
pub const MFA_NOT_ENABLED: &str = "mfa_not_enabled";
/// `REQUIRE_MFA` / `REQUIRE_ADMIN_MFA` forbid turning the second factor off.
pub const MFA_REQUIRED: &str = "mfa_required";
/// 403: a change to how one signs in needs a recent sign-in (`POST /api/account/confirm`).
pub const REAUTHENTICATION_REQUIRED: &str = "reauthentication_required";
pub const SERVER_ERROR: &str = "server_error";
