//! Fixed-window rate limits in KV (docs/api.md, "Errors": 429, `Retry-After`,
//! `rate_limit_exceeded`, and `X-RateLimit-Limit`/`-Remaining`/`-Reset`).
//! The `RATE_LIMIT_*` settings give requests per window.
//!
//! KV is eventually consistent, has no atomic increment and takes about one write per
//! second per key: concurrent requests can each read the same count and slip past it.
//! So each isolate keeps its own count of the requests it counted, taken before any KV
//! call, and merges it with KV's every tenth of the limit — after the answer (`waitUntil`)
//! for a limit of twenty or more, so no request waits on KV for it; before deciding for
//! smaller limits, where a tenth is every request: within one isolate (where one
//! client's burst mostly lands) a limit is exact; across isolates it can be passed by up to
//! a tenth of the limit per isolate, plus what KV has not propagated yet (measured in tests/e2e/rate-limits.test.mjs,
//! written down in docs/configuration.md).
//! This limits scripts hammering a route, not a distributed attacker: account lockout in
//! D1, hashed single-use codes and client secrets do that part. For the same reason every
//! limit fails open: a KV read or write that fails or is throttled lets the request
//! through ([`Quota::degraded`] says why, for the log), never a 500, since a KV hiccup
//! must not make sign-in impossible. Subjects are hashed into the key, so KV never holds
//! addresses, client ids or emails in the clear.

use crate::engine::crypto::tokens::hash_token;
use crate::engine::platform::config::{Config, RateLimitBy};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::net;
use crate::engine::platform::ports::{KeyValue, LocalWindow, UnixTime, KV_MIN_TTL};

/// What a limit counts: each bucket has its own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Password sign-ins and sign-ups, per client IP (`RATE_LIMIT_LOGIN_*`).
    Login,
    /// Password reset and verification mails, per address (`RATE_LIMIT_PASSWORD_RESET_*`).
    MailPerAddress,
    /// Wrong device user codes on `/activate`, per client address.
    UserCode,
    /// Wrong passwords per client address, over any accounts (`LOCKOUT_BY_IP`).
    IpLockout,
    /// The token family (`/token`, `/device`, introspection, revocation) and `/register`
    /// (`RATE_LIMIT_TOKEN_*`, per [`RateLimitBy`]).
    Token,
    /// Anonymous passkey sign-in options, per client address (`RATE_LIMIT_LOGIN_*`,
    /// counted apart from sign-ins): each writes a challenge row.
    PasskeyOptions,
    /// Open registration, per client address (`RATE_LIMIT_REGISTER_*`): each writes a client.
    Register,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Login => "login",
            Bucket::MailPerAddress => "mail",
            Bucket::UserCode => "user-code",
            Bucket::IpLockout => "ip-lockout",
            Bucket::Token => "token",
            Bucket::PasskeyOptions => "passkey-options",
            Bucket::Register => "register",
        }
    }
}

/// Where one subject stands in its window: the `X-RateLimit-*` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// When the window ends (Unix seconds).
    pub reset: UnixTime,
    /// The counter could not be read or written: the request went through (fail-open).
    pub degraded: Option<InternalError>,
}

/// A counter write a caller may run after answering (`ctx.waitUntil`): [`Self::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterWrite {
    pub key: String,
    pub ttl: u32,
    value: Counted,
}

/// What a [`CounterWrite`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// The total, already merged with KV's before the decision.
    Total(u32),
    /// This isolate's requests since its last sync, to merge with KV's total now.
    News(u32),
}

impl CounterWrite {
    /// Writes the counter; a merge reads KV's total first and keeps what it learnt in
    /// the isolate's window (other isolates' requests count from the next decision on).
    pub async fn apply(&self, kv: &impl KeyValue, now: UnixTime) -> Result<(), InternalError> {
        let total = match self.value {
            Counted::Total(total) => total,
            Counted::News(news) => {
                let stored = kv.get(&self.key).await?.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
                let mut current = kv.local_window(&self.key).unwrap_or_default();
                let total = current.shared.max(stored.saturating_add(news));
                current.shared = total;
                kv.set_local_window(&self.key, current, now);
                total
            }
        };
        kv.put(&self.key, &total.to_string(), self.ttl).await
    }
}

/// Counts one request by `subject` in `bucket`; refuses it (429) when `max` requests
/// already came in this `window` (seconds).
pub async fn hit(
    kv: &impl KeyValue,
    bucket: Bucket,
    subject: &str,
    limit: (u32, u32),
    now: UnixTime,
) -> Result<Quota, ApiError> {
    let (mut quota, write) = decide(kv, bucket, subject, limit, now).await?;
    if let Some(write) = write {
        if let Err(e) = write.apply(kv, now).await {
            quota.degraded = Some(e);
        }
    }
    Ok(quota)
}

