//! The router: looks the request up in the one route table (`crate::routes`), builds the
//! request context once, and calls the handler the table names. Paths not in the table
//! are pages of the SPA (the assets binding, with SPA fallback) or, under an API prefix,
//! a JSON 404.

use worker::{Env, Method, Request, Response};

use crate::edge::adapters::env;
use crate::edge::assets;
use crate::edge::context::Cx;
use crate::edge::handlers::{
    account, admin, audit, browser, clients, deliveries, federation, mail_templates, mfa, ops, passkeys, resources,
    scopes, sessions, settings, signin, token, users,
};
use crate::edge::respond::{self, Kind};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::routes::{self, Cors, Endpoint as E, Matched, Resolved};
use shared::codes;

const GET_HEAD: &str = "GET, HEAD";

fn is_read(method: &Method) -> bool {
    matches!(method, Method::Get | Method::Head)
}

/// Where a page asked for under another host name than the issuer's lives: the same path
/// at the issuer. Pages belong to the issuer's origin (its cookies, the CSRF origin check,
/// the console's redirect URI, passkeys' relying party), so `make dev`'s
/// http://127.0.0.1:8787 sends browsers on to its issuer http://localhost:8787. Host and
/// port are compared, not the scheme, which a TLS-terminating proxy may change.
fn canonical_page(req: &Request, config: &Config) -> Option<String> {
    let url = req.url().ok()?;
    let issuer = url::Url::parse(&config.issuer).ok()?;
    if url.host_str() == issuer.host_str() && url.port_or_known_default() == issuer.port_or_known_default() {
        return None;
    }
    if url.host_str() == issuer.host_str() && url.port().is_none() {
        return None;
    }
    let mut target = format!("{}{}", issuer.origin().ascii_serialization(), url.path());
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    Some(target)
}

pub async fn handle(req: Request, env: &Env, worker: &worker::Context) -> Response {
    let (method, path, started) = (req.method(), req.path(), js_sys::Date::now());
    let response = answer(req, env, worker).await;
    log::info!("{method} {path} {} {:.0}ms", response.status_code(), js_sys::Date::now() - started);
    response
}

async fn answer(req: Request, env: &Env, worker: &worker::Context) -> Response {
    let path = req.path();
    let method = req.method();
    let config = env::config(env, Some(worker)).await;
    let https = config.as_ref().map(|c| c.is_https()).unwrap_or(false);
    // Cloudflare answers 414 before a Worker sees a longer URL; workerd under `make dev`
    // does not, and a redirect would echo it into a Location header nobody can read.
    if req.inner().url().len() > codes::MAX_URL_BYTES {
        let too_long = ApiError::refused(
            414,
            codes::URI_TOO_LONG,
            format!("the URL is longer than {} bytes", codes::MAX_URL_BYTES),
        );
        return respond::finish(respond::error(&too_long), Kind::Api, https);
    }
    let page_route = routes::resolve(&path).map_or(!routes::is_api_path(&path), |m| m.route.kind == Kind::Page);
    if let (true, true, Ok(config)) = (page_route, is_read(&method), config.as_ref()) {
        if let Some(target) = canonical_page(&req, config) {
            return respond::finish(respond::redirect(&target), Kind::Page, https);
        }
    }

    let origin = req.headers().get("Origin").ok().flatten();
    let matched = match routes::resolve_operation(&path, method.as_ref()) {
        Resolved::Operation(matched) => matched,
        Resolved::Preflight { allow, cors } => {
            return respond::finish(respond::preflight(&allow, origin.as_deref(), cors), Kind::Api, https);
        }
        Resolved::WrongMethod { allow } => {
            return respond::finish(respond::error(&ApiError::MethodNotAllowed { allow }), Kind::Api, https);
        }
        Resolved::Unknown => {
            let (response, kind) = if routes::is_api_path(&path) {
                (respond::error(&ApiError::NotFound), Kind::Api)
            } else if is_read(&method) {
                (assets::serve(req, env).await, Kind::Page)
            } else {
                (respond::error(&ApiError::MethodNotAllowed { allow: GET_HEAD.into() }), Kind::Page)
            };
            return respond::finish(response, kind, https);
        }
    };
    let route = matched.route;
    // Health reports a broken configuration instead of failing on it.
    if route.endpoint == E::Health {
        return respond::finish(ops::health(&config, env).await, Kind::Api, https);
    }
    let config = match config {
        Ok(config) => config,
        Err(e) => return respond::finish(respond::error(&ApiError::from(e)), Kind::Api, https),
    };
    let cx = match Cx::new(&req, &config, env, worker) {
        Ok(cx) => cx,
        Err(e) => return respond::finish(respond::error(&ApiError::from(e)), Kind::Api, https),
    };
    let response = match dispatch(&cx, req, &matched).await {
        Ok(response) => response,
        Err(e) => respond::error(&e),
    };
    log::debug!("{method} {path} storage: {}", cx.trips.summary());
    let response = match config.server_timing {
        true => respond::with_header(response, "Server-Timing", &cx.trips.header()),
        false => response,
    };
    ops::flush_metrics(env, worker);
    deliveries::collect_after(env, &config, worker);
    // Client-bound routes set their own CORS headers once they know the client.
    let response = match route.cors {
        Cors::AnyOrigin => respond::with_header(response, "Access-Control-Allow-Origin", "*"),
        Cors::Client | Cors::None => response,
    };
    respond::finish(response, route.kind, https)
}

