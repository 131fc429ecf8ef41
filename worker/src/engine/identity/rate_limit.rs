//! Fixed-window rate limits in KV (contract "Errors": 429, `Retry-After`,
//! `rate_limit_exceeded`, and the product docs' `X-RateLimit-Limit`/`-Remaining`/`-Reset`).
//! The `RATE_LIMIT_*` settings give requests per window.
//!
//! KV is eventually consistent, has no atomic increment and takes about one write per
//! second per key: concurrent requests can each read the same count and slip past it.
//! So each isolate keeps its own count of the requests it counted, taken before any KV
//! call, and merges it with KV's every tenth of the limit: within one isolate (where one
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
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Login => "login",
            Bucket::MailPerAddress => "mail",
            Bucket::UserCode => "user-code",
            Bucket::IpLockout => "ip-lockout",
            Bucket::Token => "token",
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

/// A counter write a caller may run after answering (`ctx.waitUntil`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterWrite {
    pub key: String,
    pub value: String,
    pub ttl: u32,
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
        if let Err(e) = kv.put(&write.key, &write.value, write.ttl).await {
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
    window.refuse_if_full()?;
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
    Window::of(kv, bucket, subject, limit, now, Tally::Look).await.refuse_if_full()
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
        let _ = kv.put(&write.key, &write.value, write.ttl).await;
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
    /// The KV value to write (this isolate's news for the others), when this request synced.
    write: Option<u32>,
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
            w.write = Some(current.shared);
        }
        w
    }

    fn refuse_if_full(&self) -> Result<(), ApiError> {
        if self.count >= self.max {
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
        self.write.map(|value| CounterWrite { key: self.key.clone(), value: value.to_string(), ttl })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::error::ErrorResponse;
    use crate::engine::test_support::DownKv;
    use crate::native::MemoryKv;

    #[test]
    fn the_request_past_the_limit_gets_429_with_the_seconds_left_in_the_window() {
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let limit = (3, 3600);
            let start = 7_200; // a window boundary
            for i in 0..3 {
                hit(&kv, Bucket::MailPerAddress, "a@example.com", limit, start + i).await.unwrap();
            }
            let refused = hit(&kv, Bucket::MailPerAddress, "a@example.com", limit, start + 600).await.unwrap_err();
            assert_eq!(refused, ApiError::RateLimited { retry_after: 3000, limit: 3, reset: 10_800 });
            assert_eq!(refused.status(), 429);
            assert_eq!(refused.code(), "rate_limit_exceeded");
            assert_eq!(refused.retry_after(), Some(3000));
            // Other subjects and other buckets count separately.
            hit(&kv, Bucket::MailPerAddress, "b@example.com", limit, start + 600).await.unwrap();
            hit(&kv, Bucket::Login, "a@example.com", limit, start + 600).await.unwrap();
            // The next window starts afresh.
            hit(&kv, Bucket::MailPerAddress, "a@example.com", limit, start + 3600).await.unwrap();
        });
    }

    #[test]
    fn failure_limits_count_only_failures() {
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let limit = (2, 60);
            for _ in 0..5 {
                check(&kv, Bucket::UserCode, "ip", limit, 0).await.unwrap();
            }
            count_failure(&kv, Bucket::UserCode, "ip", limit, 1).await.unwrap();
            count_failure(&kv, Bucket::UserCode, "ip", limit, 2).await.unwrap();
            assert_eq!(
                check(&kv, Bucket::UserCode, "ip", limit, 3).await,
                Err(ApiError::RateLimited { retry_after: 57, limit: 2, reset: 60 })
            );
        });
    }

    #[test]
    fn keys_do_not_hold_the_subject_in_the_clear() {
        pollster::block_on(async {
            let kv = MemoryKv::default();
            hit(&kv, Bucket::MailPerAddress, "alice@example.com", (3, 60), 0).await.unwrap();
            let keys = kv.keys_with_prefix("rate:").await.unwrap();
            assert_eq!(keys.len(), 1);
            assert!(!keys[0].contains("alice"));
        });
    }

    #[test]
    fn lockout_by_ip_pauses_an_address_after_its_threshold_of_wrong_passwords_but_never_a_whitelisted_one() {
        use crate::engine::test_support::config_with;
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let config = config_with(|v| {
                v.insert("LOCKOUT_BY_IP", "true".into());
                v.insert("IP_LOCKOUT_THRESHOLD", "2".into());
                v.insert("LOCKOUT_WHITELIST", "10.0.0.0/8".into());
            });
            for ip in ["198.51.100.7", "10.9.8.7"] {
                for _ in 0..2 {
                    ip_lockout_check(&kv, &config, Some(ip), 1_000).await.unwrap();
                    ip_lockout_count(&kv, &config, Some(ip), 1_000).await.unwrap();
                }
            }
            let refused = ip_lockout_check(&kv, &config, Some("198.51.100.7"), 1_000).await.unwrap_err();
            assert_eq!(refused.status(), 429);
            assert!(ip_lockout_check(&kv, &config, Some("10.9.8.7"), 1_000).await.is_ok(), "whitelisted");
            assert!(ip_lockout_check(&kv, &config, Some("198.51.100.8"), 1_000).await.is_ok(), "another address");
            let off = config_with(|_| {});
            ip_lockout_count(&kv, &off, Some("203.0.113.1"), 1_000).await.unwrap();
            ip_lockout_count(&kv, &off, Some("203.0.113.1"), 1_000).await.unwrap();
            assert!(ip_lockout_check(&kv, &off, Some("203.0.113.1"), 1_000).await.is_ok(), "LOCKOUT_BY_IP=false");
        });
    }

    #[test]
    fn a_failing_or_throttled_kv_lets_requests_through_and_says_why() {
        pollster::block_on(async {
            // Never a 500: each request passes, marked degraded.
            for _ in 0..5 {
                let quota = hit(&DownKv, Bucket::Token, "broken", (2, 60), 0).await.unwrap();
                assert!(quota.degraded.is_some());
            }
            check(&DownKv, Bucket::UserCode, "broken", (1, 60), 0).await.unwrap();
            count_failure(&DownKv, Bucket::UserCode, "broken", (1, 60), 0).await.unwrap();
        });
    }

    #[test]
    fn concurrent_requests_in_one_isolate_see_each_other_before_kv_answers() {
        // Eight requests read KV before any of their counts is written (decide leaves the
        // write to after the answer): KV alone would let all eight through.
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let mut passed = 0;
            for _ in 0..8 {
                passed += usize::from(decide(&kv, Bucket::Token, "burst", (3, 60), 0).await.is_ok());
            }
            assert_eq!(passed, 3);
        });
    }

    #[test]
    fn quota_counts_down_to_the_x_ratelimit_headers() {
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let first = hit(&kv, Bucket::Token, "ip:1", (3, 60), 120).await.unwrap();
            assert_eq!((first.limit, first.remaining, first.reset), (3, 2, 180));
            hit(&kv, Bucket::Token, "ip:1", (3, 60), 121).await.unwrap();
            let last = hit(&kv, Bucket::Token, "ip:1", (3, 60), 122).await.unwrap();
            assert_eq!(last.remaining, 0);
            let refused = hit(&kv, Bucket::Token, "ip:1", (3, 60), 123).await.unwrap_err();
            assert_eq!(refused.rate_limit(), Some((3, 180)));
        });
    }

    #[test]
    fn rate_limit_by_picks_what_the_token_family_counts_and_the_whitelist_skips_it() {
        use crate::engine::test_support::config_with;
        let by = |value: &str| {
            config_with(|v| {
                v.insert("RATE_LIMIT_BY", value.into());
                v.insert("RATE_LIMIT_WHITELIST", "10.0.0.0/8".into());
            })
        };
        let subject =
            |c: &Config, client: Option<&str>, user: Option<&str>| token_subject(c, Some("198.51.100.7"), client, user);
        assert_eq!(subject(&by("ip"), Some("app"), Some("a@x")).as_deref(), Some("ip:198.51.100.7"));
        assert_eq!(subject(&by("client"), Some("app"), None).as_deref(), Some("client:app"));
        assert_eq!(subject(&by("client"), None, None).as_deref(), Some("ip:198.51.100.7"));
        assert_eq!(subject(&by("user"), Some("app"), Some(" A@X ")).as_deref(), Some("user:a@x"));
        assert_eq!(subject(&by("user"), Some("app"), None).as_deref(), Some("client:app"));
        assert_eq!(token_subject(&by("ip"), Some("10.1.2.3"), None, None), None, "whitelisted");
        assert!(exempt(&by("ip"), Some("10.1.2.3")) && !exempt(&by("ip"), Some("11.1.2.3")));
    }

    /// One isolate: its own memory over a KV namespace shared with other isolates.
    struct Isolate<'a> {
        kv: &'a MemoryKv,
        local: std::sync::Mutex<std::collections::HashMap<String, LocalWindow>>,
        writes: std::cell::Cell<u32>,
    }

    impl<'a> Isolate<'a> {
        fn new(kv: &'a MemoryKv) -> Self {
            Isolate { kv, local: Default::default(), writes: Default::default() }
        }
    }

    impl KeyValue for Isolate<'_> {
        async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
            self.kv.get(key).await
        }
        async fn put(&self, key: &str, value: &str, ttl: u32) -> Result<(), InternalError> {
            self.writes.set(self.writes.get() + 1);
            self.kv.put(key, value, ttl).await
        }
        async fn delete(&self, key: &str) -> Result<(), InternalError> {
            self.kv.delete(key).await
        }
        async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, InternalError> {
            self.kv.keys_with_prefix(prefix).await
        }
        fn local_window(&self, key: &str) -> Option<LocalWindow> {
            self.local.lock().unwrap().get(key).copied()
        }
        fn set_local_window(&self, key: &str, window: LocalWindow, _: UnixTime) {
            self.local.lock().unwrap().insert(key.to_owned(), window);
        }
    }

    #[test]
    fn isolates_share_their_counts_through_kv_every_tenth_of_the_limit() {
        pollster::block_on(async {
            let kv = MemoryKv::default();
            let (a, b) = (Isolate::new(&kv), Isolate::new(&kv));
            let limit = (100, 3600);
            let mut passed = 0;
            // Isolate A takes 60 requests, then B takes requests until refused.
            for _ in 0..60 {
                passed += usize::from(hit(&a, Bucket::Token, "shared", limit, 0).await.is_ok());
            }
            while hit(&b, Bucket::Token, "shared", limit, 0).await.is_ok() {
                passed += 1;
                assert!(passed < 200, "B was never refused");
            }
            // B learned A's count at its first request; at most a sync step (10) of A's
            // requests was still unshared.
            assert!((100..=110).contains(&passed), "{passed} passed against a limit of 100");
            // One KV write per sync (requests 1, 11, 21, 31, 41, 51), not one per request.
            assert_eq!(a.writes.get(), 6, "A: 60 requests");
        });
    }
}