/// [`hit`] without the write: the caller runs the [`CounterWrite`] (when this request
/// synced with KV) after answering.
pub async fn decide(
    kv: &impl KeyValue,
    bucket: Bucket,
    subject: &str,
    limit: (u32, u32),
    now: UnixTime,
) -> Result<(Quota, Option<CounterWrite>), ApiError> {
    let window = Window::of(kv, bucket, subject, limit, now, Tally::Take).await;
    window.refuse_if_full(bucket)?;
    Ok((window.quota(1), window.pending_write()))
}

/// Refuses (429) when `subject` already used up this window, without counting this
/// request: for limits on failures, counted with [`count_failure`] only when one happens.
pub async fn check(
    kv: &impl KeyValue,
    bucket: Bucket,
    subject: &str,
    limit: (u32, u32),
    now: UnixTime,
) -> Result<(), ApiError> {
    Window::of(kv, bucket, subject, limit, now, Tally::Look).await.refuse_if_full(bucket)
}

/// Counts one failure of `subject` (see [`check`]); fails open like every limit.
pub async fn count_failure(
    kv: &impl KeyValue,
    bucket: Bucket,
    subject: &str,
    limit: (u32, u32),
    now: UnixTime,
) -> Result<(), ApiError> {
    if let Some(write) = Window::of(kv, bucket, subject, limit, now, Tally::Take).await.pending_write() {
        // Fail-open (module doc): a lost failure count is a slightly laxer limit.
        let _ = write.apply(kv, now).await;
    }
    Ok(())
}

/// Whether `ip` is in `RATE_LIMIT_WHITELIST`: no per-address limit applies to it (the
/// per-mailbox limit on reset mails still does: it protects the recipient).
pub fn exempt(config: &Config, ip: Option<&str>) -> bool {
    net::listed(&config.rate_limits.whitelist, ip)
}

/// What the token family's limit counts (`RATE_LIMIT_BY`), or `None` for an address in
/// `RATE_LIMIT_WHITELIST`: per address; per client (`client_id` in Basic or the form);
/// per user (the password grant's `username`). Without the thing counted, the address.
pub fn token_subject(
    config: &Config,
    ip: Option<&str>,
    client_id: Option<&str>,
    username: Option<&str>,
) -> Option<String> {
    let limits = &config.rate_limits;
    if exempt(config, ip) {
        return None;
    }
    let address = || format!("ip:{}", ip.unwrap_or("unknown"));
    Some(match limits.by {
        RateLimitBy::Ip => address(),
        RateLimitBy::Client => client_id.map_or_else(address, |c| format!("client:{c}")),
        RateLimitBy::User => match (username, client_id) {
            (Some(user), _) => format!("user:{}", user.trim().to_lowercase()),
            (None, Some(client)) => format!("client:{client}"),
            (None, None) => address(),
        },
    })
}

/// The bucket and `(max, window)` of a token-family request (docs/api.md, "Client rate
/// limits"): a client with its own limit counts in a bucket of its own — the
/// `RATE_LIMIT_BY` subject within that client, so another address naming the client
/// cannot spend an address's budget under `ip` — against that limit; every other request
/// in `subject`'s bucket against `RATE_LIMIT_TOKEN_*`.
pub fn token_budget(config: &Config, subject: Option<String>, client_id: Option<&str>) -> (Option<String>, (u32, u32)) {
    let own = client_id.and_then(|id| config.client_rate_limits.iter().find(|(c, _)| c == id));
    match (own, subject) {
        (Some((id, limit)), Some(subject)) => (Some(format!("own:{id}:{subject}")), (limit.max, limit.window)),
        (_, subject) => (subject, config.rate_limits.token),
    }
}

/// `LOCKOUT_BY_IP`: refuses (429) a password sign-in from an address that sent
/// `IP_LOCKOUT_THRESHOLD` wrong passwords within `LOCKOUT_DURATION`. Addresses in
/// `LOCKOUT_WHITELIST` (and unknown addresses) are never refused.
pub async fn ip_lockout_check(
    kv: &impl KeyValue,
    config: &Config,
    ip: Option<&str>,
    now: UnixTime,
) -> Result<(), ApiError> {
    match ip_lockout(config, ip) {
        Some((ip, limit)) => check(kv, Bucket::IpLockout, ip, limit, now).await,
        None => Ok(()),
    }
}

/// Counts one wrong password from `ip` (see [`ip_lockout_check`]).
pub async fn ip_lockout_count(
    kv: &impl KeyValue,
    config: &Config,
    ip: Option<&str>,
    now: UnixTime,
) -> Result<(), ApiError> {
    match ip_lockout(config, ip) {
        Some((ip, limit)) => count_failure(kv, Bucket::IpLockout, ip, limit, now).await,
        None => Ok(()),
    }
}

