//! The browser apps' files (wrangler.toml `[assets]`, `run_worker_first`): every path no
//! route claims is served from the ASSETS binding, the SPA's `index.html` for page paths.
//! That page names what it needs first in its `<head>`, so the browser fetches all of it
//! with the HTML instead of one file after another (docs/benchmark.md, "The sign-in
//! page"): the app's script and wasm module (a person signing in downloads neither the
//! console nor the account pages), and the answers the page reads before it can show
//! anything.

use shared::paths::{self, BrowserApp};
use worker::{Env, Request, Response};

use crate::edge::respond;
use crate::engine::platform::error::{ApiError, InternalError};

/// What a page needs before it shows, as `<link>`s for its `<head>`: its app's script and
/// wasm module (`shared::paths::BrowserApp`: the console's under `/admin`, the account's
/// for its pages, the public one for the rest), the passkey ceremonies' script for the
/// people's pages, the branding, and for the people's pages this browser's session
/// (fetched as `fetch()` will ask for them: same-origin, CORS mode, so the page's own
/// requests take the preloaded answers). `boot.js` starts the module named here.
fn first_needs(app: BrowserApp) -> String {
    let name = app.name();
    let people = app != BrowserApp::Console;
    let mut links = format!("<link rel=\"modulepreload\" href=\"/{name}.js\">\n  ");
    if people {
        links.push_str("<link rel=\"modulepreload\" href=\"/webauthn.js\">\n  ");
    }
    links.push_str(&format!(
        "<link rel=\"preload\" href=\"/{name}_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n  "
    ));
    links.push_str(&format!("<link rel=\"preload\" href=\"{}\" as=\"fetch\" crossorigin>\n", paths::UI_CONFIG));
    if people {
        links.push_str(&format!("  <link rel=\"preload\" href=\"{}\" as=\"fetch\" crossorigin>\n", paths::SESSION));
    }
    links
}

/// A failure of the platform, answered as the one error renderer answers it.
fn failed(what: String) -> Response {
    respond::error(&ApiError::Internal(InternalError::new(what)))
}

/// The file at `req`'s path, or the SPA's page with what it needs first named in its head.
pub async fn serve(req: Request, env: &Env) -> Response {
    let app = BrowserApp::for_path(&req.path());
    let assets = match env.assets("ASSETS") {
        Ok(a) => a,
        Err(e) => return failed(format!("binding ASSETS: {e}")),
    };
    match assets.fetch_request(req).await {
        Ok(response) => with_first_needs(response, &first_needs(app)).await,
        Err(e) => failed(format!("assets fetch: {e}")),
    }
}

/// `response` itself unless it is a whole HTML page; else the page with `links` before
/// its `</head>`, keeping the asset's validators and caching.
async fn with_first_needs(mut response: Response, links: &str) -> Response {
    let html = response.headers().get("Content-Type").ok().flatten().is_some_and(|t| t.starts_with("text/html"));
    if response.status_code() != 200 || !html {
        return response;
    }
    let kept: Vec<(&str, Option<String>)> = ["ETag", "Cache-Control", "Last-Modified"]
        .iter()
        .map(|h| (*h, response.headers().get(h).ok().flatten()))
        .collect();
    let page = match response.text().await {
        Ok(page) => page,
        Err(e) => return failed(format!("assets body: {e}")),
    };
    let page = page.replacen("</head>", &format!("  {links}</head>"), 1);
    let mut rewritten = match Response::from_html(page) {
        Ok(r) => r,
        Err(e) => return failed(format!("page: {e}")),
    };
    for (name, value) in kept {
        if let Some(value) = value {
            rewritten = respond::with_header(rewritten, name, &value);
        }
    }
    rewritten
}
