//! `/admin/scopes`: the scopes clients may request, over the admin API on scopes. The
//! name, description and claims rules are `shared::scopes`' (checked here as you type and
//! again by the server); system scopes keep their names and claims.

use leptos::prelude::*;
use serde_json::json;
use shared::account::Page;
use shared::paths;
use shared::scopes::{is_system, requires_problems, scope_problems, NewScope, Scope, RELEASABLE_CLAIMS};

use crate::admin::{Pager, StatusLine};
use crate::calls::{act, call, encode};

type Status = RwSignal<Option<Result<String, String>>>;

#[component]
pub fn ScopesList() -> impl IntoView {
    const PAGE: u32 = 50;
    let offset = RwSignal::new(0u32);
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let editing = RwSignal::new(None::<Scope>);
    let scopes = LocalResource::new(move || {
        let (offset, _) = (offset.get(), reload.get());
        async move {
            let path = format!("{}?limit={PAGE}&offset={offset}", paths::SCOPES);
            call::<Page<Scope>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        <h1>"Scopes"</h1>
        <p class="muted">"What apps may ask for. The description is what people read on the consent screen."</p>
        <ScopeForm status=status reload=reload editing=editing/>
        <section class="card" aria-labelledby="scopes-title">
            <h2 id="scopes-title">"All scopes"</h2>
            <StatusLine status=status/>
            {move || match scopes.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(page)) => {
                    let (count, start, total) = (page.data.len(), page.offset, page.total);
                    view! {
                        <table class="table">
                            <caption class="sr-only">"Scopes"</caption>
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Description"</th><th scope="col">"Claims"</th><th scope="col">"Also grants"</th>
                                <th scope="col">"Default"</th><th scope="col">"Clients"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>{page.data.into_iter().map(|s| view! { <ScopeRow scope=s status=status reload=reload editing=editing/> }).collect_view()}</tbody>
                        </table>
                        <Pager offset=offset page=PAGE start=start shown=count total=total back="Previous" forward="Next"/>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ScopeRow(scope: Scope, status: Status, reload: RwSignal<u32>, editing: RwSignal<Option<Scope>>) -> impl IntoView {
    let path = format!("{}/{}", paths::SCOPES, encode(&scope.id));
    let (name, clients, default) = (scope.name.clone(), scope.clients, scope.default);
    let (n1, n2) = (name.clone(), name.clone());
    let default_path = path.clone();
    let toggle_default = move |_| {
        let done = if default { format!("{n1} is no longer a default.") } else { format!("{n1} is now a default.") };
        act("PATCH", default_path.clone(), Some(json!({ "default": !default })), done, status, reload);
    };
    let delete = move |_| {
        let question = if clients > 0 {
            format!("Delete {n2}? {clients} client(s) may request it; it is taken out of their lists.")
        } else {
            format!("Delete {n2}?")
        };
        if window().confirm_with_message(&question).unwrap_or(false) {
            let force = if clients > 0 { "?force=true" } else { "" };
            act("DELETE", format!("{path}{force}"), None, format!("{n2} is deleted."), status, reload);
        }
    };
    let edited = scope.clone();
    let edit_label = format!("Edit {name}");
    let default_label = format!("{name} is granted when an app names no scope");
    view! {
        <tr>
            <td><code>{scope.name.clone()}</code>{scope.system.then(|| view! { " " <span class="badge">"system"</span> })}</td>
            <td>{scope.description.clone()}</td>
            <td>{scope.claims.join(", ")}</td>
            <td>{scope.requires.join(" ")}</td>
            <td><input type="checkbox" aria-label=default_label prop:checked=default on:change=toggle_default/></td>
            <td>{scope.clients}</td>
            <td class="actions">
                <button type="button" class="btn btn-ghost" aria-label=edit_label
                    on:click=move |_| editing.set(Some(edited.clone()))>"Edit"</button>
                {(!scope.system).then(|| view! { <button type="button" class="btn btn-ghost" on:click=delete.clone()>"Delete"</button> })}
            </td>
        </tr>
    }
}

/// The names of a space-separated list.
fn required(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Creates a scope, or changes the one in `editing`.
#[component]
fn ScopeForm(status: Status, reload: RwSignal<u32>, editing: RwSignal<Option<Scope>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let default = RwSignal::new(false);
    let claims = RwSignal::new(Vec::<String>::new());
    // Space-separated scope names, as a scope parameter is written.
    let requires = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    Effect::new(move || {
        let scope = editing.get();
        name.set(scope.as_ref().map(|s| s.name.clone()).unwrap_or_default());
        description.set(scope.as_ref().map(|s| s.description.clone()).unwrap_or_default());
        default.set(scope.as_ref().is_some_and(|s| s.default));
        requires.set(scope.as_ref().map(|s| s.requires.join(" ")).unwrap_or_default());
        claims.set(scope.map(|s| if s.system { vec![] } else { s.claims }).unwrap_or_default());
    });
    let system = move || editing.with(|s| s.as_ref().is_some_and(|s| s.system));
    let problems = move || {
        let (n, d) = (name.get(), description.get());
        if n.is_empty() && d.is_empty() {
            return String::new();
        }
        let mut found = scope_problems(n.trim(), d.trim(), &claims.get(), system());
        found.extend(requires_problems(n.trim(), &required(&requires.get())));
        if editing.with(Option::is_none) && is_system(n.trim()) {
            found.push(shared::api::FieldError {
                field: "name".into(),
                message: "That is a system scope's name.".into(),
            });
        }
        found.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" ")
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !problems().is_empty() || busy.get_untracked() {
            return;
        }
        let scope = NewScope {
            name: name.get_untracked().trim().to_owned(),
            description: description.get_untracked().trim().to_owned(),
            default: default.get_untracked(),
            claims: claims.get_untracked(),
            requires: required(&requires.get_untracked()),
        };
        let (method, path, done) = match editing.get_untracked() {
            Some(old) => {
                ("PATCH", format!("{}/{}", paths::SCOPES, encode(&old.id)), format!("{} is saved.", scope.name))
            }
            None => ("POST", paths::SCOPES.to_string(), format!("{} is created.", scope.name)),
        };
        let mut body = json!(scope);
        if system() {
            if let Some(fields) = body.as_object_mut() {
                fields.remove("name");
                fields.remove("claims");
            }
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call::<Scope>(method, &path, Some(body)).await {
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
    let title = move || if editing.with(Option::is_some) { "Edit scope" } else { "New scope" };
    view! {
        <section class="card" aria-labelledby="scope-form-title">
            <h2 id="scope-form-title">{title}</h2>
            <form class="form" on:submit=on_submit aria-labelledby="scope-form-title">
                <label for="scope-name">"Name"</label>
                <input id="scope-name" type="text" placeholder="documents:read" required disabled=system
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="scope-description">"Description shown on the consent screen"</label>
                <input id="scope-description" type="text" required prop:value=description
                    on:input=move |ev| description.set(event_target_value(&ev))/>
                <label for="scope-default" class="check">
                    <input id="scope-default" type="checkbox" prop:checked=default on:change=move |ev| default.set(event_target_checked(&ev))/>
                    " Granted when an app names no scope"
                </label>
                <label for="scope-requires">"Also grants (scopes it requires, separated by spaces)"</label>
                <input id="scope-requires" type="text" placeholder="documents:read" prop:value=requires
                    on:input=move |ev| requires.set(event_target_value(&ev))/>
                <fieldset disabled=system>
                    <legend>"User claims it releases (UserInfo and ID token)"</legend>
                    {RELEASABLE_CLAIMS.iter().map(|claim| {
                        let claim = *claim;
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || claims.with(|c| c.iter().any(|x| x == claim))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        claims.update(|c| { c.retain(|x| x != claim); if on { c.push(claim.to_owned()); } });
                                    }/>
                                " " {claim}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <p class="form-status error" role="alert">{problems}</p>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || !problems().is_empty()>
                    {move || if editing.with(Option::is_some) { "Save scope" } else { "Create scope" }}
                </button>
                <Show when=move || editing.with(Option::is_some)>
                    <button type="button" class="btn btn-ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                </Show>
            </form>
        </section>
    }
}
