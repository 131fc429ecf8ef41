//! The admin console signs in like every app: authorization
//! code + PKCE (RFC 7636) as the first-party public client `authority-admin`, so admins
//! pass the same `/authorize`, sign-in screen, lockout and audit as everyone else.
//!
//! Tokens are kept in `sessionStorage` (this tab only, gone when it closes) and sent as
//! Bearer tokens; the server never reads them from a cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::oauth::TokenResponse;
use shared::paths;

use ui_components::api::{fetch, navigate};

pub const CLIENT_ID: &str = "authority-admin";
const TOKEN_KEY: &str = "authority.admin.token";
const PKCE_KEY: &str = "authority.admin.pkce";
/// The scope that makes a token an admin token (the server grants it only to admins).
pub const ADMIN_SCOPE: &str = "admin";

/// What the console keeps after signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSession {
    pub access_token: String,
    pub id_token: Option<String>,
    pub scope: String,
    /// Milliseconds since the epoch.
    pub expires_at: u64,
    pub email: Option<String>,
}

impl AdminSession {
    pub fn is_admin(&self) -> bool {
        self.scope.split(' ').any(|s| s == ADMIN_SCOPE)
    }
}

/// The PKCE verifier and state of a sign-in in progress, and where to return.
#[derive(Serialize, Deserialize)]
struct Pending {
    verifier: String,
    state: String,
    return_to: String,
}

fn storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

fn redirect_uri() -> String {
    format!("{}{}", origin(), paths::ADMIN_CALLBACK)
}

/// 256 random bits, base64url (RFC 7636 §4.1 allows 43–128 characters).
fn random_string() -> Option<String> {
    let mut bytes = [0u8; 32];
    window().crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored session, if it has not expired.
pub fn current() -> Option<AdminSession> {
    let json = storage()?.get_item(TOKEN_KEY).ok().flatten()?;
    let session: AdminSession = serde_json::from_str(&json).ok()?;
    (session.expires_at > now_ms()).then_some(session)
}

/// Sends the browser to `/authorize`; it comes back to `/admin/callback`.
pub fn start_sign_in(return_to: &str) {
    let (Some(verifier), Some(state), Some(store)) = (random_string(), random_string(), storage()) else {
        leptos::logging::error!("this browser offers no crypto or sessionStorage");
        return;
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pending = Pending { verifier, state: state.clone(), return_to: return_to.to_owned() };
    if let Ok(json) = serde_json::to_string(&pending) {
        let _ = store.set_item(PKCE_KEY, &json);
    }
    let Ok(params) = web_sys::UrlSearchParams::new() else { return };
    for (k, v) in [
        ("client_id", CLIENT_ID),
        ("redirect_uri", &redirect_uri()),
        ("response_type", "code"),
        ("scope", "openid email profile admin"),
        ("state", &state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ] {
        params.append(k, v);
    }
    navigate(&format!("{}?{}", paths::AUTHORIZE, String::from(params.to_string())));
}

/// The email in an ID token we just received over TLS from our own token endpoint
/// (shown, not trusted for anything).
fn email_of(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("email")?.as_str().map(str::to_owned)
}

/// Exchanges the code (RFC 6749 §4.1.3 with the PKCE verifier) and stores the session.
async fn finish_sign_in(code: String, state: String) -> Result<String, String> {
    let store = storage().ok_or("This browser offers no sessionStorage.")?;
    let pending: Pending = store
        .get_item(PKCE_KEY)
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str(&json).ok())
        .ok_or("This sign-in was not started here; start again.")?;
    let _ = store.remove_item(PKCE_KEY);
    // RFC 6749 §10.12: the state must be the one this tab sent.
    if pending.state != state {
        return Err("The sign-in answer does not belong to this tab; start again.".into());
    }
    let params = web_sys::UrlSearchParams::new().map_err(|_| "The request could not be built.")?;
    for (k, v) in [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", &redirect_uri()),
        ("client_id", CLIENT_ID),
        ("code_verifier", &pending.verifier),
    ] {
        params.append(k, v);
    }
    let form = String::from(params.to_string());
    let reply =
        fetch("POST", paths::TOKEN, &[("Content-Type", "application/x-www-form-urlencoded")], Some(&form)).await?;
    if !reply.ok() {
        let body: shared::api::ErrorBody =
            reply.json().map_err(|_| "The sign-in could not be completed.".to_string())?;
        return Err(body.error_description.unwrap_or(body.error));
    }
    let tokens: TokenResponse = reply.json()?;
    let session = AdminSession {
        email: tokens.id_token.as_deref().and_then(email_of),
        access_token: tokens.access_token,
        id_token: tokens.id_token,
        scope: tokens.scope,
        expires_at: now_ms() + u64::from(tokens.expires_in) * 1000,
    };
    let json = serde_json::to_string(&session).map_err(|e| e.to_string())?;
    store.set_item(TOKEN_KEY, &json).map_err(|_| "The session could not be stored.".to_string())?;
    Ok(pending.return_to)
}

/// Ends the console's session here and the browser session at the server
/// (RP-Initiated Logout, back to the start page).
pub fn sign_out() {
    let hint = current().and_then(|s| s.id_token);
    if let Some(store) = storage() {
        let _ = store.remove_item(TOKEN_KEY);
    }
    let Ok(params) = web_sys::UrlSearchParams::new() else { return };
    params.append("client_id", CLIENT_ID);
    params.append("post_logout_redirect_uri", &format!("{}/", origin()));
    if let Some(hint) = hint {
        params.append("id_token_hint", &hint);
    }
    navigate(&format!("{}?{}", paths::LOGOUT, String::from(params.to_string())));
}

/// `/admin/callback`: where `/authorize` sends the code.
#[component]
pub fn AdminCallback() -> impl IntoView {
    let query = use_query_map();
    let status = RwSignal::new(String::from("Completing sign-in…"));
    let (code, state, error) = query.with_untracked(|q| (q.get("code"), q.get("state"), q.get("error_description")));
    match (code, state) {
        (Some(code), Some(state)) => leptos::task::spawn_local(async move {
            match finish_sign_in(code, state).await {
                Ok(return_to) => navigate(&return_to),
                Err(message) => status.set(message),
            }
        }),
        _ => status.set(error.unwrap_or_else(|| "The sign-in did not return a code.".into())),
    }
    view! {
        <main id="main" class="auth-page">
            <section class="card auth-card">
                <h1>"Admin console"</h1>
                <p role="status">{move || status.get()}</p>
                <a class="btn" href="/admin">"Try again"</a>
            </section>
        </main>
    }
}
