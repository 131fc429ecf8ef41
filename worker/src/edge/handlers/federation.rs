//! Sign-in with other identity providers (docs/api.md, "Endpoints"): the start, the
//! provider's callback, unlinking, and the account page's list. The engine decides
//! (`engine::federation`, `identity::signin`); this module
//! reads and writes the flow cookie, the session cookies and the redirects.

use serde_json::json;
use shared::admin::ProviderSummary;
use shared::mfa::SignInStep;
use shared::paths;
use worker::{Method, Request, Response};

use crate::edge::adapters::http::FetchHttp;
use crate::edge::adapters::webcrypto::WebCryptoSigner;
use crate::edge::context::{Cx, WorkerPlatform};
use crate::edge::pages;
use crate::edge::request::{check_csrf, cookie, query_string, read_form, set_cookie, set_cross_site_cookie, signed_in};
use crate::edge::respond::{self, redirect};
use crate::engine::federation::flow::{self, Flow, FLOW_COOKIE, FLOW_SECONDS};
use crate::engine::federation::identities::{Federation, Resolution};
use crate::engine::federation::protocols::Callback;
use crate::engine::identity::mail::MethodChange;
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::identity::signin::pending::{CHALLENGE_COOKIE, CHALLENGE_SECONDS};
use crate::engine::identity::signin::{Proof, SignInOutcome};
use crate::engine::identity::users::UserStore;
use crate::engine::platform::config::providers::ProviderConfig;
use crate::engine::platform::error::{ApiError, ErrorResponse};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SystemRandom;
use crate::routes::Matched;

fn federation<'a>(cx: &'a Cx<'a>) -> Federation<'a, WorkerPlatform> {
    Federation { rc: cx.request_context() }
}

fn page_error(cx: &Cx<'_>, locale: shared::i18n::Locale, error: &ApiError) -> Response {
    if let ApiError::Internal(e) = error {
        log::error!("social sign-in: {e}");
    }
    let description = error.description().unwrap_or_else(|| "The sign-in could not be completed.".into());
    pages::error_page(cx.config, locale, error.status(), error.code(), &description)
}

/// Where a sign-in goes on after a step: the step's page carrying the request (or the
/// destination), else the destination (as the SPA's `steps::after`).
fn continue_to(forward: &str, step: Option<SignInStep>) -> String {
    let carry = match forward.strip_prefix(&format!("{}?request=", paths::AUTHORIZE_RESUME)) {
        Some(rest) => format!("request={}", rest.split('&').next().unwrap_or_default()),
        None => format!("next={}", url::form_urlencoded::byte_serialize(forward.as_bytes()).collect::<String>()),
    };
    match step {
        Some(SignInStep::Verify) => format!("{}?{carry}", paths::MFA_PAGE),
        Some(SignInStep::Enrol | SignInStep::EnrolSoon) => format!("{}?{carry}", paths::MFA_SETUP_PAGE),
        Some(SignInStep::ChangePassword) => format!("{}?{carry}", paths::PASSWORD_PAGE),
        Some(SignInStep::ChangePasswordSoon) => format!("{}?{carry}&soon=1", paths::PASSWORD_PAGE),
        None => forward.to_owned(),
    }
}

/// `GET /auth/{provider}`: on to the provider (errors are pages: a person is looking).
pub async fn social_start(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let locale = pages::locale_of(&req, cx.config);
    Ok(start(cx, &req, m.param(0)).await.unwrap_or_else(|e| page_error(cx, locale, &e)))
}

/// `GET|POST /auth/{provider}/callback`: the provider's answer (errors are pages).
pub async fn social_callback(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let locale = pages::locale_of(&req, cx.config);
    Ok(callback(cx, req, m.param(0)).await.unwrap_or_else(|e| page_error(cx, locale, &e)))
}

const SIGNED_OUT: &str = "Sign in to change your linked accounts.";

/// `POST /auth/{provider}/unlink`: never the account's last way to sign in; a recent
/// sign-in first, and the owner is told (docs/security.md, "Changing how one signs in").
pub async fn unlink(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let name = m.param(0);
    check_csrf(&req, cx.config)?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let accounts = cx.accounts();
    accounts.require_recent_sign_in(&session, &user).await?;
    federation(cx).unlink(&user.id, name).await?;
    accounts.factor_removed(&session, &user, MethodChange::ProviderUnlinked { provider: name.to_string() }).await?;
    let message = format!("{name} account unlinked successfully");
    Ok(respond::json(200, &json!({ "success": true, "message": message })))
}

/// `POST /auth/{provider}/link`: linking starts from the account page with its CSRF token
/// and a recent sign-in (a cross-site `GET` cannot start it); the answer names the
/// provider's URL, where the page goes on.
pub async fn link(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    cx.accounts().require_recent_sign_in(&session, &user).await?;
    let provider = flow::provider(cx.config, m.param(0))?;
    let (to, sealed) =
        flow::start(cx.config, &FetchHttp, &SystemRandom, provider, "/account".into(), Some(user.id), cx.now).await?;
    let mut response = respond::json(200, &json!({ "location": to }));
    set_flow_cookie(cx, &mut response, provider, &sealed);
    Ok(response)
}

fn set_flow_cookie(cx: &Cx<'_>, response: &mut Response, provider: &ProviderConfig, sealed: &str) {
    if flow::answers_by_form_post(provider) {
        set_cross_site_cookie(response, cx.config, FLOW_COOKIE, sealed, Some(FLOW_SECONDS));
    } else {
        set_cookie(response, cx.config, FLOW_COOKIE, sealed, Some(FLOW_SECONDS));
    }
}

