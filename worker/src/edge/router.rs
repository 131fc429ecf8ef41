//! The router: looks the request up in the one route table (`crate::routes`), builds the
//! request context once, and calls the handler the table names. Paths not in the table
//! are pages of the SPA (the assets binding, with SPA fallback) or, under an API prefix,
//! a JSON 404.

use worker::{Env, Method, Request, Response};

use crate::edge::adapters::env;
use crate::edge::context::Cx;
use crate::edge::handlers::{
    account, admin, audit, browser, federation, mfa, ops, passkeys, scopes, sessions, settings, token, users,
};
use crate::edge::respond::{self, Kind};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::routes::{self, Cors, Endpoint as E, Matched};
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
    let path = req.path();
    let method = req.method();
    let config = env::config(env, Some(worker)).await;
    let https = config.as_ref().map(|c| c.is_https()).unwrap_or(false);
    // Cloudflare answers 414 before a Worker sees a longer URL; workerd under `make dev`
    // does not, and a redirect would echo it into a Location header nobody can read.
    if req.inner().url().len() > codes::MAX_URL_BYTES {
        let too_long = ApiError::Request {
            status: 414,
            code: codes::URI_TOO_LONG,
            description: format!("the URL is longer than {} bytes", codes::MAX_URL_BYTES),
        };
        return respond::finish(respond::error(&too_long), Kind::Api, https);
    }
    let page_route = routes::resolve(&path).map_or(!routes::is_api_path(&path), |m| m.route.kind == Kind::Page);
    if let (true, true, Ok(config)) = (page_route, is_read(&method), config.as_ref()) {
        if let Some(target) = canonical_page(&req, config) {
            return respond::finish(respond::redirect(&target), Kind::Page, https);
        }
    }

    let Some(matched) = routes::resolve(&path) else {
        let (response, kind) = if routes::is_api_path(&path) {
            (respond::error(&ApiError::NotFound), Kind::Api)
        } else if is_read(&method) {
            (page(req, env).await, Kind::Page)
        } else {
            (respond::error(&ApiError::MethodNotAllowed { allow: GET_HEAD }), Kind::Page)
        };
        return respond::finish(response, kind, https);
    };
    let route = matched.route;
    if !route.accepts(method.as_ref()) {
        let refused = respond::error(&ApiError::MethodNotAllowed { allow: route.allow });
        return respond::finish(refused, Kind::Api, https);
    }
    let origin = req.headers().get("Origin").ok().flatten();
    if method == Method::Options {
        return respond::finish(respond::preflight(route.allow, origin.as_deref(), route.cors), Kind::Api, https);
    }
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
    let response = match config.server_timing {
        true => respond::with_header(response, "Server-Timing", &cx.trips.header()),
        false => response,
    };
    ops::flush_metrics(env, worker);
    // Client-bound routes set their own CORS headers once they know the client.
    let response = match route.cors {
        Cors::AnyOrigin => respond::with_header(response, "Access-Control-Allow-Origin", "*"),
        Cors::Client | Cors::None => response,
    };
    respond::finish(response, route.kind, https)
}

/// Calls the handler of `matched`'s endpoint (the route table checked path and method).
async fn dispatch(cx: &Cx<'_>, req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let endpoint = matched.route.endpoint;
    match endpoint {
        E::Health => Err(ApiError::Internal(InternalError::new("health is answered before the context"))),
        E::Discovery => ops::discovery(cx).await,
        E::Jwks => ops::jwks(cx).await,
        E::UiConfig => Ok(ops::ui_config(cx)),
        E::Token | E::DeviceAuthorization | E::Introspect | E::Revoke => Ok(token::token(cx, req, endpoint).await),
        E::UserInfo => Ok(token::userinfo(cx, req).await),
        E::Authorize => Ok(browser::authorize(cx, req).await),
        E::AuthorizeResume => Ok(browser::resume(cx, req).await),
        E::Logout => Ok(browser::logout(cx, req).await),
        E::Session => match req.method() {
            Method::Post => browser::sign_in(cx, req).await,
            Method::Delete => browser::sign_out(cx, req).await,
            _ => browser::session_info(cx, req).await,
        },
        E::AuthorizationDetails => browser::authorization_details(cx, req).await,
        E::Consent => browser::consent(cx, req).await,
        E::ValidatePassword => account::validate_password(cx, req).await,
        E::SignUp | E::VerifyEmail | E::ResendVerification | E::PasswordReset | E::PasswordResetComplete => {
            account::anonymous(cx, req, endpoint).await
        }
        E::Account
        | E::AccountPassword
        | E::AccountSessions
        | E::AccountSession
        | E::AccountConsents
        | E::AccountConsent => account::account_page(cx, req, endpoint, matched.param(0)).await,
        E::DeviceLookup | E::DeviceDecision => account::activation(cx, req, endpoint).await,
        E::Mfa | E::MfaVerify | E::MfaTotp | E::MfaTotpConfirm | E::MfaDisable | E::MfaBackupCodes => {
            mfa::second_factor(cx, req, endpoint).await
        }
        E::PasswordExpired => browser::change_expired_password(cx, req).await,
        E::SocialStart | E::SocialCallback | E::SocialUnlink => federation::federation_route(cx, req, matched).await,
        E::Providers => federation::providers(cx, req).await,
        E::AccountIdentities => federation::linked(cx, req).await,
        E::Passkeys | E::Passkey | E::PasskeyRegisterOptions | E::PasskeySignInOptions | E::PasskeySignIn => {
            passkeys::passkeys(cx, req, matched).await
        }
        E::Outbox => admin::outbox(cx, req).await,
        E::Register | E::RegisteredClient | E::RenewSecret | E::Secrets | E::Secret | E::Clients | E::RevokeTokens => {
            admin::clients(cx, req, matched).await
        }
        E::Users
        | E::User
        | E::UnlockUser
        | E::UserPasswordReset
        | E::UserSessions
        | E::UserPasswordStatus
        | E::UserConsents
        | E::UserConsent
        | E::UserMfa
        | E::UserIdentities
        | E::UserProviderTokens => users::users(cx, req, matched).await,
        E::Scopes | E::Scope => scopes::scopes(cx, req, matched).await,
        E::Metrics => ops::prometheus(cx, &req).await,
        E::Keys => admin::keys(cx, req).await,
        E::KeyRotation => admin::rotate_keys(cx, req).await,
        E::OpenApi => ops::openapi(cx.env).await,
        E::Settings => settings::settings(cx, req).await,
        E::Sessions | E::AdminSession | E::SessionMetrics => sessions::sessions(cx, req, matched).await,
        E::AuditLogs | E::AuditLog | E::AuditLogExport | E::SignInMetrics => audit::audit_logs(cx, req, matched).await,
    }
}

/// A page of the SPA: the assets binding answers files, and index.html for any other path
/// (`not_found_handling = "single-page-application"` in wrangler.toml).
async fn page(req: Request, env: &Env) -> Response {
    let assets = match env.assets("ASSETS") {
        Ok(a) => a,
        Err(e) => return respond::error(&ApiError::Internal(InternalError::new(format!("binding ASSETS: {e}")))),
    };
    match assets.fetch_request(req).await {
        Ok(response) => response,
        Err(e) => respond::error(&ApiError::Internal(InternalError::new(format!("assets fetch: {e}")))),
    }
}
