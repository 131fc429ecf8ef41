//! Fixed-window rate limits in KV (contract "Errors": 429, `Retry-After`,
//! `rate_limit_exceeded`). The `RATE_LIMIT_*` settings give requests per window.
//!
//! KV is eventually consistent and has no atomic increment, so concurrent requests in
//! different locations can each slip one past the count: this limits scripts hammering a
//! route, not a distributed attacker (account lockout and hashed tokens do that part).
//! Subjects are hashed into the key, so KV never holds addresses in the clear.

use crate::engine::crypto::tokens::hash_token;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::net;
use crate::engine::platform::ports::{KeyValue, UnixTime, KV_MIN_TTL};

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
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Login => "login",
            Bucket::MailPerAddress => "mail",
            Bucket::UserCode => "user-code",
            Bucket::IpLockout => "ip-lockout",
        }
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
) -> Result<(), ApiError> {
    let window = Window::of(kv, bucket, subject, limit, now).await?;
    window.refuse_if_full()?;
    window.count(kv).await
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
    Window::of(kv, bucket, subject, limit, now).await?.refuse_if_full()
}

/// Counts one failure of `subject` (see [`check`]).
pub async fn count_failure(
    kv: &impl KeyValue,
    bucket: Bucket,
    subject: &str,
    limit: (u32, u32),
    now: UnixTime,
) -> Result<(), ApiError> {
    Window::of(kv, bucket, subject, limit, now).await?.count(kv).await
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

/// One subject's counter in the current window.
struct Window {
    key: String,
    count: u32,
    max: u32,
    /// Seconds until the window ends.
    left: i64,
}

impl Window {
    async fn of(
        kv: &impl KeyValue,
        bucket: Bucket,
        subject: &str,
        (max, window): (u32, u32),
        now: UnixTime,
    ) -> Result<Window, InternalError> {
        let window = i64::from(window.max(1));
        let started = now - now.rem_euclid(window);
        let key = format!("rate:{}:{}:{started}", bucket.name(), hash_token(subject));
        let count: u32 = kv.get(&key).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(Window { key, count, max, left: started + window - now })
    }

    fn refuse_if_full(&self) -> Result<(), ApiError> {
        if self.count >= self.max {
            return Err(ApiError::RateLimited { retry_after: self.left.max(1) as u64 });
        }
        Ok(())
    }

    async fn count(&self, kv: &impl KeyValue) -> Result<(), ApiError> {
        let ttl = u32::try_from(self.left).unwrap_or(u32::MAX).max(KV_MIN_TTL);
        kv.put(&self.key, &(self.count + 1).to_string(), ttl).await.map_err(ApiError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::error::ErrorResponse;
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
            assert_eq!(refused, ApiError::RateLimited { retry_after: 3000 });
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
                Err(ApiError::RateLimited { retry_after: 57 })
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
}
