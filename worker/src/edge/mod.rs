//! The edge: workers-rs glue that exists only on wasm32.
//!
//! - [`router`]: one route table lookup (`crate::routes`), then the handler it names.
//! - [`context`]: the request context built once per request, and the per-isolate caches.
//! - [`handlers`]: one module per area; each calls the engine and answers.
//! - [`assets`]: the browser apps' files, and their page with what it needs first.
//! - [`request`] reads requests; [`respond`] is the one place that makes responses and
//!   adds security headers; [`pages`] renders the few server-side HTML pages.
//! - [`limits`]: the token family's rate limits (one KV read; the count written later).
//! - [`adapters`]: D1, KV, WebCrypto, `fetch` and `env` as the engine's ports.
//!
//! Imports point down this list only (router → handlers/assets → limits → context/request/respond
//! → adapters), so the edge has no cycles.

mod adapters;
mod assets;
mod context;
mod handlers;
mod limits;
mod pages;
mod request;
mod respond;
mod router;

use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    adapters::log::install();
    adapters::outbound::bind_queue(&env);
    Ok(router::handle(req, &env, &ctx).await)
}

/// The Cron Trigger (wrangler.toml `[triggers]`): the scheduled cleanup, and the sweep of
/// due deliveries.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    adapters::log::install();
    adapters::outbound::bind_queue(&env);
    handlers::ops::cleanup(&env).await;
}

/// The `DELIVERIES` Queue's consumer (docs/delivery.md).
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    adapters::log::install();
    adapters::outbound::bind_queue(&env);
    handlers::deliveries::consume(batch, &env).await;
    Ok(())
}
