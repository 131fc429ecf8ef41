//! `/admin/resources`: the protected resources (RFC 8707) an access token may be for,
//! over the admin API on resources. The field rules are `shared::resources`' (checked here
//! as you type and again by the server); the identifier is fixed once made.

use leptos::prelude::*;
use serde_json::json;
use shared::account::Page;
use shared::clients::ID_TOKEN_SIGNING_ALGS;
use shared::paths;
use shared::resources::{resource_problems, Resource};

use crate::admin::{Pager, StatusLine};
use crate::calls::{act, call, encode};

type Status = RwSignal<Option<Result<String, String>>>;

#[component]
pub fn ResourcesList() -> impl IntoView {
    const PAGE: u32 = 50;
    let offset = RwSignal::new(0u32);
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let editing = RwSignal::new(None::<Resource>);
    let resources = LocalResource::new(move || {
        let (offset, _) = (offset.get(), reload.get());
        async move {
            let path = format!("{}?limit={PAGE}&offset={offset}", paths::RESOURCES);
            call::<Page<Resource>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        <h1>"Resources"</h1>
        <p class="muted">
            "The APIs and MCP servers apps ask tokens for with "<code>"resource"</code>
            ": a token for one carries its identifier as "<code>"aud"</code>" and only the scopes it accepts."
        </p>
        <ResourceForm status=status reload=reload editing=editing/>
        <section class="card" aria-labelledby="resources-title">
            <h2 id="resources-title">"All resources"</h2>
            <StatusLine status=status/>
            {move || match resources.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(page)) if page.total == 0 => {
                    view! { <p class="muted">"None yet: tokens are for the app that asks (aud is its client_id)."</p> }.into_any()
                }
                Some(Ok(page)) => {
                    let (count, start, total) = (page.data.len(), page.offset, page.total);
                    view! {
                        <table class="table">
                            <caption class="sr-only">"Resources"</caption>
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Identifier"</th><th scope="col">"Scopes"</th>
                                <th scope="col">"Token lifetime"</th><th scope="col">"Algorithm"</th>
                                <th scope="col">"Limited clients"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|r| view! { <ResourceRow resource=r status=status reload=reload editing=editing/> }).collect_view()}</tbody>
                        </table>
                        <Pager offset=offset page=PAGE start=start shown=count total=total back="Previous" forward="Next"/>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ResourceRow(
    resource: Resource,
    status: Status,
    reload: RwSignal<u32>,
    editing: RwSignal<Option<Resource>>,
) -> impl IntoView {
    let path = format!("{}/{}", paths::RESOURCES, encode(&resource.id));
    let name = resource.name.clone();
    let delete = move |_| {
        if window()
            .confirm_with_message(&format!("Delete {name}? Grants naming it can no longer be refreshed."))
            .unwrap_or(false)
        {
            act("DELETE", path.clone(), None, format!("{name} is deleted."), status, reload);
        }
    };
    let edited = resource.clone();
    let edit_label = format!("Edit {}", resource.name);
    view! {
        <tr>
            <td>{resource.name.clone()}</td>
            <td><code>{resource.identifier.clone()}</code></td>
            <td>{if resource.scopes.is_empty() { "none".to_string() } else { resource.scopes.join(", ") }}</td>
            <td>{resource.access_token_ttl.map_or_else(|| "server's".to_string(), |t| format!("{t} s"))}</td>
            <td>{resource.signing_alg.clone().unwrap_or_else(|| "server's".into())}</td>
            <td>{resource.clients}</td>
            <td class="actions">
                <button type="button" class="btn btn-ghost" aria-label=edit_label
                    on:click=move |_| editing.set(Some(edited.clone()))>"Edit"</button>
                <button type="button" class="btn btn-ghost" on:click=delete>"Delete"</button>
            </td>
        </tr>
    }
}

/// Registers a resource, or changes the one in `editing` (not its identifier).
#[component]
fn ResourceForm(status: Status, reload: RwSignal<u32>, editing: RwSignal<Option<Resource>>) -> impl IntoView {
    let identifier = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(String::new());
    let ttl = RwSignal::new(String::new());
    let alg = RwSignal::new(String::new());
    let server_client = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    Effect::new(move || {
        let r = editing.get();
        identifier.set(r.as_ref().map(|r| r.identifier.clone()).unwrap_or_default());
        name.set(r.as_ref().map(|r| r.name.clone()).unwrap_or_default());
        scopes.set(r.as_ref().map(|r| r.scopes.join(" ")).unwrap_or_default());
        ttl.set(r.as_ref().and_then(|r| r.access_token_ttl).map(|t| t.to_string()).unwrap_or_default());
        alg.set(r.as_ref().and_then(|r| r.signing_alg.clone()).unwrap_or_default());
        server_client.set(r.and_then(|r| r.client_id).unwrap_or_default());
    });
    let scope_list = move || scopes.get().split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let ttl_value = move || ttl.get().trim().parse::<u32>().ok();
    let problems = move || {
        let (i, n) = (identifier.get(), name.get());
        if i.is_empty() && n.is_empty() {
            return String::new();
        }
        let alg = alg.get();
        let mut found = resource_problems(
            i.trim(),
            n.trim(),
            &scope_list(),
            ttl_value(),
            (!alg.is_empty()).then_some(alg.as_str()),
        )
        .into_iter()
        .map(|p| p.message)
        .collect::<Vec<_>>();
        if !ttl.get().trim().is_empty() && ttl_value().is_none() {
            found.push("The lifetime is a whole number of seconds.".into());
        }
        found.join(" ")
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !problems().is_empty() || busy.get_untracked() {
            return;
        }
        let alg_value = alg.get_untracked();
        let mut body = json!({
            "name": name.get_untracked().trim(),
            "scopes": scope_list(),
            "access_token_ttl": ttl_value(),
            "signing_alg": (!alg_value.is_empty()).then_some(alg_value),
            "client_id": Some(server_client.get_untracked().trim().to_owned()).filter(|c| !c.is_empty()),
        });
        let (method, path) = match editing.get_untracked() {
            Some(old) => ("PATCH", format!("{}/{}", paths::RESOURCES, encode(&old.id))),
            None => {
                if let Some(fields) = body.as_object_mut() {
                    fields.insert("identifier".into(), json!(identifier.get_untracked().trim()));
                }
                ("POST", paths::RESOURCES.to_string())
            }
        };
        let done = format!("{} is saved.", name.get_untracked().trim());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call::<Resource>(method, &path, Some(body)).await {
                Ok(_) => {
                    status.set(Some(Ok(done)));
                    editing.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let editing_one = move || editing.with(Option::is_some);
    view! {
        <section class="card" aria-labelledby="resource-form-title">
            <h2 id="resource-form-title">{move || if editing_one() { "Edit resource" } else { "New resource" }}</h2>
            <form class="form" on:submit=on_submit aria-labelledby="resource-form-title">
                <label for="resource-identifier">"Identifier (the tokens' aud)"</label>
                <input id="resource-identifier" type="url" placeholder="https://api.example.com/" required
                    disabled=editing_one prop:value=identifier on:input=move |ev| identifier.set(event_target_value(&ev))/>
                <label for="resource-name">"Name shown on the consent screen"</label>
                <input id="resource-name" type="text" required prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="resource-scopes">"Scopes its tokens may carry (space-separated)"</label>
                <input id="resource-scopes" type="text" placeholder="calendar:read calendar:write" prop:value=scopes
                    on:input=move |ev| scopes.set(event_target_value(&ev))/>
                <label for="resource-ttl">"Access-token lifetime in seconds (empty: the server's)"</label>
                <input id="resource-ttl" type="number" min="60" max="86400" prop:value=ttl
                    on:input=move |ev| ttl.set(event_target_value(&ev))/>
                <label for="resource-alg">"Signing algorithm"</label>
                <select id="resource-alg" prop:value=alg on:change=move |ev| alg.set(event_target_value(&ev))>
                    <option value="">"The server's (SIGNING_ALG)"</option>
                    {ID_TOKEN_SIGNING_ALGS.iter().map(|a| view! { <option value=*a>{*a}</option> }).collect_view()}
                </select>
                <label for="resource-client">"Its server's client ID (may exchange the tokens issued for it, RFC 8693)"</label>
                <input id="resource-client" type="text" prop:value=server_client
                    on:input=move |ev| server_client.set(event_target_value(&ev))/>
                <p class="form-status error" role="alert">{problems}</p>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !problems().is_empty()>
                    {move || if editing_one() { "Save resource" } else { "Create resource" }}
                </button>
                <Show when=editing_one>
                    <button type="button" class="btn btn-ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                </Show>
            </form>
        </section>
    }
}
