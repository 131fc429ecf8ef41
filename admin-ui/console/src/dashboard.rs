//! `/admin`: the server's health, how many people, apps and sessions there are, sign-ins
//! and failures over the last day and month (SVG bar charts, with the numbers in a table
//! for screen readers and keyboards), and the latest audit entries. All from the admin
//! API; nothing the console could read that a script could not.

use leptos::prelude::*;
use shared::account::Page;
use shared::admin::{AdminUser, SessionMetrics, SignInStats};
use shared::api::{CheckState, HealthReport, HealthStatus};
use shared::audit::AuditEntry;
use shared::clients::ClientSummary;
use shared::paths;
use ui_components::api::get_json;
use ui_components::branding::branding;

use crate::calls::call;

fn check_label(state: CheckState) -> &'static str {
    match state {
        CheckState::Ok => "OK",
        CheckState::Down => "Down",
    }
}

async fn total<T: serde::de::DeserializeOwned>(path: &str) -> Result<u64, String> {
    let page = call::<Page<T>>("GET", &format!("{path}?limit=1"), None).await?;
    Ok(page.map_or(0, |p| p.total))
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let health = LocalResource::new(|| get_json::<HealthReport>("/health"));
    let users = LocalResource::new(|| total::<AdminUser>(paths::USERS));
    let clients = LocalResource::new(|| total::<ClientSummary>(paths::CLIENTS));
    let sessions = LocalResource::new(|| call::<SessionMetrics>("GET", paths::SESSION_METRICS, None));
    let count = |r: Option<Result<u64, String>>| match r {
        Some(Ok(n)) => n.to_string(),
        Some(Err(_)) => "—".into(),
        None => "…".into(),
    };
    let issuer = move || match branding().config.get() {
        Some(Ok(c)) => c.issuer,
        _ => String::new(),
    };
    view! {
        <h1>"Dashboard"</h1>
        <section class="card" aria-labelledby="counts-title">
            <h2 id="counts-title">"At a glance"</h2>
            <dl class="facts">
                <dt>"Users"</dt><dd>{move || count(users.get())}</dd>
                <dt>"Clients"</dt><dd>{move || count(clients.get())}</dd>
                <dt>"Live sessions"</dt>
                <dd>{move || count(sessions.get().map(|r| r.map(|m| m.map_or(0, |m| m.active))))}</dd>
            </dl>
        </section>
        <SignInChart period="24h" title="Sign-ins per hour, last 24 hours"/>
        <SignInChart period="30d" title="Sign-ins per day, last 30 days"/>
        <RecentEvents/>
        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">"Server status"</h2>
            {move || match health.get() {
                None => view! { <p class="muted">"Checking…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(report)) => view! {
                    <p class=if report.status == HealthStatus::Ok { "ok" } else { "error" }>
                        {if report.status == HealthStatus::Ok { "All systems operational" } else { "Degraded" }}
                    </p>
                    <dl class="facts">
                        <dt>"Configuration"</dt><dd>{check_label(report.checks.config)}</dd>
                        <dt>"Database (D1)"</dt><dd>{check_label(report.checks.d1)}</dd>
                        <dt>"Key-value store (KV)"</dt><dd>{check_label(report.checks.kv)}</dd>
                    </dl>
                }.into_any(),
            }}
        </section>
        <section class="card" aria-labelledby="issuer-title">
            <h2 id="issuer-title">"Issuer"</h2>
            <dl class="facts">
                <dt>"Issuer"</dt><dd><code>{issuer}</code></dd>
                <dt>"Discovery"</dt><dd><a href="/.well-known/openid-configuration">"/.well-known/openid-configuration"</a></dd>
                <dt>"JWKS"</dt><dd><a href="/.well-known/jwks.json">"/.well-known/jwks.json"</a></dd>
            </dl>
        </section>
    }
}

/// A bucket's label: the hour (24h) or the day of the month (30d), in the browser's zone.
fn label(start: i64, hourly: bool) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(start as f64 * 1000.0));
    if hourly {
        format!("{:02}:00", d.get_hours())
    } else {
        format!("{}/{}", d.get_date(), d.get_month() + 1)
    }
}

