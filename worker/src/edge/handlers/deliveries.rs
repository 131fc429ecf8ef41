//! Outbound deliveries at the edge (docs/delivery.md): the `DELIVERIES` Queue's consumer,
//! the Cron sweep of due deliveries, and the admin API's list and retry.

use futures_util::future::join_all;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Request, Response};

use crate::edge::adapters::{db, env, kv, WorkerClock};
use crate::edge::context::{edge_context, Cx, EdgeKeys, EdgeVerifier};
use crate::edge::request::{paging, query, read_json};
use crate::edge::respond;
use crate::engine::delivery::admin::DeliveryAdmin;
use crate::engine::delivery::{Attempt, Deliveries};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::routes::Matched;

/// Runs `work` with a request context of no request (the Queue consumer, the Cron sweep).
async fn with_deliveries<T>(
    env: &Env,
    config: &Config,
    work: impl AsyncFnOnce(&Deliveries<'_, crate::edge::context::WorkerPlatform>) -> Result<T, InternalError>,
) -> Result<T, InternalError> {
    let now_ms = WorkerClock.now_ms();
    let now = now_ms.div_euclid(1000);
    let (store, kv) = (db(env)?, kv(env)?);
    let keys = EdgeKeys::new(db(env)?, config, now);
    let verifier = EdgeVerifier::new(db(env)?, now);
    let meta = RequestMeta::default();
    let deliveries = Deliveries { rc: edge_context(config, &store, &kv, &keys, &verifier, &meta, now_ms) };
    work(&deliveries).await
}

/// The Queue consumer: the batch's deliveries attempted at once (a burst of mail becomes
/// concurrent SMTP sessions, not a line of them); a failure comes back after its backoff
/// (the message retried with that delay), everything else is acknowledged (a delivery not
/// due is someone else's attempt; the sweep catches what a lost message left).
pub async fn consume(batch: MessageBatch<String>, env: &Env) {
    let config = match env::config(env, None).await {
        Ok(config) => config,
        Err(e) => {
            log::error!("deliveries: no configuration: {e}");
            batch.retry_all();
            return;
        }
    };
    let messages = batch.raw_iter().collect::<Vec<_>>();
    let attempts = join_all(messages.iter().map(|message| {
        let config = &config;
        async move {
            // The body is the delivery's id (`adapters::outbound`).
            let Some(delivery) = message.body().as_string() else {
                log::error!(
                    "deliveries: a message without a delivery id: {:?}",
                    js_sys::JSON::stringify(&message.body())
                );
                return None;
            };
            let attempt = with_deliveries(env, config, async |d| d.attempt(&delivery).await).await;
            if let Err(e) = &attempt {
                log::error!("delivery {delivery}: {}", e.detail());
            }
            Some(attempt)
        }
    }))
    .await;
    let mut delivered = false;
    for (message, attempt) in messages.iter().zip(attempts) {
        match attempt {
            Some(Ok(Attempt::Failed { retry_in, .. })) => {
                let delay = u32::try_from(retry_in).unwrap_or(u32::MAX).min(43_200);
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build());
            }
            Some(Err(_)) => message.retry(),
            Some(Ok(outcome)) => {
                delivered |= matches!(outcome, Attempt::Delivered { .. });
                message.ack();
            }
            None => message.ack(),
        }
    }
    // A delivered audit batch lets its sink's next one go (one in flight each).
    if delivered && !crate::engine::delivery::audit_push::sinks(&config.audit_push).is_empty() {
        if let Err(e) = with_deliveries(env, &config, async |d| d.collect_audit_push().await).await {
            log::error!("audit push: {}", e.detail());
        }
    }
}

/// After the answer of a request that wrote audit entries or ended sessions: the webhooks
/// they carry (engine::delivery::webhooks), the audit push's next batches (audit_push) and
/// the Logout Tokens (engine::delivery::logout).
pub fn collect_after(env: &Env, config: &std::rc::Rc<Config>, worker: &worker::Context) {
    let webhooks = crate::engine::delivery::webhooks::take_noted() && config.webhooks.is_some();
    let push = crate::engine::delivery::audit_push::take_written()
        && !crate::engine::delivery::audit_push::sinks(&config.audit_push).is_empty();
    let logouts = crate::engine::oauth::backchannel_logout::take_queued();
    if !webhooks && !push && !logouts {
        return;
    }
    let (env, config) = (env.clone(), std::rc::Rc::clone(config));
    worker.wait_until(async move {
        if logouts {
            if let Err(e) = with_deliveries(&env, &config, async |d| d.dispatch_logouts().await).await {
                log::error!("back-channel logout: {}", e.detail());
            }
        }
        if webhooks {
            if let Err(e) = with_deliveries(&env, &config, async |d| d.collect_webhooks().await).await {
                log::error!("webhooks: {}", e.detail());
            }
        }
        if push {
            if let Err(e) = with_deliveries(&env, &config, async |d| d.collect_audit_push().await).await {
                log::error!("audit push: {}", e.detail());
            }
        }
    });
}

/// The Cron sweep: webhook events and audit batches not collected yet, then due
/// deliveries attempted (their Queue message lost, or no Queue bound); again while audit
/// batches are delivered (a sink catching up), a few rounds at most.
pub async fn sweep(env: &Env, config: &Config) -> Result<(usize, usize), InternalError> {
    let (mut delivered, mut failed) = (0, 0);
    for _ in 0..5 {
        with_deliveries(env, config, async |d| d.collect_webhooks().await).await?;
        let batches = with_deliveries(env, config, async |d| d.collect_audit_push().await).await?;
        let attempts = with_deliveries(env, config, async |d| d.sweep().await).await?;
        let done = attempts.iter().filter(|(_, a)| matches!(a, Attempt::Delivered { .. })).count();
        delivered += done;
        failed += attempts.len() - done;
        // Nothing new and nothing delivered: nothing a next round could move.
        if batches.is_empty() && done == 0 {
            break;
        }
    }
    Ok((delivered, failed))
}

/// `GET /api/deliveries?status=&kind=&limit=&offset=` (an admin token).
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let (limit, offset) = paging(&params)?;
    let page = DeliveryAdmin { rc: cx.request_context(), admin: &admin }
        .list(params.get("status"), params.get("kind"), limit, offset)
        .await?;
    Ok(respond::set_no_store(respond::json(200, &page)))
}

/// `POST /api/deliveries/{id}/retry` (an admin token): attempted now; the delivery as it
/// is afterwards.
pub async fn retry(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let delivery = DeliveryAdmin { rc: cx.request_context(), admin: &admin }.retry(m.param(0)).await?;
    Ok(respond::set_no_store(respond::json(200, &delivery)))
}

/// `POST /api/mail/test` `{"to"}` (a super_admin's token): a test message through the
/// configured transport now, and what it answered.
pub async fn test_mail(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let body: shared::deliveries::MailTest = read_json(&mut req).await?;
    let result = DeliveryAdmin { rc: cx.request_context(), admin: &admin }.test_mail(&body.to).await?;
    Ok(respond::set_no_store(respond::json(200, &result)))
}
