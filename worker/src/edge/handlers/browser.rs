//! The browser half of sign-in: `/authorize` and `/authorize/resume` (redirects between
//! the app, the SPA's screens and back), RP-Initiated Logout, and the JSON calls those
//! screens make (`/api/session`, `/api/authorize`, `/api/consent`). The engine decides;
//! this module reads cookies and bodies and writes redirects, pages and cookies.

use shared::codes;
use shared::i18n::Locale;
use shared::paths;
use shared::session::{AuthorizationDetails, ConsentDecision, NextLocation, ResourceInfo, SessionInfo, SessionUser};
use worker::{Method, Request, Response};

use crate::edge::adapters::webcrypto::WebCryptoSigner;
use crate::edge::context::Cx;
use crate::edge::pages;
use crate::edge::request::{
    check_csrf, cookie, csrf_token, current, query_string, read_form, read_json, set_cookie, signed_in,
    with_csrf_cookie,
};
use crate::edge::respond::{self, redirect};
use crate::engine::clients::metadata_document;
use crate::engine::clients::{Client, ClientStore};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::csrf::{self, CSRF_COOKIE};
use crate::engine::identity::sessions::{self, SESSION_COOKIE};
use crate::engine::identity::users::User;
use crate::engine::oauth::authorize::issue::{prepare_code, Issuer, PreparedCode};
use crate::engine::oauth::authorize::{
    decide, open_request, pushed, request, seal_request, AuthorizationRequest, AuthorizationResponse, AuthorizeError,
    Next, ResponseMode, Situation,
};
use crate::engine::oauth::codes::CodeStore;
use crate::engine::oauth::consent::{merged, Consent, ConsentStore};
use crate::engine::oauth::logout;
use crate::engine::oauth::resources;
use crate::engine::oauth::scope::{describe_scopes, ScopeStore};
use crate::engine::oauth::store::user_consent_and_code;
use crate::engine::oauth::token::TokenLookups;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, ErrorResponse, InternalError};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::ports::{SystemRandom, UnixTime};
use crate::engine::tables;
use crate::routes::Matched;

/// An authorization response in its mode: a redirect for query and fragment, the
/// auto-submitting page for form_post.
fn deliver(response: &AuthorizationResponse) -> Response {
    match response.mode {
        ResponseMode::FormPost => pages::form_post(response),
        _ => redirect(&response.location()),
    }
}

fn render_error(config: &Config, locale: Locale, error: &AuthorizeError) -> Response {
    if let Some(detail) = error.log_detail() {
        log::error!("authorize: {detail}");
    }
    match error.response(config) {
        Some(response) => deliver(&response),
        None => {
            pages::error_page(config, locale, error.status(), error.code(), &error.description().unwrap_or_default())
        }
    }
}

/// The parameters of a browser endpoint: the form body of a POST, else the query
/// string; each parameter once (RFC 6749 §3.1). Errors are for the error page.
async fn browser_params(req: &mut Request) -> Result<Form, AuthorizeError> {
    if req.method() == Method::Post {
        return read_form(req)
            .await
            .map_err(|e| AuthorizeError::page("invalid_request", &e.description().unwrap_or_default()));
    }
    Form::parse(query_string(req).as_bytes()).map_err(|e| AuthorizeError::page("invalid_request", &e.describe()))
}

