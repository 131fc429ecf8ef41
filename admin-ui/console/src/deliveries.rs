//! `/admin/deliveries`: what the server is sending to other machines (docs/delivery.md):
//! pending deliveries with their last error and next attempt, delivered ones, and dead
//! letters, each not delivered with a Retry button (`POST /api/deliveries/{id}/retry`);
//! filtered by status and kind (mail, webhooks, audit push, back-channel logout).

use leptos::prelude::*;
use shared::account::Page;
use shared::deliveries::{Delivery, MailTestResult};
use shared::paths;

use crate::admin::{paged, StatusLine};
use crate::calls::{act, call, encode};

type Status = RwSignal<Option<Result<String, String>>>;

/// A time for people, date and hour, in the browser's locale.
fn when(t: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0));
    String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[component]
pub fn DeliveriesList() -> impl IntoView {
    const PAGE: u32 = 25;
    let filter = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let deliveries = LocalResource::new(move || {
        let (filter, kind, offset, _) = (filter.get(), kind.get(), offset.get(), reload.get());
        async move {
            let mut path = format!("{}?limit={PAGE}&offset={offset}", paths::DELIVERIES);
            if !filter.is_empty() {
                path.push_str(&format!("&status={}", encode(&filter)));
            }
            if !kind.is_empty() {
                path.push_str(&format!("&kind={}", encode(&kind)));
            }
            call::<Page<Delivery>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        <h1>"Deliveries"</h1>
        <p class="muted">"What the server sends through the Queue — mail, webhooks, audit batches, back-channel \
            Logout Tokens — newest first. A failed attempt is retried with a growing wait; after eight, the \
            delivery is dead until someone retries it here."</p>
        <TestSend reload=reload/>
        <section class="card" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">"Messages"</h2>
            <div class="filters">
                <label for="delivery-status">"Status"</label>
                <select id="delivery-status" prop:value=filter on:change=move |ev| { offset.set(0); filter.set(event_target_value(&ev)); }>
                    <option value="">"all"</option>
                    <option value="pending">"pending"</option>
                    <option value="dead">"dead"</option>
                    <option value="delivered">"delivered"</option>
                </select>
                <label for="delivery-kind">"Kind"</label>
                <select id="delivery-kind" prop:value=kind on:change=move |ev| { offset.set(0); kind.set(event_target_value(&ev)); }>
                    <option value="">"all"</option>
                    <option value="mail">"mail"</option>
                    <option value="webhook">"webhooks"</option>
                    <option value="audit">"audit push"</option>
                    <option value="logout">"back-channel logout"</option>
                </select>
            </div>
            <StatusLine status=status/>
            {move || paged(deliveries.get(), "Nothing to show.", offset, PAGE, ("Newer", "Older"), |data| view! {
                <table class="table">
                    <caption class="sr-only">"Deliveries"</caption>
                    <thead><tr>
                        <th scope="col">"What"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th>
                        <th scope="col">"Last error"</th><th scope="col">"Written"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>{data.into_iter().map(|d| view! { <DeliveryRow delivery=d status=status reload=reload/> }).collect_view()}</tbody>
                </table>
            }.into_any())}
        </section>
    }
}

#[component]
fn DeliveryRow(delivery: Delivery, status: Status, reload: RwSignal<u32>) -> impl IntoView {
    let path = format!("{}/{}/retry", paths::DELIVERIES, encode(&delivery.id));
    let summary = delivery.summary.clone();
    let state = match (delivery.status.as_str(), delivery.next_attempt_at) {
        ("pending", Some(next)) => format!("pending (next attempt {})", when(next)),
        (other, _) => other.to_owned(),
    };
    let retry = (delivery.status != "delivered").then(|| {
        let label = format!("Retry {summary} now");
        let done = format!("{summary}: attempted again.");
        let path = path.clone();
        view! {
            <button type="button" class="btn btn-ghost" aria-label=label
                on:click=move |_| act("POST", path.clone(), None, done.clone(), status, reload)>"Retry now"</button>
        }
    });
    view! {
        <tr>
            <td>{delivery.summary.clone()}</td>
            <td>{state}</td>
            <td>{delivery.attempts}</td>
            <td>{delivery.last_error.clone().unwrap_or_default()}</td>
            <td>{when(delivery.created_at)}</td>
            <td class="actions">{retry.map(IntoAny::into_any).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
        </tr>
    }
}

/// A test message through the configured transport (a super_admin's call), and what the
/// transport answered.
#[component]
fn TestSend(reload: RwSignal<u32>) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let status: Status = RwSignal::new(None);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = serde_json::json!({ "to": to.get_untracked() });
        leptos::task::spawn_local(async move {
            let answer = call::<MailTestResult>("POST", paths::MAIL_TEST, Some(body)).await;
            status.set(Some(match answer {
                Ok(Some(r)) if r.delivered => Ok(format!("Sent ({}): {}", r.provider, r.answer.unwrap_or_default())),
                Ok(Some(r)) => Err(format!(
                    "Not sent ({}): {}. It is retried like any delivery.",
                    r.provider,
                    r.error.unwrap_or_default()
                )),
                Ok(None) => Err("No answer.".into()),
                Err(e) => Err(e),
            }));
            busy.set(false);
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="card" aria-labelledby="test-send-title">
            <h2 id="test-send-title">"Test the mail transport"</h2>
            <form class="form inline" on:submit=send aria-label="Send a test message">
                <label for="test-to">"Send a test message to"</label>
                <input id="test-to" type="email" required=true prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Send test"</button>
            </form>
            <StatusLine status=status/>
        </section>
    }
}
