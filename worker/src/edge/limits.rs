//! `RATE_LIMIT_TOKEN_*` at the edge for the token family and `/register`: the isolate's
//! own count decides, merged with KV's every tenth of the limit after the answer
//! (`ctx.waitUntil`: a KV read and write then; before deciding only for limits under
//! twenty). Every limit fails open
//! (engine::identity::rate_limit).

use worker::Response;

use crate::edge::adapters::kv;
use crate::edge::context::Cx;
use crate::edge::respond;
use crate::engine::identity::rate_limit::{self, Bucket, Quota};
use crate::engine::platform::error::ApiError;

/// Counts this request against `subject`'s window (`None`: whitelisted, not limited), or
/// the 429 to answer instead. A request naming a client with its own limit (docs/api.md,
/// "Client rate limits") counts in a bucket of that client's, against its limit.
pub async fn token_limit(
    cx: &Cx<'_>,
    subject: Option<String>,
    client_id: Option<&str>,
) -> Result<Option<Quota>, ApiError> {
    let (subject, limits) = rate_limit::token_budget(cx.config, subject, client_id);
    limit(cx, Bucket::Token, subject, limits).await
}

/// [`token_limit`] for another `bucket` and its `(max, window)`: open registration
/// (`RATE_LIMIT_REGISTER_*`).
pub async fn limit(
    cx: &Cx<'_>,
    bucket: Bucket,
    subject: Option<String>,
    limits: (u32, u32),
) -> Result<Option<Quota>, ApiError> {
    let Some(subject) = subject else { return Ok(None) };
    let (quota, write) = rate_limit::decide(&cx.kv, bucket, &subject, limits, cx.now).await?;
    if let Some(e) = &quota.degraded {
        log::error!("rate limit read failed, request let through: {}", e.detail());
    }
    let Some(write) = write else { return Ok(Some(quota)) };
    let (env, now) = (cx.env.clone(), cx.now);
    cx.worker.wait_until(async move {
        let written = match kv(&env) {
            Ok(kv) => write.apply(&kv, now).await,
            Err(e) => Err(e),
        };
        // Fail-open: KV takes about one write per second per key; a lost count only
        // makes the limit laxer.
        if let Err(e) = written {
            log::error!("rate limit write failed: {}", e.detail());
        }
    });
    Ok(Some(quota))
}

/// `response` with the `X-RateLimit-*` headers of `quota`, if the request was limited.
pub fn with_quota(mut response: Response, quota: Option<&Quota>) -> Response {
    if let Some(q) = quota {
        respond::set_rate_limit(response.headers_mut(), q.limit, q.remaining, q.reset);
    }
    response
}