/// `GET|POST /authorize` (RFC 6749 §3.1: GET must work, POST may).
pub async fn authorize(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, store) = (cx.config, &cx.store);
    let locale = pages::locale_of(&req, config);
    let params = browser_params(&mut req).await;
    let result = async {
        let params = params?;
        cx.ensure_bootstrap().await?;
        // A pushed request (RFC 9126 §4) or a request object (RFC 9101 §5) brings its own.
        let (params, via) = pushed::resolve(&cx.request_context(), params).await?;
        // The client and the resources the request names (D1, one batch) and the browser's
        // session (KV) at once: one round trip, not two. A malformed `resource` is judged
        // by parse(), after the client and its redirect URI.
        let named = resources::requested(&params).unwrap_or_default();
        let session_hash = cookie(&req, config, SESSION_COOKIE).map(|value| hash_token(&value));
        if let (Some(client_id), Some(hash)) = (params.get("client_id"), session_hash.as_deref()) {
            return super::returning::authorize(cx, &req, &params, via, (client_id, &named), hash).await;
        }
        let client = async {
            match params.get("client_id") {
                Some(id) => {
                    let (client, known) = store.client_and_resources(id, &named).await?;
                    Ok::<_, AuthorizeError>((client.map(|(client, _)| client), known))
                }
                None => Ok((None, Vec::new())),
            }
        };
        let (client, session) = futures_util::future::join(client, browser_session(cx, &req)).await;
        let (client, known) = client?;
        let client = with_document(cx, client, params.get("client_id")).await?;
        let request = request::parse(&params, client.as_ref(), &known, config, cx.now_ms, via)?;
        // parse() verified the client, so it is there; it is read once per request.
        let Some(client) = client else {
            return Err(AuthorizeError::page("invalid_client", "the client is not registered with this server"));
        };
        let pending = Pending { client: &client, request, account_selected: false, session: session? };
        proceed(cx, pending).await
    }
    .await;
    Ok(result.unwrap_or_else(|e| render_error(config, locale, &e)))
}

/// `GET /authorize/resume?request=...`: where the sign-in and consent screens send the
/// browser back to; `account=current` is the select-account screen's answer.
pub async fn resume(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, store, now) = (cx.config, &cx.store, cx.now);
    let locale = pages::locale_of(&req, config);
    let result = async {
        let params = Form::parse(query_string(&req).as_bytes())
            .map_err(|e| AuthorizeError::page("invalid_request", &e.describe()))?;
        let sealed = params
            .get("request")
            .ok_or_else(|| AuthorizeError::page("invalid_request", "the request parameter is missing"))?;
        let request = open_request(config, sealed, now)?;
        // The client (with the request's resources) and the session at once (one round trip).
        let (client, session) = futures_util::future::join(
            store.client_and_resources(&request.client_id, &request.resources),
            browser_session(cx, &req),
        )
        .await;
        // The client may have been deleted while the person was signing in.
        let (client, known) = client?;
        let Some(client) = with_document(cx, client.map(|(c, _)| c), Some(&request.client_id)).await? else {
            return Err(AuthorizeError::page("invalid_client", "the client is no longer registered"));
        };
        // ...or changed: the request must still be one /authorize would accept now.
        request.recheck(&client, &known, config, now)?;
        let account_selected = params.get("account") == Some("current");
        proceed(cx, Pending { client: &client, request, account_selected, session: session? }).await
    }
    .await;
    Ok(result.unwrap_or_else(|e| render_error(config, locale, &e)))
}

/// `found` (from the `clients` table), or for a client_id that is a metadata document's
/// URL the client the document describes (`engine::clients::metadata_document`); a
/// document that cannot be used is an error page saying why.
pub(super) async fn with_document(
    cx: &Cx<'_>,
    found: Option<Client>,
    client_id: Option<&str>,
) -> Result<Option<Client>, AuthorizeError> {
    let Some(id) = client_id else { return Ok(found) };
    match metadata_document::client_or_document(&cx.request_context(), found, id).await? {
        Ok(client) => Ok(client),
        Err(why) => Err(AuthorizeError::page(
            "invalid_client",
            &format!("the client's metadata document cannot be used: {why}"),
        )),
    }
}

/// A verified request, its client, whether the person picked an account for it, and the
/// browser's session (from KV; not yet confirmed by D1).
struct Pending<'a> {
    client: &'a Client,
    request: AuthorizationRequest,
    account_selected: bool,
    session: Option<sessions::Session>,
}