/// Sign-ins (primary colour) and failures (red) as side-by-side bars per bucket.
#[component]
fn SignInChart(period: &'static str, title: &'static str) -> impl IntoView {
    let stats = LocalResource::new(move || async move {
        call::<SignInStats>("GET", &format!("{}?period={period}", paths::SIGN_IN_METRICS), None).await
    });
    let id = format!("chart-{period}");
    view! {
        <section class="card" aria-labelledby=id.clone()>
            <h2 id=id.clone()>{title}</h2>
            {move || match stats.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(None)) => view! { <p class="muted">"No answer."</p> }.into_any(),
                Some(Ok(Some(s))) => chart(&s, title).into_any(),
            }}
        </section>
    }
}

fn chart(stats: &SignInStats, title: &'static str) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 20.0;
    let hourly = stats.bucket_seconds == 3_600;
    let n = stats.buckets.len().max(1) as f64;
    let max = stats.buckets.iter().map(|b| b.sign_ins.max(b.failures)).max().unwrap_or(0).max(1) as f64;
    let slot = W / n;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let height = |v: u64| (v as f64 / max) * (H - TOP - BOTTOM);
    let (total_ok, total_failed): (u64, u64) =
        stats.buckets.iter().fold((0, 0), |(a, b), x| (a + x.sign_ins, b + x.failures));
    let summary =
        format!("{title}: {total_ok} sign-ins and {total_failed} failures in all; the busiest bucket had {max}.");
    let bars = stats
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = i as f64 * slot;
            let (ok_h, failed_h) = (height(b.sign_ins), height(b.failures));
            let tip = format!("{}: {} sign-ins, {} failures", label(b.start, hourly), b.sign_ins, b.failures);
            let last = i + 1 == stats.buckets.len();
            let show_label = i == 0 || last || i as f64 == (n / 2.0).floor();
            let (label_x, anchor) = if last { (x + slot, "end") } else { (x, "start") };
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="bar-ok" x=x y=H - BOTTOM - ok_h width=bar height=ok_h/>
                    <rect class="bar-failed" x=x + bar + 1.0 y=H - BOTTOM - failed_h width=bar height=failed_h/>
                    {show_label.then(|| view! { <text class="chart-label" x=label_x y=H - 4.0 text-anchor=anchor>{label(b.start, hourly)}</text> })}
                </g>
            }
        })
        .collect_view();
    let rows = stats
        .buckets
        .iter()
        .map(|b| view! { <tr><td>{label(b.start, hourly)}</td><td>{b.sign_ins}</td><td>{b.failures}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone() preserveAspectRatio="none">
                <text class="chart-label" x="0" y="10">{format!("max {max}")}</text>
                {bars}
            </svg>
            <figcaption class="muted">
                <span class="legend-ok">"■ sign-ins"</span>" "<span class="legend-failed">"■ failures"</span>
            </figcaption>
            <details>
                <summary>"Show the numbers"</summary>
                <table class="table">
                    <caption class="sr-only">{summary}</caption>
                    <thead><tr><th scope="col">{if hourly { "Hour" } else { "Day" }}</th><th scope="col">"Sign-ins"</th><th scope="col">"Failures"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// The latest audit entries, linking to the Audit log screen.
#[component]
fn RecentEvents() -> impl IntoView {
    let events = LocalResource::new(|| async {
        call::<Page<AuditEntry>>("GET", &format!("{}?limit=8", paths::AUDIT_LOGS), None).await
    });
    view! {
        <section class="card" aria-labelledby="recent-title">
            <h2 id="recent-title">"Recent security events"</h2>
            {move || match events.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(page)) => {
                    let entries = page.map(|p| p.data).unwrap_or_default();
                    view! {
                        <ul class="events" aria-label="Recent security events">
                            {entries.into_iter().map(|e| view! {
                                <li><strong>{e.event}</strong>" "<span class="muted">{e.timestamp}" "{e.actor_id.unwrap_or_default()}</span></li>
                            }).collect_view()}
                        </ul>
                        <a href="/admin/audit">"The whole audit log"</a>
                    }.into_any()
                }
            }}
        </section>
    }
}
