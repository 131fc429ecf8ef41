//! `/admin/settings`: every setting's effective value and where it comes from, over the
//! admin API on settings. The run-time ones can be changed here (a super_admin's call; the
//! server checks each value by the rules of the deployment's own variables and names the
//! one it refuses); the others are the deployment's to change.

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::admin::Setting;
use shared::paths;

use crate::admin::StatusLine;
use crate::calls::{call, date};

type Status = RwSignal<Option<Result<String, String>>>;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let settings = LocalResource::new(move || {
        reload.track();
        async move { call::<Vec<Setting>>("GET", paths::SETTINGS, None).await?.ok_or_else(|| "No answer.".to_string()) }
    });
    view! {
        <h1>"Settings"</h1>
        <p class="muted">"Run-time settings are stored in the database and override the deployment's values; \
            every isolate picks a change up within 30 seconds."</p>
        <StatusLine status=status/>
        {move || match settings.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(list)) => {
                let (unread, list): (Vec<Setting>, Vec<Setting>) = list.into_iter().partition(|s| s.source == "unread");
                let (runtime, fixed): (Vec<Setting>, Vec<Setting>) = list.into_iter().partition(|s| s.runtime);
                // The brand has its own card, with a preview; the rest are one table.
                let (brand, runtime): (Vec<Setting>, Vec<Setting>) = runtime
                    .into_iter()
                    .partition(|s| crate::branding_form::FIELDS.iter().any(|(name, _)| *name == s.name));
                let unread = (!unread.is_empty()).then(|| view! {
                    <section class="card warning" aria-labelledby="unread-title">
                        <h2 id="unread-title">"Set, but not read by this server"</h2>
                        <p>"These settings of the product documentation are set in this deployment and change nothing here."</p>
                        <table class="table">
                            <caption class="sr-only">"Settings this server does not read"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Instead"</th></tr></thead>
                            <tbody>{unread.into_iter().map(|s| view! {
                                <tr><td><code>{s.name}</code></td><td>{s.instead.unwrap_or_default()}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    </section>
                });
                view! {
                    {unread}
                    <crate::branding_form::BrandingCard settings=brand status=status reload=reload/>
                    <RuntimeForm settings=runtime status=status reload=reload/>
                    <section class="card" aria-labelledby="fixed-title">
                        <h2 id="fixed-title">"Set by the deployment"</h2>
                        <table class="table">
                            <caption class="sr-only">"Settings set by the deployment"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Value"</th><th scope="col">"Source"</th></tr></thead>
                            <tbody>{fixed.into_iter().map(|s| view! {
                                <tr><td><code>{s.name}</code></td><td>{s.value.unwrap_or_default()}</td><td>{s.source}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    </section>
                }.into_any()
            }
        }}
    }
}

/// The run-time settings as one form: changed fields are sent together; "Use the
/// deployment's value" sends `null` for one.
#[component]
fn RuntimeForm(settings: Vec<Setting>, status: Status, reload: RwSignal<u32>) -> impl IntoView {
    let edits: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let busy = RwSignal::new(false);
    // An ADMIN_ALLOWED_IPS that leaves out this admin's own address waits for a confirmation
    // naming it (docs/security.md, "The admin API"): the change, the done message, the address.
    let lockout = RwSignal::new(None::<(serde_json::Value, String, String)>);
    let send = move |body: serde_json::Value, done: String| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call::<Vec<Setting>>("PATCH", paths::SETTINGS, Some(body.clone())).await {
                Ok(_) => {
                    status.set(Some(Ok(done)));
                    edits.set(BTreeMap::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    let address = e
                        .split_once("your address ")
                        .and_then(|(_, rest)| rest.split_once(':'))
                        .map(|(a, _)| a.to_owned());
                    if let Some(address) = address.filter(|_| e.contains("confirm_lockout")) {
                        lockout.set(Some((body, done, address)));
                    }
                    status.set(Some(Err(e)));
                }
            }
            busy.set(false);
        });
    };
    let apply_anyway = move |_| {
        if let Some((mut body, done, address)) = lockout.get_untracked() {
            lockout.set(None);
            if let Some(map) = body.as_object_mut() {
                map.insert("confirm_lockout".into(), serde_json::Value::String(address));
            }
            send(body, done);
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes = edits.get_untracked();
        if changes.is_empty() || busy.get_untracked() {
            return;
        }
        let names = changes.keys().cloned().collect::<Vec<_>>().join(", ");
        send(serde_json::json!(changes), format!("Saved: {names}."));
    };
    view! {
        <section class="card" aria-labelledby="runtime-title">
            <h2 id="runtime-title">"Run-time settings"</h2>
            <form class="form" on:submit=on_submit aria-labelledby="runtime-title">
                <table class="table">
                    <caption class="sr-only">"Run-time settings"</caption>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Value"</th><th scope="col">"Source"</th><th scope="col">"Actions"</th></tr></thead>
                    <tbody>{settings.into_iter().map(|s| {
                        let name = s.name.clone();
                        let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
                        // A secret is write-only: an empty password field, "set" as its hint.
                        let secret = s.secret;
                        let shown = if secret { String::new() } else { s.value.clone().unwrap_or_default() };
                        let hint = if secret && s.value.is_some() { "set (type to replace)" } else { "" };
                        let source = match (s.source.as_str(), s.updated_at) {
                            ("database", Some(at)) => format!("changed {} by {}", date(at), s.updated_by.clone().unwrap_or_default()),
                            (other, _) => other.to_owned(),
                        };
                        let from_db = s.source == "database";
                        let reset = move |_| send(serde_json::json!({ n3.clone(): null }), format!("{} is back to the deployment's value.", n3));
                        view! {
                            <tr>
                                <td><label for=format!("setting-{name}")><code>{name.clone()}</code></label></td>
                                <td><input id=format!("setting-{n1}") type=if secret { "password" } else { "text" } placeholder=hint
                                    autocomplete="off" prop:value=move || edits.with(|e| e.get(&n1).cloned()).unwrap_or_else(|| shown.clone())
                                    on:input=move |ev| { let v = event_target_value(&ev); edits.update(|e| { e.insert(n2.clone(), v); }); }/></td>
                                <td>{source}</td>
                                <td class="actions">{from_db.then(|| view! {
                                    <button type="button" class="btn btn-ghost" on:click=reset.clone()>"Use the deployment's value"</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
                <Show when=move || lockout.with(Option::is_some)>
                    <div class="confirm" role="alertdialog" aria-label="Confirm the admin address list">
                        <span>{move || lockout.get().map(|(_, _, a)| format!("Your own address {a} will be refused: your next admin call from here fails."))}</span>
                        <button type="button" class="btn btn-danger" on:click=apply_anyway>"Apply anyway"</button>
                        <button type="button" class="btn" on:click=move |_| lockout.set(None)>"Keep my access"</button>
                    </div>
                </Show>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || edits.with(BTreeMap::is_empty)>"Save changes"</button>
            </form>
        </section>
    }
}
