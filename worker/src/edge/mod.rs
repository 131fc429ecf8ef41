//! The edge: workers-rs glue that exists only on wasm32. Routing, the D1/KV/WebCrypto
//! adapters for the engine's ports, and `respond`, the one place that makes HTTP.

mod account;
mod admin_api;
mod browser;
mod clients;
mod d1;
mod env;
mod kv;
mod pages;
mod respond;
mod router;
mod webcrypto;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(router::handle(req, &env, &ctx).await)
}