/// The browser's session from KV, if its cookie names one.
pub(super) async fn browser_session(cx: &Cx<'_>, req: &Request) -> Result<Option<sessions::Session>, AuthorizeError> {
    match cookie(req, cx.config, SESSION_COOKIE) {
        Some(value) => Ok(sessions::load(&cx.kv, &cx.store, cx.config, &value, cx.now).await?),
        None => Ok(None),
    }
}

/// Decides the next step for a verified request and takes it.
async fn proceed(cx: &Cx<'_>, pending: Pending<'_>) -> Result<Response, AuthorizeError> {
    let (config, store, now) = (cx.config, &cx.store, cx.now);
    let Pending { client, request, account_selected, session } = pending;
    // The session's user and their consent to this client in one D1 batch, with the
    // code when only those can still stop it (issue::prepare_code): two sequential round
    // trips for a returning person, not three.
    let prepared = match &session {
        Some(session) => prepare_code(config, &request, client, session, account_selected, &SystemRandom, now)?,
        None => None,
    };
    let (signed_in, consent) = match session {
        Some(session) => {
            match user_consent_and_code(store, &session, &client.client_id, prepared.as_ref().map(|p| &p.row)).await? {
                (Some(user), consent) if user.active => (Some((session, user)), consent),
                _ => (None, None),
            }
        }
        None => (None, None),
    };
    answer(cx, client, request, account_selected, signed_in, consent, prepared).await
}

/// The answer to a verified request once the session's user and consent are read, with
/// the code already stored for it, if one was.
pub(super) async fn answer(
    cx: &Cx<'_>,
    client: &Client,
    request: AuthorizationRequest,
    account_selected: bool,
    signed_in: Option<(sessions::Session, User)>,
    consent: Option<Consent>,
    prepared: Option<PreparedCode>,
) -> Result<Response, AuthorizeError> {
    let (config, store, now) = (cx.config, &cx.store, cx.now);
    let next = decide(&request, &situation_of(&signed_in, consent.as_ref(), client, account_selected), now);
    // A prepared code that is not handed out now is removed (nobody has seen it; it
    // could not be redeemed anyway, but it should not linger either).
    let prepared = match (prepared, &next, &signed_in) {
        (Some(prepared), Ok(Next::Issue), Some(_)) => Some(prepared),
        (Some(prepared), _, _) => {
            store.discard_code(&prepared.row.code_hash).await?;
            None
        }
        (None, _, _) => None,
    };
    let screen = |path: &str, request: &AuthorizationRequest| -> Result<Response, AuthorizeError> {
        let sealed = seal_request(config, request, &SystemRandom)?;
        Ok(redirect(&format!("{path}?request={sealed}")))
    };
    match next? {
        Next::SignIn | Next::SelectAccount => screen("/signin", &request),
        Next::SecondFactor => screen(paths::MFA_PAGE, &request),
        Next::Consent => screen("/consent", &request),
        Next::Issue => {
            let Some((session, user)) = &signed_in else {
                return Err(AuthorizeError::Internal(InternalError::new("issue without a session")));
            };
            let issuer = Issuer { rc: cx.request_context() };
            let response = issuer.issue(&request, client, user, session, prepared).await?;
            Ok(deliver(&response))
        }
    }
}

fn situation_of<'a>(
    signed_in: &'a Option<(sessions::Session, User)>,
    consent: Option<&'a Consent>,
    client: &Client,
    account_selected: bool,
) -> Situation<'a> {
    Situation {
        session: signed_in.as_ref().map(|(s, _)| s),
        consent,
        first_party: client.first_party,
        account_selected,
    }
}

// ---- the JSON calls of the sign-in and consent screens ----

fn session_user(user: &User) -> SessionUser {
    SessionUser { id: user.id.clone(), email: user.email.clone(), name: user.name.clone() }
}

/// `GET /api/session`: who is signed in here, and the CSRF token.
pub async fn session_info(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    let signed_in = current(&req, cx).await?;
    let (token, fresh) = csrf_token(&req, config)?;
    let body =
        SessionInfo { csrf_token: token.clone(), user: signed_in.map(|(_, user)| session_user(&user)), step: None };
    Ok(with_csrf_cookie(respond::json(200, &body), config, &token, fresh))
}