fn ip_lockout<'a>(config: &Config, ip: Option<&'a str>) -> Option<(&'a str, (u32, u32))> {
    let security = &config.security;
    let ip = ip.filter(|_| security.lockout_by_ip)?;
    if net::listed(&security.lockout_whitelist, Some(ip)) {
        return None;
    }
    Some((ip, (security.ip_lockout_threshold, security.lockout_duration.saturating_mul(60))))
}

/// Whether a request is counted, or only looks at the count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tally {
    Take,
    Look,
}

/// How many of its own requests an isolate counts between two syncs with KV: a tenth of
/// the limit (at least every request for small limits). KV then costs a request nothing
/// most of the time, and each key takes far fewer writes than KV's one per second.
fn sync_step(max: u32) -> u32 {
    (max / 10).max(1)
}

/// One subject's counter in the current window.
struct Window {
    key: String,
    /// Requests before this one, as far as this isolate knows.
    count: u32,
    max: u32,
    /// Start of the next window (Unix seconds).
    ends: UnixTime,
    /// Seconds until the window ends.
    left: i64,
    /// What to write to KV (this isolate's news for the others), when this request syncs.
    write: Option<Counted>,
    degraded: Option<InternalError>,
}

impl Window {
    /// Where `subject` stands: this isolate's own count, taken synchronously (so requests
    /// interleaving at an await see each other), merged with KV's every [`sync_step`]
    /// requests (and on every look, which only the low-volume failure limits do).
    async fn of(
        kv: &impl KeyValue,
        bucket: Bucket,
        subject: &str,
        (max, window): (u32, u32),
        now: UnixTime,
        how: Tally,
    ) -> Window {
        let window = i64::from(window.max(1));
        let started = now - now.rem_euclid(window);
        let ends = started + window;
        let key = format!("rate:{}:{}:{started}", bucket.name(), hash_token(subject));
        let mut local = kv.local_window(&key).unwrap_or(LocalWindow { expires: ends, ..LocalWindow::default() });
        let first = local == LocalWindow { expires: ends, ..LocalWindow::default() };
        let unsynced = local.counted.saturating_sub(local.synced);
        let count = local.shared.saturating_add(unsynced);
        if how == Tally::Take {
            local.counted = local.counted.saturating_add(1);
            kv.set_local_window(&key, local, now);
        }
        let sync = first || how == Tally::Look || unsynced.saturating_add(1) >= sync_step(max);
        let mut w = Window { key, count, max, ends, left: ends - now, write: None, degraded: None };
        if !sync {
            return w;
        }
        if how == Tally::Take && sync_step(max) > 1 {
            // Decided on what this isolate knows; its news go to KV, and KV's total comes
            // back, after the answer ([`CounterWrite::apply`]). Counted as shared now, so
            // the next requests neither lose them nor sync again before the next step.
            let mut current = kv.local_window(&w.key).unwrap_or(local);
            let news = current.counted.saturating_sub(current.synced);
            current.shared = current.shared.saturating_add(news);
            current.synced = current.counted;
            kv.set_local_window(&w.key, current, now);
            w.write = Some(Counted::News(news));
            return w;
        }
        // Fail-open (module doc): an unreadable counter counts as what this isolate knows.
        let stored = match kv.get(&w.key).await {
            Ok(value) => value.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0),
            Err(e) => {
                w.degraded = Some(e);
                0
            }
        };
        // The count decided above was exact for this isolate; KV adds what other isolates
        // counted since this one last synced.
        w.count = count.saturating_add(stored.saturating_sub(local.shared));
        if how == Tally::Take {
            // Requests of this isolate may have run meanwhile: merge into its state as it is now.
            let mut current = kv.local_window(&w.key).unwrap_or(local);
            let news = current.counted.saturating_sub(current.synced);
            current.shared = current.shared.max(stored).saturating_add(news);
            current.synced = current.counted;
            kv.set_local_window(&w.key, current, now);
            w.write = Some(Counted::Total(current.shared));
        }
        w
    }

    fn refuse_if_full(&self, bucket: Bucket) -> Result<(), ApiError> {
        if self.count >= self.max {
            crate::engine::ops::metrics::count("authority_rate_limited_total", &[("bucket", bucket.name())]);
            return Err(ApiError::RateLimited {
                retry_after: self.left.max(1) as u64,
                limit: self.max,
                reset: self.ends,
            });
        }
        Ok(())
    }

    /// Where the subject stands once `taken` more requests are counted.
    fn quota(&self, taken: u32) -> Quota {
        Quota {
            limit: self.max,
            remaining: self.max.saturating_sub(self.count.saturating_add(taken)),
            reset: self.ends,
            degraded: self.degraded.clone(),
        }
    }

    /// The KV write this request owes, if it synced.
    fn pending_write(&self) -> Option<CounterWrite> {
        let ttl = u32::try_from(self.left).unwrap_or(u32::MAX).max(KV_MIN_TTL);
        self.write.map(|value| CounterWrite { key: self.key.clone(), value, ttl })
    }
}

#[cfg(test)]
mod tests;
