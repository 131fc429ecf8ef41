//! The limits' behaviour: windows, fail-open, isolates sharing a count through KV,
//! the token family's subjects and LOCKOUT_BY_IP.

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

#[test]
fn a_client_with_its_own_limit_counts_in_its_own_bucket_against_it_and_others_against_the_global_one() {
    let mut config = crate::engine::test_support::config_with(|v| {
        v.insert("RATE_LIMIT_TOKEN_MAX", "60".into());
    });
    config.client_rate_limits = vec![("trusted".into(), shared::clients::RateLimit { max: 1000, window: 60 })];
    let subject = || Some("ip:198.51.100.7".to_owned());
    assert_eq!(
        token_budget(&config, subject(), Some("trusted")),
        (Some("own:trusted:ip:198.51.100.7".into()), (1000, 60))
    );
    assert_eq!(token_budget(&config, subject(), Some("other")), (subject(), (60, 60)));
    assert_eq!(token_budget(&config, subject(), None), (subject(), (60, 60)));
    assert_eq!(token_budget(&config, None, Some("trusted")).0, None, "a whitelisted address stays unlimited");
}

/// One isolate: its own memory over a KV namespace shared with other isolates.
struct Isolate<'a> {
    kv: &'a MemoryKv,
    local: std::sync::Mutex<std::collections::HashMap<String, LocalWindow>>,
    writes: std::cell::Cell<u32>,
    reads: std::cell::Cell<u32>,
}

impl<'a> Isolate<'a> {
    fn new(kv: &'a MemoryKv) -> Self {
        Isolate { kv, local: Default::default(), writes: Default::default(), reads: Default::default() }
    }
}

impl KeyValue for Isolate<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>, InternalError> {
        self.reads.set(self.reads.get() + 1);
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

#[test]
fn a_limit_of_twenty_or_more_decides_without_waiting_on_kv_and_merges_after_the_answer() {
    pollster::block_on(async {
        let kv = MemoryKv::default();
        let (a, b) = (Isolate::new(&kv), Isolate::new(&kv));
        let limit = (20, 3600);
        for _ in 0..20 {
            let before = a.reads.get();
            let (_, write) = decide(&a, Bucket::Token, "shared", limit, 0).await.unwrap();
            assert_eq!(a.reads.get(), before, "the decision read nothing from KV");
            if let Some(write) = write {
                write.apply(&a, 0).await.unwrap(); // what waitUntil runs after the answer
            }
        }
        // B's first request is decided on what B knows (nothing yet), and its merge after
        // the answer learns A's twenty: B's next request is refused.
        let (_, write) = decide(&b, Bucket::Token, "shared", limit, 0).await.unwrap();
        write.unwrap().apply(&b, 0).await.unwrap();
        assert!(decide(&b, Bucket::Token, "shared", limit, 0).await.is_err());
        // A small limit (a tenth is every request) still reads KV before deciding.
        let c = Isolate::new(&kv);
        assert!(hit(&c, Bucket::Token, "small", (5, 3600), 0).await.is_ok());
        assert_eq!(c.reads.get(), 1);
    });
}
