//! The two pages the worker renders itself rather than the SPA: the authorization error
//! page (shown when nothing may be redirected, RFC 6749 §4.1.2.1) and the form_post
//! response (OAuth 2.0 Form Post Response Mode §2). Both are complete without JavaScript
//! from the SPA, and every value in them is HTML-escaped.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use worker::Response;

use crate::edge::respond;
use crate::engine::oauth::authorize::AuthorizationResponse;
use crate::engine::platform::config::Config;

fn escape(text: &str) -> String {
    crate::engine::identity::mail::escape_html(text)
}

fn html(status: u16, body: String) -> Response {
    let mut response = Response::from_bytes(body.into_bytes())
        .unwrap_or_else(|_| Response::builder().with_status(500).empty())
        .with_status(status);
    respond::set(response.headers_mut(), "Content-Type", "text/html; charset=utf-8");
    respond::set(response.headers_mut(), "Cache-Control", "no-store");
    response
}

/// The error page: the app's link was broken in a way that makes redirecting back unsafe.
pub fn error_page(config: &Config, status: u16, error: &str, description: &str) -> Response {
    let app = escape(&config.branding.app_name);
    let body = format!(
        r#"<!doctype html>
<html lang="en" data-theme="dark"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in error · {app}</title><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="auth-page"><section class="card auth-card" aria-labelledby="error-title">
<h1 class="brand-name">{app}</h1>
<h2 id="error-title">This sign-in link does not work</h2>
<p role="alert">{description}</p>
<p class="muted">Error code: <code>{error}</code>. Go back to the app and start again; if it keeps happening, tell the app's developers.</p>
<a class="btn" href="/">Go to the start page</a>
</section></main></body></html>"#,
        description = escape(description),
        error = escape(error),
    );
    html(status, body)
}

/// The script that submits the form: allowed by its hash in the page's own CSP.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// Form Post Response Mode §2: an HTML page that POSTs the response parameters to the
/// client's redirect URI (no tokens in URLs or history).
pub fn form_post(response: &AuthorizationResponse) -> Response {
    let inputs: String = response
        .params
        .iter()
        .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v)))
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing you in…</title></head>
<body><form method="post" action="{action}">{inputs}<noscript><button type="submit">Continue</button></noscript></form>
<script>{SUBMIT_SCRIPT}</script></body></html>"#,
        action = escape(&response.redirect_uri),
    );
    let hash = STANDARD.encode(Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    let mut page = html(200, body);
    // The page's own policy (respond::finish keeps a CSP the handler set): only that
    // script, and the form may post only to the verified redirect URI.
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        csp_source(&response.redirect_uri)
    );
    respond::set(page.headers_mut(), "Content-Security-Policy", &csp);
    page
}

/// A CSP source expression for a redirect URI: its origin (a full URL with `;` or `,`
/// would break the header; the origin is what form-action needs).
fn csp_source(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => "'none'".into(),
    }
}

/// RP-Initiated Logout §2: the page that asks before signing out when the app gave no
/// valid `id_token_hint`. The form posts back to `/logout` with the original parameters,
/// `confirm=yes` and the browser's CSRF token.
pub fn logout_confirmation(config: &Config, email: &str, hidden: &[(String, String)], destination: &str) -> Response {
    let app = escape(&config.branding.app_name);
    let inputs: String = hidden
        .iter()
        .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v)))
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="en" data-theme="dark"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out · {app}</title><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="auth-page"><section class="card auth-card" aria-labelledby="logout-title">
<h1 class="brand-name">{app}</h1>
<h2 id="logout-title">Sign out?</h2>
<p>You are signed in as <strong>{email}</strong>. Signing out ends your session in this browser.</p>
<form class="stack" method="post" action="/logout">{inputs}
<button type="submit" class="btn btn-primary">Sign out</button>
<a class="btn" href="/">Stay signed in</a>
</form></section></main></body></html>"#,
        email = escape(email),
    );
    let mut page = html(200, body);
    // form-action also governs where the POST's redirect may go (CSP 3): ourselves and
    // the verified post_logout_redirect_uri.
    let csp = format!(
        "default-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; \
form-action 'self' {}; frame-ancestors 'none'",
        csp_source(destination)
    );
    respond::set(page.headers_mut(), "Content-Security-Policy", &csp);
    page
}
