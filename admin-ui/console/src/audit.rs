//! `/admin/audit`: the audit log, filtered and paged, each entry's details on demand, and
//! exports (CSV, NDJSON) of whatever the filters select, over the admin API.

use leptos::prelude::*;
use shared::account::Page;
use shared::audit::AuditEntry;
use shared::paths;
use ui_components::api::fetch;
use wasm_bindgen::JsCast;

use crate::admin::{paged, StatusLine};
use crate::auth;
use crate::calls::{call, encode};

/// The query string of the filters (`event`, `from`, `to`; empty ones left out).
fn filter_query(event: &str, from: &str, to: &str) -> String {
    [("event", event), ("from", from), ("to", to)]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("&{k}={}", encode(v.trim())))
        .collect()
}

/// Fetches an export with the admin's token and hands it to the browser as a download.
async fn download(format: &'static str, query: String) -> Result<(), String> {
    let token = auth::current().map(|s| s.access_token).ok_or("Your admin session has ended; reload the page.")?;
    let bearer = format!("Bearer {token}");
    let path = format!("{}/export?format={format}{query}", paths::AUDIT_LOGS);
    let reply = fetch("GET", &path, &[("Authorization", &bearer)], None).await?;
    if !reply.ok() {
        return Err(reply.failure());
    }
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&reply.body));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(if format == "csv" { "text/csv" } else { "application/x-ndjson" });
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "The file could not be made.")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "The file could not be made.")?;
    let link = document().create_element("a").map_err(|_| "The file could not be made.")?;
    let link: web_sys::HtmlAnchorElement = link.dyn_into().map_err(|_| "The file could not be made.")?;
    link.set_href(&url);
    link.set_download(&format!("audit-log.{format}"));
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

#[component]
pub fn AuditLog() -> impl IntoView {
    const PAGE: u32 = 25;
    let event = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let status = RwSignal::new(None::<Result<String, String>>);
    let entries = LocalResource::new(move || {
        let (query, offset) = (filter_query(&event.get(), &from.get(), &to.get()), offset.get());
        async move {
            let path = format!("{}?limit={PAGE}&offset={offset}{query}", paths::AUDIT_LOGS);
            call::<Page<AuditEntry>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    let export = move |format: &'static str| {
        let query = filter_query(&event.get_untracked(), &from.get_untracked(), &to.get_untracked());
        status.set(Some(Ok(format!("Exporting {}…", format.to_uppercase()))));
        leptos::task::spawn_local(async move {
            match download(format, query).await {
                Ok(()) => status.set(Some(Ok(format!("The {} export is downloaded.", format.to_uppercase())))),
                Err(e) => status.set(Some(Err(e))),
            }
        });
    };
    let input = |id: &'static str, label: &'static str, kind: &'static str, signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=signal on:input=move |ev| { offset.set(0); signal.set(event_target_value(&ev)); }/>
        }
    };
    view! {
        <h1>"Audit log"</h1>
        <section class="card" aria-labelledby="audit-title">
            <h2 id="audit-title" class="sr-only">"Entries"</h2>
            <div class="filters">
                {input("audit-event", "Event", "text", event)}
                {input("audit-from", "From", "date", from)}
                {input("audit-to", "Before", "date", to)}
                <button type="button" class="btn" on:click=move |_| export("csv")>"Export CSV"</button>
                <button type="button" class="btn" on:click=move |_| export("ndjson")>"Export NDJSON"</button>
            </div>
            <StatusLine status=status/>
            {move || paged(entries.get(), "No entries match.", offset, PAGE, ("Newer", "Older"), |data| view! {
                        <ul class="rows" aria-label="Audit entries">
                            {data.into_iter().map(|e| {
                                let actor = format!("{} {}", e.actor_type.clone().unwrap_or_default(), e.actor_id.clone().unwrap_or_default());
                                let resource = format!("{} {}", e.resource_type.clone().unwrap_or_default(), e.resource_id.clone().unwrap_or_default());
                                let details = serde_json::to_string_pretty(&e.metadata).unwrap_or_default();
                                view! {
                                    <li class="row">
                                        <details>
                                            <summary>
                                                <strong>{e.event.clone()}</strong>
                                                <span class="muted">{format!(" · {} · {actor} · {resource}", e.timestamp)}</span>
                                            </summary>
                                            <dl class="facts">
                                                <dt>"ID"</dt><dd><code>{e.id.clone()}</code></dd>
                                                <dt>"IP address"</dt><dd>{e.ip_address.clone().unwrap_or_default()}</dd>
                                                <dt>"Browser"</dt><dd>{e.user_agent.clone().unwrap_or_default()}</dd>
                                            </dl>
                                            <pre class="mail-text">{details}</pre>
                                        </details>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        }.into_any())}
        </section>
    }
}