/// `DELETE /api/session`: sign out of this browser.
pub async fn sign_out(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, store, kv, now) = (cx.config, &cx.store, &cx.kv, cx.now);
    check_csrf(&req, config)?;
    if let Some(value) = cookie(&req, config, SESSION_COOKIE) {
        if let Some(session) = sessions::load(kv, store, config, &value, now).await? {
            sessions::end(kv, store, config, &session, now).await?;
            let event = AuditEvent::new("user.logout", &cx.meta, now, &SystemRandom)?.actor("user", &session.user_id);
            store.record(&event).await?;
        }
    }
    let mut response = respond::empty(204);
    set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
    Ok(response)
}

fn sealed_param(req: &Request) -> Result<String, ApiError> {
    let params = Form::parse(query_string(req).as_bytes())
        .map_err(|e| ApiError::bad_request(codes::INVALID_REQUEST, e.describe()))?;
    params
        .get("request")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request("invalid_request", "the request parameter is missing"))
}

fn open_for_api(config: &Config, sealed: &str, now: UnixTime) -> Result<AuthorizationRequest, ApiError> {
    open_request(config, sealed, now)
        .map_err(|e| ApiError::bad_request("invalid_request", e.description().unwrap_or_default()))
}

async fn client_of(cx: &Cx<'_>, request: &AuthorizationRequest) -> Result<Client, ApiError> {
    let found = cx.store.client_with_secrets(&request.client_id).await?.map(|(client, _)| client);
    match metadata_document::client_or_document(&cx.request_context(), found, &request.client_id).await? {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(ApiError::bad_request("invalid_client", "the client is no longer registered")),
        Err(why) => Err(ApiError::bad_request(
            "invalid_client",
            format!("the client's metadata document cannot be used: {why}"),
        )),
    }
}

/// `GET /api/authorize?request=...`: what the screens show about a pending request.
pub async fn authorization_details(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let store = &cx.store;
    let sealed = sealed_param(&req)?;
    let request = open_for_api(cx.config, &sealed, cx.now)?;
    let client = client_of(cx, &request).await?;
    let described = store.scope_descriptions().await?;
    let scopes = describe_scopes(request.scope.iter().map(String::as_str), &described);
    let resources = if request.resources.is_empty() {
        Vec::new()
    } else {
        let rows = store.select(tables::resources::names(&request.resources)).await?;
        rows.into_iter()
            .map(|r| crate::engine::platform::json::row::<ResourceInfo>(r, "resource"))
            .collect::<Result<Vec<_>, _>>()?
    };
    let body = AuthorizationDetails {
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        logo_uri: client.logo_uri.clone(),
        tos_uri: client.tos_uri.clone(),
        policy_uri: client.policy_uri.clone(),
        scopes,
        login_hint: request.login_hint.clone(),
        ui_locales: request.ui_locales.clone(),
        select_account: request.prompt.select_account,
        continue_url: format!("{}?request={sealed}", paths::AUTHORIZE_RESUME),
        resources,
        self_registered: client.self_registered,
        document_host: metadata_document::is_document_id(cx.config, &client.client_id)
            .then(|| url::Url::parse(&client.client_id).ok().and_then(|u| u.host_str().map(str::to_owned)))
            .flatten(),
        localhost_only: !client.redirect_uris.is_empty()
            && client.redirect_uris.iter().all(|u| {
                url::Url::parse(u).is_ok_and(|u| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")))
            }),
        redirect_host: client
            .self_registered
            .then(|| url::Url::parse(&request.redirect_uri).ok().and_then(|u| u.host_str().map(str::to_owned)))
            .flatten(),
    };
    Ok(respond::json(200, &body))
}

/// `POST /api/consent`: Allow records the consent (`consent.granted`); Deny sends the
/// app `access_denied`. Either way the browser goes back through `/authorize/resume`.
pub async fn consent(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, store, now, meta) = (cx.config, &cx.store, cx.now, &cx.meta);
    check_csrf(&req, config)?;
    let decision: ConsentDecision = read_json(&mut req).await?;
    let mut request = open_for_api(config, &decision.request, now)?;
    let (_, user) = signed_in(&req, cx, "Your session has ended; sign in again.").await?;
    let client = client_of(cx, &request).await?;
    let location = if decision.allow {
        let existing = store.consent(&user.id, &client.client_id).await?;
        let scopes = merged(existing.as_ref(), &request.scope);
        store.save_consent(&user.id, &client.client_id, &scopes, now).await?;
        let event = AuditEvent::new("consent.granted", meta, now, &SystemRandom)?
            .actor("user", &user.id)
            .resource("client", &client.client_id)
            .metadata(serde_json::json!({ "scopes": request.scope }));
        store.record(&event).await?;
        request.consented_by = Some(user.id.clone());
        format!("{}?request={}", paths::AUTHORIZE_RESUME, seal_request(config, &request, &SystemRandom)?)
    } else {
        let event = AuditEvent::new("consent.denied", meta, now, &SystemRandom)?
            .actor("user", &user.id)
            .resource("client", &client.client_id);
        store.record(&event).await?;
        request.denied = true;
        format!("{}?request={}", paths::AUTHORIZE_RESUME, seal_request(config, &request, &SystemRandom)?)
    };
    Ok(respond::json(200, &NextLocation { location }))
}