async fn start(cx: &Cx<'_>, req: &Request, name: &str) -> Result<Response, ApiError> {
    let config = cx.config;
    let provider = flow::provider(config, name)?;
    let params = Form::parse(query_string(req).as_bytes())
        .map_err(|e| ApiError::bad_request("invalid_request", e.describe()))?;
    let forward = flow::forward_target(config, params.get("forward_url"))?;
    if params.get("link").is_some() {
        // A cross-site page could otherwise link the visitor's account to its own
        // provider identity: linking is `POST /auth/{provider}/link` from the account page.
        return Err(ApiError::bad_request("invalid_request", "Link another account from your account page."));
    }
    let (location, sealed) = flow::start(config, &FetchHttp, &SystemRandom, provider, forward, None, cx.now).await?;
    let mut response = redirect(&location);
    set_flow_cookie(cx, &mut response, provider, &sealed);
    Ok(response)
}

/// The callback's parameters: the query, or the form body of a `form_post` answer (OAuth
/// 2.0 Form Post Response Mode §2), whose integrity `state` and the flow cookie protect.
async fn answer_parameters(req: &mut Request) -> Result<Form, ApiError> {
    if req.method() == Method::Post {
        return read_form(req).await.map_err(|e| {
            ApiError::bad_request("invalid_request", e.description().unwrap_or_else(|| "unreadable form".into()))
        });
    }
    Form::parse(query_string(req).as_bytes()).map_err(|e| ApiError::bad_request("invalid_request", e.describe()))
}

async fn callback(cx: &Cx<'_>, mut req: Request, name: &str) -> Result<Response, ApiError> {
    let config = cx.config;
    let fed = federation(cx);
    let params = answer_parameters(&mut req).await?;
    let req = &req;
    let Some(flow) =
        cookie(req, config, FLOW_COOKIE).and_then(|v| Flow::open(config, &v, cx.now)).filter(|f| f.provider == name)
    else {
        // Not audited: without this browser's flow it is no sign-in attempt, and anyone could
        // write audit rows by calling this URL.
        return Err(ApiError::bad_request(
            "social_login_failed",
            "This sign-in expired or began in another browser. Start again.",
        ));
    };
    let outcome = async {
        if let Some(error) = params.get("error") {
            // An RFC 6749 §4.1.2.1 code is shown; other text from the URL is not echoed.
            let code = Some(error).filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            let said = code.map_or_else(|| "an error".to_owned(), |c| format!("`{c}`"));
            return Err(ApiError::bad_request("social_login_failed", format!("The provider answered {said}.")));
        }
        let (Some(code), Some(state)) = (params.get("code"), params.get("state")) else {
            return Err(ApiError::bad_request("social_login_failed", "The provider's answer has no code or state."));
        };
        let callback = Callback { code, user: params.get("user") };
        let answer = flow::finish(config, &FetchHttp, &WebCryptoSigner, &flow, &callback, state, cx.now).await?;
        fed.resolve(name, &answer, flow.link_user.as_deref()).await
    }
    .await;
    let resolution = match outcome {
        Ok(resolution) => resolution,
        Err(e) => return Err(fed.failed(name, e).await),
    };
    let mut response = match resolution {
        Resolution::Linked => {
            // A new way to sign in: its owner is told (docs/security.md).
            if let Some(user) = cx.store.user_by_id(flow.link_user.as_deref().unwrap_or_default()).await? {
                let change = MethodChange::ProviderLinked { provider: name.to_string() };
                cx.accounts().notify_sign_in_method(&user, change).await?;
            }
            redirect(&flow.forward)
        }
        Resolution::SignIn(user) => {
            let previous = cookie(req, config, SESSION_COOKIE);
            match cx.accounts().advance(None, Proof::Federated { user, provider: name }, previous.as_deref()).await? {
                SignInOutcome::SignedIn(done, step) => {
                    let mut response = redirect(&continue_to(&flow.forward, step));
                    set_cookie(
                        &mut response,
                        config,
                        SESSION_COOKIE,
                        &done.cookie,
                        Some(done.session.expires_at - cx.now),
                    );
                    set_cookie(&mut response, config, CHALLENGE_COOKIE, "", Some(0));
                    response
                }
                SignInOutcome::SecondStep { step, challenge } => {
                    let mut response = redirect(&continue_to(&flow.forward, Some(step)));
                    set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
                    set_cookie(&mut response, config, CHALLENGE_COOKIE, &challenge, Some(CHALLENGE_SECONDS));
                    response
                }
            }
        }
    };
    // The flow is spent: a replayed callback finds no cookie.
    let spent = flow::provider(config, name).is_ok_and(flow::answers_by_form_post);
    if spent {
        set_cross_site_cookie(&mut response, config, FLOW_COOKIE, "", Some(0));
    } else {
        set_cookie(&mut response, config, FLOW_COOKIE, "", Some(0));
    }
    Ok(response)
}

/// `GET /api/account/identities`: the provider identities linked to this account.
pub async fn linked(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (_, user) = signed_in(&req, cx, "Sign in to see your linked accounts.").await?;
    Ok(respond::set_no_store(respond::json(200, &federation(cx).linked(&user.id).await?)))
}

/// `GET /api/providers` (admin): each configured provider and how many accounts use it.
pub async fn providers(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    if let Err(refused) = cx.admin(&req).await {
        return Ok(refused);
    }
    let counts = federation(cx).counts().await?;
    let list: Vec<ProviderSummary> = cx
        .config
        .providers
        .iter()
        .map(|p| ProviderSummary {
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            protocol: p.protocol_name().into(),
            location: p.location().into(),
            preset: p.preset,
            users: counts.get(&p.name).copied().unwrap_or(0),
        })
        .collect();
    Ok(respond::set_no_store(respond::json(200, &json!({ "data": list }))))
}
