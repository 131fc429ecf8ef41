//! Operational metrics for `/metrics` (Prometheus text exposition format 0.0.4).
//!
//! Counters are counted in the isolate as things happen ([`count`]: tokens issued by grant
//! and client, token errors by code, audit events by name — sign-ins, failures, lockouts
//! among them — and rate-limit refusals by bucket) and added to D1's `metric_counters`
//! (migrations/0011) by one UPSERT batch at most every [`FLUSH_SECONDS`], run after the
//! answer (`ctx.waitUntil`): the token path gains no storage round trip, and the figures
//! survive isolates. The price: an isolate evicted between flushes loses at most its
//! last [`FLUSH_SECONDS`] of counts. Gauges (live sessions, users, clients, locked
//! accounts, the signing key's age) are read from the tables when `/metrics` is scraped.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, SqlRunner, Statement, UnixTime};
use crate::engine::tables::metric_counters::{self, CounterRow};
use crate::engine::tables::{self, GaugeRow};

/// How often an isolate adds its counts to D1 at most.
pub const FLUSH_SECONDS: UnixTime = 10;

/// Counts waiting for the next flush past this many distinct series flush at once.
const FLUSH_SERIES: usize = 200;

/// `(name, labels)` → count. Labels are already rendered (`grant="password",client="x"`).
type Series = BTreeMap<(&'static str, String), i64>;

thread_local! {
    static PENDING: RefCell<Series> = const { RefCell::new(BTreeMap::new()) };
    static LAST_FLUSH: RefCell<UnixTime> = const { RefCell::new(0) };
}

/// The counters and what each counts (the `# HELP` lines).
const COUNTERS: &[(&str, &str)] = &[
    ("authority_tokens_issued_total", "Tokens issued at /token, by grant type and client."),
    ("authority_token_errors_total", "Refused /token requests, by OAuth error code."),
    ("authority_audit_events_total", "Audit log entries written, by event."),
    ("authority_rate_limited_total", "Requests refused with 429, by rate-limit bucket."),
];

/// A Prometheus label value: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Counts one event of the counter `name` (one of [`COUNTERS`]) with these labels.
pub fn count(name: &'static str, labels: &[(&str, &str)]) {
    let rendered = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect::<Vec<_>>().join(",");
    PENDING.with(|p| *p.borrow_mut().entry((name, rendered)).or_insert(0) += 1);
}

/// The UPSERTs of this isolate's counts when a flush is due (and then forgets them), or
/// `None`. A failed flush loses those counts; metrics never fail a request.
pub fn take_due(now: UnixTime) -> Option<Vec<Statement<'static>>> {
    let due =
        LAST_FLUSH.with(|l| now - *l.borrow() >= FLUSH_SECONDS) || PENDING.with(|p| p.borrow().len() >= FLUSH_SERIES);
    if !due || PENDING.with(|p| p.borrow().is_empty()) {
        return None;
    }
    LAST_FLUSH.with(|l| *l.borrow_mut() = now);
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    Some(pending.into_iter().map(|((name, labels), n)| metric_counters::add(name, &labels, n, now)).collect())
}

/// Runs the statements [`take_due`] gave.
pub async fn flush(store: &impl SqlRunner, statements: &[Statement<'static>]) -> Result<(), InternalError> {
    store.batch(statements).await.map(|_| ())
}

/// The exposition at `now`: D1's counters plus this isolate's unflushed counts, then the
/// gauges; one round trip.
pub async fn render(store: &impl SqlRunner, config: &Config, now: UnixTime) -> Result<String, InternalError> {
    let idle_cutoff = now - i64::from(config.sessions.idle_timeout_minutes) * 60;
    let statements = [metric_counters::all(), tables::gauges(now, idle_cutoff)];
    let mut results = store.query_batch(&statements).await?.into_iter();
    let (counter_rows, gauge_rows) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
    let mut series: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in counter_rows {
        let r: CounterRow = crate::engine::platform::json::row(row, "counter")?;
        *series.entry((r.name, r.labels)).or_insert(0) += int(r.value);
    }
    PENDING.with(|p| {
        for ((name, labels), n) in p.borrow().iter() {
            *series.entry(((*name).to_owned(), labels.clone())).or_insert(0) += n;
        }
    });
    let mut out = String::new();
    for (name, help) in COUNTERS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for ((_, labels), value) in series.iter().filter(|((n, _), _)| n == name) {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
    let gauges: GaugeRow = gauge_rows
        .into_iter()
        .next()
        .map(|r| crate::engine::platform::json::row(r, "gauge"))
        .transpose()?
        .ok_or_else(|| InternalError::new("gauges: no row"))?;
    let key_age = gauges.key_created_at.map_or(0, |at| (now - int(at)).max(0));
    for (name, help, value) in [
        ("authority_active_sessions", "Live browser sessions.", int(gauges.sessions)),
        ("authority_users", "Active user accounts.", int(gauges.users)),
        ("authority_locked_users", "Accounts whose password sign-in is locked now.", int(gauges.locked)),
        ("authority_clients", "Registered OAuth clients.", int(gauges.clients)),
        ("authority_signing_key_age_seconds", "Age of the active signing key.", key_age),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::config_with;
    use crate::native::SqliteStore;

    #[test]
    fn counters_add_up_across_flushes_and_render_as_prometheus_text() {
        let store = SqliteStore::open_in_memory().unwrap();
        let config = config_with(|_| {});
        count("authority_tokens_issued_total", &[("grant", "client_credentials"), ("client", "svc")]);
        count("authority_tokens_issued_total", &[("grant", "client_credentials"), ("client", "svc")]);
        count("authority_token_errors_total", &[("error", "invalid_\"client\n")]);
        let first = take_due(1_000).expect("the first flush is due at once");
        pollster::block_on(flush(&store, &first)).unwrap();
        count("authority_tokens_issued_total", &[("grant", "client_credentials"), ("client", "svc")]);
        assert!(take_due(1_005).is_none(), "not again within FLUSH_SECONDS");
        let text = pollster::block_on(render(&store, &config, 1_005)).unwrap();
        assert!(
            text.contains("authority_tokens_issued_total{grant=\"client_credentials\",client=\"svc\"} 3"),
            "{text}"
        );
        assert!(text.contains("authority_token_errors_total{error=\"invalid_\\\"client\\n\"} 1"), "{text}");
        assert!(text.contains("# TYPE authority_active_sessions gauge\nauthority_active_sessions 0"));
        let second = take_due(1_010).unwrap();
        pollster::block_on(flush(&store, &second)).unwrap();
        let text = pollster::block_on(render(&store, &config, 1_010)).unwrap();
        assert!(text.contains("client=\"svc\"} 3"), "flushed counts are not counted twice: {text}");
        // Every sample line is `name{labels} value` or `name value` of a declared metric.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{line}");
        }
    }
}
