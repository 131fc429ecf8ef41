//! Deliveries natively: a mail written to the outbox and delivered over SMTP (the real
//! link only in what was sent), retried with backoff while the server is down, dead after
//! the last attempt and revived by an admin; handed to the Queue when one is bound.

use pollster::block_on;
use serde_json::Value;

use super::*;
use crate::engine::identity::mail::{self, MailContent, MailStore};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::test_support::{config_with, context_of, TestOutbound, NOW};
use crate::native::{MemoryKv, SqliteStore};

struct Fixture {
    config: Config,
    store: SqliteStore,
    kv: MemoryKv,
    meta: RequestMeta,
}

fn fixture() -> Fixture {
    let config = config_with(|v| {
        v.insert("EMAIL_PROVIDER", "smtp".into());
        v.insert("SMTP_HOST", "127.0.0.1".into());
        v.insert("SMTP_TLS", "none".into());
        v.insert("SMTP_PORT", "2525".into());
    });
    Fixture {
        config,
        store: SqliteStore::open_in_memory().unwrap(),
        kv: MemoryKv::default(),
        meta: RequestMeta::default(),
    }
}

impl Fixture {
    fn rc<'a>(
        &'a self,
        outbound: &'a TestOutbound,
        now: UnixTime,
    ) -> RequestContext<'a, crate::engine::test_support::NativePlatform> {
        RequestContext { outbound, ..context_of(&self.config, &self.store, &self.kv, &self.meta, now) }
    }

    fn reset_mail(&self, outbound: &TestOutbound) {
        let content =
            MailContent::PasswordReset { url: "https://auth.example/reset?token=SECRET123".into(), valid_minutes: 30 };
        block_on(mail::send(&self.rc(outbound, NOW), &mail::Recipient::address("ada@example.com"), &content)).unwrap();
    }

    fn row(&self) -> Value {
        self.store.rows("SELECT * FROM deliveries", &[]).into_iter().next().unwrap()
    }

    fn outbox_status(&self) -> (String, Option<String>) {
        let mail = block_on(self.store.outbox(1, 0)).unwrap().0.remove(0);
        (mail.status, mail.last_error)
    }
}

#[test]
fn a_mail_is_delivered_over_smtp_with_its_link_and_the_outbox_keeps_it_redacted() {
    let f = fixture();
    let outbound = TestOutbound::default();
    f.reset_mail(&outbound);
    let sent = outbound.mailed();
    assert_eq!(sent.len(), 1);
    let id = f.row()["id"].as_str().unwrap().to_owned();
    assert!(sent[0].contains(&format!("Message-ID: <{id}@127.0.0.1>")), "{}", sent[0]);
    assert!(sent[0].contains("token=SECRET123"), "the real link is sent");
    let row = f.row();
    assert_eq!((row["status"].as_str(), row["attempts"].as_i64()), (Some("delivered"), Some(1)));
    assert!(row["payload_sealed"].is_null(), "the payload (a credential) is gone once delivered");
    assert_eq!(f.outbox_status(), ("sent".into(), None));
    let kept = block_on(f.store.outbox(1, 0)).unwrap().0.remove(0);
    assert!(!kept.text.contains("SECRET123") && kept.text.contains("token=REDACTED"));
}

#[test]
fn a_failed_attempt_waits_its_backoff_and_the_sweep_delivers_it_once_the_server_is_back() {
    let f = fixture();
    let down = TestOutbound { fail: true, ..Default::default() };
    f.reset_mail(&down);
    let row = f.row();
    assert_eq!((row["status"].as_str(), row["attempts"].as_i64()), (Some("pending"), Some(1)));
    assert_eq!(row["next_attempt_at"].as_i64(), Some(NOW + 30));
    assert!(row["last_error"].as_str().unwrap().contains("connection refused"));
    assert_eq!(f.outbox_status().0, "pending");
    // Not due yet: the sweep leaves it.
    let early = block_on(Deliveries { rc: f.rc(&down, NOW + 29) }.sweep()).unwrap();
    assert!(early.is_empty());
    let again = block_on(Deliveries { rc: f.rc(&down, NOW + 30) }.sweep()).unwrap();
    assert!(matches!(again[0].1, Attempt::Failed { retry_in: 60, .. }), "{again:?}");
    let up = TestOutbound::default();
    let done = block_on(Deliveries { rc: f.rc(&up, NOW + 90) }.sweep()).unwrap();
    assert_eq!(done[0].1, Attempt::Delivered { answer: "250 queued".into() });
    assert_eq!(up.mailed().len(), 1);
    assert!(block_on(Deliveries { rc: f.rc(&up, NOW + 10_000) }.sweep()).unwrap().is_empty(), "delivered once");
    assert_eq!(f.outbox_status(), ("sent".into(), None));
}

