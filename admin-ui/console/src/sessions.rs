//! `/admin/sessions`: who is signed in where, over the admin API on sessions. Ending a
//! session takes effect on its next request; the server refuses an admin who tries to
//! end a super_admin's, and says so here.

use leptos::prelude::*;
use shared::account::Page;
use shared::admin::{AdminSession, SessionMetrics, SessionsEnded};
use shared::paths;

use crate::admin::{paged, StatusLine};
use crate::calls::{act, call, date, encode};

type Status = RwSignal<Option<Result<String, String>>>;

#[component]
pub fn SessionsList() -> impl IntoView {
    const PAGE: u32 = 25;
    let ip = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let sessions = LocalResource::new(move || {
        let (ip, offset, _) = (ip.get(), offset.get(), reload.get());
        async move {
            let path = format!("{}?limit={PAGE}&offset={offset}&ip={}", paths::SESSIONS, encode(ip.trim()));
            call::<Page<AdminSession>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    let metrics = LocalResource::new(move || {
        reload.track();
        async move {
            call::<SessionMetrics>("GET", paths::SESSION_METRICS, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        <h1>"Sessions"</h1>
        <section class="card" aria-labelledby="session-counts">
            <h2 id="session-counts">"Signed in now"</h2>
            {move || match metrics.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(m)) => view! {
                    <dl class="facts">
                        <dt>"Live sessions"</dt><dd>{m.active_sessions}</dd>
                        <dt>"People signed in"</dt><dd>{m.unique_users}</dd>
                        <dt>"Started today (UTC)"</dt><dd>{m.sessions_today}</dd>
                        <dt>"Started in the last hour"</dt><dd>{m.created_last_hour}</dd>
                        <dt>"Started in the last 24 hours"</dt><dd>{m.created_last_24h}</dd>
                        <dt>"Started in the last 30 days"</dt><dd>{m.created_last_30d}</dd>
                    </dl>
                }.into_any(),
            }}
        </section>
        <BulkEnd status=status reload=reload/>
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Live sessions"</h2>
            <div class="filters">
                <label for="session-ip">"IP address"</label>
                <input id="session-ip" type="search" placeholder="203.0.113.7" prop:value=ip
                    on:input=move |ev| { offset.set(0); ip.set(event_target_value(&ev)); }/>
            </div>
            <StatusLine status=status/>
            {move || paged(sessions.get(), "No live sessions match.", offset, PAGE, ("Previous", "Next"), |data| view! {
                        <table class="table">
                            <caption class="sr-only">"Live sessions"</caption>
                            <thead><tr>
                                <th scope="col">"Person"</th><th scope="col">"IP address"</th><th scope="col">"Device"</th>
                                <th scope="col">"Signed in"</th><th scope="col">"Last seen"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>{data.into_iter().map(|s| view! { <SessionRow session=s status=status reload=reload/> }).collect_view()}</tbody>
                        </table>
                        }.into_any())}
        </section>
    }
}

#[component]
fn SessionRow(session: AdminSession, status: Status, reload: RwSignal<u32>) -> impl IntoView {
    let path = format!("{}/{}", paths::SESSIONS, encode(&session.id));
    let who = session.email.clone();
    let label = format!("End {}'s session from {}", session.email, session.ip_address.clone().unwrap_or_default());
    let end = move |_| {
        if window().confirm_with_message(&format!("Sign {who} out of this browser?")).unwrap_or(false) {
            act("DELETE", path.clone(), None, format!("{who} is signed out of that browser."), status, reload);
        }
    };
    view! {
        <tr>
            <td>{session.email.clone()}</td>
            <td>{session.ip_address.clone().unwrap_or_default()}{session.location.clone().map(|l| format!(" ({l})"))}</td>
            <td title=session.user_agent.clone().unwrap_or_default()>{session.device.clone().or(session.user_agent.clone()).unwrap_or_default()}</td>
            <td>{date(session.created_at)}</td>
            <td>{date(session.last_seen_at)}</td>
            <td class="actions"><button type="button" class="btn btn-ghost" aria-label=label on:click=end>"End"</button></td>
        </tr>
    }
}

/// Ends every session older than some days, or from one address.
#[component]
fn BulkEnd(status: Status, reload: RwSignal<u32>) -> impl IntoView {
    let days = RwSignal::new(String::from("30"));
    let ip = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let run = move |query: String, question: String| {
        if busy.get_untracked() || !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call::<SessionsEnded>("DELETE", &format!("{}?{query}", paths::SESSIONS), None).await {
                Ok(ended) => {
                    let n = ended.map_or(0, |e| e.ended);
                    status.set(Some(Ok(format!("{n} session(s) ended."))));
                    reload.update(|r| *r += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let by_age = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = days.get_untracked().trim().to_owned();
        run(format!("older_than={}d", encode(&d)), format!("End every session started more than {d} days ago?"));
    };
    // A super_admin's call (the server refuses anyone else, and this screen says why):
    // every session ends, this one last, so everyone signs in again, the caller too.
    let everything = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run("all=true".into(), "End every session, yours included? Everyone will have to sign in again.".into());
    };
    let by_ip = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = ip.get_untracked().trim().to_owned();
        run(format!("ip={}", encode(&a)), format!("End every session from {a}?"));
    };
    view! {
        <section class="card" aria-labelledby="bulk-title">
            <h2 id="bulk-title">"End many"</h2>
            <form class="filters" on:submit=by_age aria-label="End sessions by age">
                <label for="bulk-days">"Started more than this many days ago"</label>
                <input id="bulk-days" type="number" min="1" required prop:value=days on:input=move |ev| days.set(event_target_value(&ev))/>
                <button type="submit" class="btn btn-ghost" disabled=busy>"End old sessions"</button>
            </form>
            <form class="filters" on:submit=by_ip aria-label="End sessions by address">
                <label for="bulk-ip">"From this IP address"</label>
                <input id="bulk-ip" type="text" required prop:value=ip on:input=move |ev| ip.set(event_target_value(&ev))/>
                <button type="submit" class="btn btn-ghost" disabled=busy>"End sessions from this address"</button>
            </form>
            <form class="filters" on:submit=everything aria-label="End every session">
                <p class="muted">"Every session of everyone, yours last (a super_admin's call): after a break-in or a leaked key."</p>
                <button type="submit" class="btn btn-danger" disabled=busy>"End every session"</button>
            </form>
        </section>
    }
}