/// `GET|POST /logout` (OIDC RP-Initiated Logout 1.0).
pub async fn logout(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, store, kv, now) = (cx.config, &cx.store, &cx.kv, cx.now);
    let locale = pages::locale_of(&req, config);
    let post = req.method() == Method::Post;
    let params = browser_params(&mut req).await;
    let result = async {
        let params = params?;
        let verifier = &cx.verifier;
        let lookup = |id: String| async move { Ok(store.client_with_secrets(&id).await?.map(|(client, _)| client)) };
        let request = logout::parse(&params, config, &WebCryptoSigner, verifier, lookup).await?;
        let signed_in = current(&req, cx).await?;
        let (token, fresh) = csrf_token(&req, config)?;
        let session_cookie = cookie(&req, config, SESSION_COOKIE);
        let confirmed = post
            && params.get("confirm") == Some("yes")
            && csrf::valid(
                &config.secret_key,
                session_cookie.as_deref(),
                cookie(&req, config, CSRF_COOKIE).as_deref(),
                params.get("csrf_token"),
            );
        if let Some((_, user)) = &signed_in {
            if logout::needs_confirmation(&request, Some(&user.id)) && !confirmed {
                let mut hidden: Vec<(String, String)> =
                    ["client_id", "post_logout_redirect_uri", "state", "id_token_hint"]
                        .iter()
                        .filter_map(|k| params.get(k).map(|v| ((*k).to_owned(), v.to_owned())))
                        .collect();
                hidden.push(("confirm".into(), "yes".into()));
                hidden.push(("csrf_token".into(), token.clone()));
                let page =
                    pages::logout_confirmation(config, locale, &user.email, &hidden, &request.destination(config));
                return Ok(with_csrf_cookie(page, config, &token, fresh));
            }
        }
        if let Some((session, user)) = &signed_in {
            sessions::end(kv, store, config, session, now).await?;
            let mut event = AuditEvent::new("user.logout", &cx.meta, now, &SystemRandom)?.actor("user", &user.id);
            if let Some(client_id) = &request.client_id {
                event = event.resource("client", client_id);
            }
            store.record(&event).await?;
        }
        let mut response = redirect(&request.destination(config));
        set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
        Ok::<Response, AuthorizeError>(response)
    }
    .await;
    Ok(result.unwrap_or_else(|e| render_error(config, locale, &e)))
}
