//! The pages the worker renders itself rather than the SPA: the authorization error page
//! (shown when nothing may be redirected, RFC 6749 §4.1.2.1), the sign-out question (RP-
//! Initiated Logout §2) and the form_post response (OAuth 2.0 Form Post Response Mode §2).
//! They are complete without JavaScript from the SPA, the first two in the person's
//! language ([`locale_of`]), and every value in them is HTML-escaped.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use worker::Response;

use crate::edge::respond;
use crate::engine::oauth::authorize::AuthorizationResponse;
use crate::engine::platform::config::Config;
use shared::i18n::{fill, negotiate, Locale, Preferences};

/// The language of a page the worker writes (docs/i18n.md): the browser's
/// `Accept-Language`, else `DEFAULT_LOCALE`.
pub fn locale_of(req: &worker::Request, config: &Config) -> Locale {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    let default = Locale::parse(&config.branding.default_locale).unwrap_or_default();
    negotiate(Preferences { accept_language: accept.as_deref(), ..Preferences::default() }, default)
}

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
/// Its frame is in the person's language (`locale`); the description is the API's, for
/// the app's developers.
pub fn error_page(config: &Config, locale: Locale, status: u16, error: &str, description: &str) -> Response {
    let app = escape(&config.branding.app_name);
    let t = locale.messages();
    let help = fill(&escape(t.error_code_help), &[("code", &format!("<code>{}</code>", escape(error)))]);
    let body = format!(
        r#"<!doctype html>
<html lang="{lang}" data-theme="dark"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {app}</title><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="auth-page"><section class="card auth-card" aria-labelledby="error-title">
<h1 class="brand-name">{app}</h1>
<h2 id="error-title">{heading}</h2>
<p role="alert">{description}</p>
<p class="muted">{help}</p>
<a class="btn" href="/">{start}</a>
</section></main></body></html>"#,
        lang = locale.tag(),
        title = escape(t.sign_in_error),
        heading = escape(t.link_broken),
        description = escape(description),
        start = escape(t.go_to_start),
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
pub fn logout_confirmation(
    config: &Config,
    locale: Locale,
    email: &str,
    hidden: &[(String, String)],
    destination: &str,
) -> Response {
    let app = escape(&config.branding.app_name);
    let t = locale.messages();
    let who = fill(&escape(t.signed_in_ends), &[("email", &format!("<strong>{}</strong>", escape(email)))]);
    let inputs: String = hidden
        .iter()
        .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v)))
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="{lang}" data-theme="dark"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{sign_out} · {app}</title><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="auth-page"><section class="card auth-card" aria-labelledby="logout-title">
<h1 class="brand-name">{app}</h1>
<h2 id="logout-title">{question}</h2>
<p>{who}</p>
<form class="stack" method="post" action="/logout">{inputs}
<button type="submit" class="btn btn-primary">{sign_out}</button>
<a class="btn" href="/">{stay}</a>
</form></section></main></body></html>"#,
        lang = locale.tag(),
        sign_out = escape(t.sign_out),
        question = escape(t.sign_out_question),
        stay = escape(t.stay_signed_in),
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