/// Calls the handler of `matched`'s operation: the one place an endpoint meets its
/// handler, exhaustive, so a new endpoint without a handler does not compile.
async fn dispatch(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    match m.route.endpoint {
        E::Health => Err(ApiError::Internal(InternalError::new("health is answered before the context"))),
        E::Discovery => ops::discovery(cx, req, m).await,
        E::Jwks => ops::jwks(cx, req, m).await,
        E::UiConfig => ops::ui_config(cx, req, m).await,
        E::Metrics => ops::prometheus(cx, req, m).await,
        E::OpenApi => ops::openapi(cx, req, m).await,
        E::Token => token::token(cx, req, m).await,
        E::DeviceAuthorization => token::device_authorization(cx, req, m).await,
        E::PushedAuthorizationRequest => token::pushed_authorization_request(cx, req, m).await,
        E::Introspect => token::introspect(cx, req, m).await,
        E::Revoke => token::revoke(cx, req, m).await,
        E::UserInfo => token::userinfo(cx, req, m).await,
        E::Authorize => browser::authorize(cx, req, m).await,
        E::AuthorizeResume => browser::resume(cx, req, m).await,
        E::Logout => browser::logout(cx, req, m).await,
        E::SessionInfo => browser::session_info(cx, req, m).await,
        E::SignIn => signin::password(cx, req, m).await,
        E::SignOut => browser::sign_out(cx, req, m).await,
        E::AuthorizationDetails => browser::authorization_details(cx, req, m).await,
        E::Consent => browser::consent(cx, req, m).await,
        E::PasswordExpired => signin::new_password(cx, req, m).await,
        E::SignUp => account::sign_up(cx, req, m).await,
        E::VerifyEmail => account::verify_email(cx, req, m).await,
        E::ResendVerification => account::resend_verification(cx, req, m).await,
        E::PasswordReset => account::password_reset(cx, req, m).await,
        E::PasswordResetComplete => account::password_reset_complete(cx, req, m).await,
        E::PasswordResetReview => account::password_reset_review(cx, req, m).await,
        E::ValidatePassword => account::validate_password(cx, req, m).await,
        E::Account => account::account(cx, req, m).await,
        E::UpdateAccount => account::update_account(cx, req, m).await,
        E::AccountPassword => account::change_password(cx, req, m).await,
        E::AccountConfirm => account::confirm_identity(cx, req, m).await,
        E::AccountSessions => account::sessions(cx, req, m).await,
        E::AccountSession => account::end_session(cx, req, m).await,
        E::AccountConsents => account::consents(cx, req, m).await,
        E::AccountConsent => account::revoke_consent(cx, req, m).await,
        E::DeviceLookup => account::device_lookup(cx, req, m).await,
        E::DeviceDecision => account::device_decision(cx, req, m).await,
        E::Mfa => mfa::status(cx, req, m).await,
        E::MfaVerify => signin::code(cx, req, m).await,
        E::MfaTotp => mfa::begin_totp(cx, req, m).await,
        E::MfaTotpConfirm => mfa::confirm_totp(cx, req, m).await,
        E::MfaDisable => mfa::disable(cx, req, m).await,
        E::MfaBackupCodes => mfa::backup_codes(cx, req, m).await,
        E::SocialStart => federation::social_start(cx, req, m).await,
        E::SocialCallback => federation::social_callback(cx, req, m).await,
        E::SocialUnlink => federation::unlink(cx, req, m).await,
        E::SocialLink => federation::link(cx, req, m).await,
        E::Providers => federation::providers(cx, req, m).await,
        E::AccountIdentities => federation::linked(cx, req, m).await,
        E::Passkeys => passkeys::list(cx, req, m).await,
        E::RegisterPasskey => passkeys::register(cx, req, m).await,
        E::Passkey => passkeys::remove(cx, req, m).await,
        E::PasskeyRegisterOptions => passkeys::register_options(cx, req, m).await,
        E::PasskeySignInOptions => passkeys::sign_in_options(cx, req, m).await,
        E::PasskeySignIn => signin::passkey(cx, req, m).await,
        E::Outbox => admin::outbox(cx, req, m).await,
        E::Deliveries => deliveries::list(cx, req, m).await,
        E::RetryDelivery => deliveries::retry(cx, req, m).await,
        E::MailTest => deliveries::test_mail(cx, req, m).await,
        E::MailTemplates => mail_templates::list(cx, req, m).await,
        E::SaveMailTemplate => mail_templates::save(cx, req, m).await,
        E::ResetMailTemplate => mail_templates::reset(cx, req, m).await,
        E::PreviewMailTemplate => mail_templates::preview(cx, req, m).await,
        E::Keys => admin::keys(cx, req, m).await,
        E::KeyRotation => admin::rotate_keys(cx, req, m).await,
        E::Register => clients::register(cx, req, m).await,
        E::RegisteredClient => clients::read(cx, req, m).await,
        E::UpdateClient => clients::update(cx, req, m).await,
        E::DeleteClient => clients::delete(cx, req, m).await,
        E::RenewSecret => clients::renew_secret(cx, req, m).await,
        E::Secrets => clients::add_secret(cx, req, m).await,
        E::Secret => clients::remove_secret(cx, req, m).await,
        E::Clients => clients::list(cx, req, m).await,
        E::RevokeTokens => clients::revoke_tokens(cx, req, m).await,
        E::Users => users::list(cx, req, m).await,
        E::CreateUser => users::create(cx, req, m).await,
        E::User => users::get(cx, req, m).await,
        E::UpdateUser => users::update(cx, req, m).await,
        E::DeleteUser => users::delete(cx, req, m).await,
        E::UnlockUser => users::unlock(cx, req, m).await,
        E::UserPasswordReset => users::send_password_reset(cx, req, m).await,
        E::UserSessions => users::sessions(cx, req, m).await,
        E::EndUserSessions => users::end_sessions(cx, req, m).await,
        E::UserPasswordStatus => users::password_status(cx, req, m).await,
        E::UserConsents => users::consents(cx, req, m).await,
        E::UserConsent => users::revoke_consent(cx, req, m).await,
        E::UserMfa => users::reset_mfa(cx, req, m).await,
        E::UserIdentities => users::identities(cx, req, m).await,
        E::UserProviderTokens => users::provider_tokens(cx, req, m).await,
        E::Resources => resources::list(cx, req, m).await,
        E::CreateResource => resources::create(cx, req, m).await,
        E::Resource => resources::get(cx, req, m).await,
        E::UpdateResource => resources::update(cx, req, m).await,
        E::DeleteResource => resources::delete(cx, req, m).await,
        E::Scopes => scopes::list(cx, req, m).await,
        E::CreateScope => scopes::create(cx, req, m).await,
        E::Scope => scopes::get(cx, req, m).await,
        E::UpdateScope => scopes::update(cx, req, m).await,
        E::DeleteScope => scopes::delete(cx, req, m).await,
        E::Sessions => sessions::list(cx, req, m).await,
        E::EndSessions => sessions::end_many(cx, req, m).await,
        E::AdminSession => sessions::end(cx, req, m).await,
        E::SessionMetrics => sessions::metrics(cx, req, m).await,
        E::Settings => settings::list(cx, req, m).await,
        E::UpdateSettings => settings::update(cx, req, m).await,
        E::AuditLogs => audit::list(cx, req, m).await,
        E::AuditLog => audit::get(cx, req, m).await,
        E::AuditLogExport => audit::export(cx, req, m).await,
        E::SignInMetrics => audit::sign_in_metrics(cx, req, m).await,
    }
}