#[test]
fn after_the_last_attempt_a_delivery_is_dead_until_an_admin_retries_it() {
    let f = fixture();
    let down = TestOutbound { fail: true, ..Default::default() };
    f.reset_mail(&down);
    let mut now = NOW;
    for _ in 1..MAX_ATTEMPTS {
        now += 6 * 3600;
        block_on(Deliveries { rc: f.rc(&down, now) }.sweep()).unwrap();
    }
    let row = f.row();
    assert_eq!((row["status"].as_str(), row["attempts"].as_i64()), (Some("dead"), Some(MAX_ATTEMPTS)));
    assert!(row["payload_sealed"].is_string(), "kept for a retry");
    assert_eq!(f.outbox_status().0, "failed");
    assert!(block_on(Deliveries { rc: f.rc(&down, now + 86_400) }.sweep()).unwrap().is_empty(), "dead is not swept");
    let up = TestOutbound::default();
    let id = row["id"].as_str().unwrap();
    let revived = block_on(Deliveries { rc: f.rc(&up, now + 60) }.retry_now(id)).unwrap().unwrap();
    assert_eq!((revived.status.as_str(), revived.attempts), ("delivered", 1));
    assert_eq!(up.mailed().len(), 1);
    assert!(block_on(Deliveries { rc: f.rc(&up, now + 61) }.retry_now(id)).unwrap().is_none(), "delivered stays so");
}

#[test]
fn with_a_queue_bound_the_request_only_enqueues_and_the_consumer_delivers() {
    let f = fixture();
    let queue = TestOutbound { queue_bound: true, ..Default::default() };
    f.reset_mail(&queue);
    let id = f.row()["id"].as_str().unwrap().to_owned();
    assert_eq!(queue.queued.lock().unwrap().clone(), vec![(id.clone(), 0)]);
    assert!(queue.mailed().is_empty(), "not sent in the request");
    assert_eq!(f.row()["attempts"].as_i64(), Some(0));
    // The consumer's attempt, then a redelivery of the same message: one mail.
    assert!(matches!(
        block_on(Deliveries { rc: f.rc(&queue, NOW + 1) }.attempt(&id)).unwrap(),
        Attempt::Delivered { .. }
    ));
    assert_eq!(block_on(Deliveries { rc: f.rc(&queue, NOW + 2) }.attempt(&id)).unwrap(), Attempt::NotDue);
    assert_eq!(queue.mailed().len(), 1);
}

#[test]
fn backoff_doubles_from_30_seconds_to_at_most_6_hours() {
    let waits: Vec<i64> = (1..=12).map(backoff).collect();
    assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]);
}

#[test]
fn webhooks_carry_each_security_event_once_per_url_signed_the_standard_webhooks_way() {
    use crate::engine::ops::audit::{AuditEvent, AuditStore};
    use crate::engine::platform::ports::SystemRandom;
    use base64::Engine;
    let key = [7u8; 32];
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let config = config_with(|v| {
        v.insert("NOTIFICATION_WEBHOOK", "https://hooks.example/a, http://127.0.0.1:9/b".into());
        v.insert("NOTIFICATION_WEBHOOK_SECRET", secret.clone());
    });
    let f = Fixture { config, ..fixture() };
    for event in ["client.created", "client.secret_rotated", "user.login"] {
        let e = AuditEvent::new(event, &f.meta, NOW - 10, &SystemRandom).unwrap().resource("client", "app-1");
        block_on(f.store.record(&e)).unwrap();
    }
    assert!(super::webhooks::take_noted(), "writing client.created noted a webhook event");
    let out = TestOutbound::default();
    let created = block_on(Deliveries { rc: f.rc(&out, NOW) }.collect_webhooks()).unwrap();
    assert_eq!(created.len(), 2, "client.created to each URL; no secret rotation without NOTIFY_ON_SECRET_ROTATION");
    assert!(block_on(Deliveries { rc: f.rc(&out, NOW + 1) }.collect_webhooks()).unwrap().is_empty(), "once");
    let posted = out.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2);
    let (url, id, body) = &posted[0];
    assert_eq!(url, "https://hooks.example/a");
    let parsed: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (parsed["type"].as_str(), parsed["data"]["resource"]["id"].as_str()),
        (Some("client.created"), Some("app-1"))
    );
    let headers = out.signed.lock().unwrap()[0].clone();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(&header("webhook-id"), id, "the delivery id is the webhook id");
    let expected = super::webhooks::signature(&key, id, NOW, body).unwrap();
    assert_eq!(header("webhook-signature"), expected);
    assert_eq!(header("webhook-timestamp"), NOW.to_string());
}

#[test]
fn the_audit_push_sends_each_sink_the_log_in_order_one_batch_at_a_time_without_gaps() {
    use crate::engine::ops::audit::{AuditEvent, AuditStore};
    use crate::engine::platform::ports::SystemRandom;
    let config = config_with(|v| {
        v.insert("AUDIT_LOG_SPLUNK_URL", "https://splunk.example:8088".into());
        v.insert("AUDIT_LOG_SPLUNK_TOKEN", "hec-token-0123456789".into());
        v.insert("AUDIT_LOG_ELASTICSEARCH_URL", "https://es.example:9200/".into());
    });
    let f = Fixture { config, ..fixture() };
    let write = |event: &'static str, at: UnixTime| {
        let e = AuditEvent::new(event, &f.meta, at, &SystemRandom).unwrap();
        block_on(f.store.record(&e)).unwrap();
        e.id
    };
    let first = [write("user.login", NOW - 30), write("client.created", NOW - 20)];
    let out = TestOutbound::default();
    let made = block_on(Deliveries { rc: f.rc(&out, NOW) }.collect_audit_push()).unwrap();
    assert_eq!(made.len(), 2, "one batch per sink");
    let posted = out.posted.lock().unwrap().clone();
    assert_eq!(posted[0].0, "https://splunk.example:8088/services/collector/event");
    assert_eq!(posted[0].2.lines().count(), 2, "one HEC event per entry");
    assert!(posted[0].2.contains(&first[0]) && posted[0].2.contains(&first[1]));
    assert_eq!(posted[1].0, "https://es.example:9200/_bulk");
    assert!(posted[1].2.contains(&format!("\"_id\":\"{}\"", first[0])), "each entry under its own id: {}", posted[1].2);
    assert!(block_on(Deliveries { rc: f.rc(&out, NOW + 1) }.collect_audit_push()).unwrap().is_empty(), "nothing new");
    // A sink that fails holds its next batch back until the failed one is delivered.
    let down = TestOutbound { fail: true, ..Default::default() };
    let third = write("user.locked", NOW + 2);
    assert_eq!(block_on(Deliveries { rc: f.rc(&down, NOW + 3) }.collect_audit_push()).unwrap().len(), 2);
    write("key.rotated", NOW + 4);
    assert!(block_on(Deliveries { rc: f.rc(&down, NOW + 5) }.collect_audit_push()).unwrap().is_empty(), "in order");
    let up = TestOutbound::default();
    block_on(Deliveries { rc: f.rc(&up, NOW + 100) }.sweep()).unwrap();
    let resent = up.posted.lock().unwrap().clone();
    assert_eq!(resent.len(), 2);
    assert!(resent[0].2.contains(&third) && !resent[0].2.contains("key.rotated"), "the failed batch, as it was");
    let next = block_on(Deliveries { rc: f.rc(&up, NOW + 101) }.collect_audit_push()).unwrap();
    assert_eq!(next.len(), 2, "then the next one");
    assert!(up.posted.lock().unwrap().last().unwrap().2.contains("key.rotated"));
}

#[test]
fn syslog_messages_are_rfc5424_framed_by_octet_counting_in_json_or_cef() {
    use crate::engine::platform::config::AuditFormat;
    use shared::audit::AuditEntry;
    let entry = AuditEntry {
        id: "a1".into(),
        timestamp: "2026-12-07T14:00:00Z".into(),
        event: "user.login_failed".into(),
        actor_id: Some("u|1=x".into()),
        actor_type: Some("user".into()),
        resource_type: None,
        resource_id: None,
        ip_address: Some("203.0.113.9".into()),
        user_agent: None,
        metadata: serde_json::json!({}),
    };
    let frame = super::audit_push::syslog_frame(&entry, "auth.example.com", AuditFormat::Json);
    let (length, message) = frame.split_once(' ').unwrap();
    assert_eq!(length.parse::<usize>().unwrap(), message.len(), "RFC 6587 §3.4.1");
    assert!(message.starts_with("<85>1 2026-12-07T14:00:00Z auth.example.com authority - user.login_failed - {"));
    let cef = super::audit_push::cef(&entry);
    assert!(cef.starts_with("CEF:0|Authority|Authority|1.0|user.login_failed|user.login_failed|7|"), "{cef}");
    assert!(cef.contains("suser=u|1\\=x") && cef.contains("src=203.0.113.9"), "{cef}");
}

#[test]
fn cloudflare_send_email_gets_the_same_mime_message_from_the_sender_address() {
    let mut f = fixture();
    f.config.mail.provider = MailProvider::Cloudflare;
    let outbound = TestOutbound::default();
    f.reset_mail(&outbound);
    let sent = outbound.mailed();
    let id = f.row()["id"].as_str().unwrap().to_owned();
    assert_eq!(sent.len(), 1);
    let (envelope, message) = sent[0].split_once('\n').unwrap();
    assert_eq!(envelope, format!("{} -> ada@example.com", f.config.mail.from_address));
    assert!(message.contains(&format!("Message-ID: <{id}@127.0.0.1>")), "{message}");
    assert!(message.contains("multipart/alternative") && message.contains("token=SECRET123"));
    assert_eq!(f.row()["status"].as_str(), Some("delivered"));
}

#[test]
fn cloudflare_send_email_refusing_an_address_leaves_the_delivery_pending_with_its_reason() {
    let mut f = fixture();
    f.config.mail.provider = MailProvider::Cloudflare;
    let outbound = TestOutbound { fail: true, ..TestOutbound::default() };
    f.reset_mail(&outbound);
    let row = f.row();
    assert_eq!(row["status"].as_str(), Some("pending"));
    assert!(row["last_error"].as_str().unwrap().contains("not allowed"), "{row}");
}
