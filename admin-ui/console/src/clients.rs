//! `/admin/clients...`: the console's client screens over the admin API (`/api/clients`,
//! `/register...`): list with search and paging, create and edit with the rules from
//! `shared::clients` checked live, secrets (shown once, with a copy button), rotation,
//! token revocation and deletion with a confirmation.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::account::Page;
use shared::clients::{ClientInformation, ClientMetadata, ClientSettings, ClientSummary, NewSecret};

use crate::client_form::{ClientForm, Fields};
use shared::paths;

use crate::admin::paged;
use crate::calls::{call, date, encode};

/// `/admin/clients`
#[component]
pub fn ClientsList() -> impl IntoView {
    const PAGE: u32 = 20;
    let search = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let clients = LocalResource::new(move || {
        let (search, offset) = (search.get(), offset.get());
        async move {
            let path = format!("{}?limit={PAGE}&offset={offset}&search={}", paths::CLIENTS, encode(&search));
            call::<Page<ClientSummary>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
            <div class="page-head">
                <h1>"Clients"</h1>
                <A href="/admin/clients/new" attr:class="btn btn-primary">"New client"</A>
            </div>
            <section class="card">
                <label for="client-search">"Search by name or client ID"</label>
                <input id="client-search" type="search" prop:value=search
                    on:input=move |ev| { offset.set(0); search.set(event_target_value(&ev)); }/>
                {move || paged(clients.get(), "No clients match.", offset, PAGE, ("Previous", "Next"), |data| view! {
                            <table class="table">
                                <caption class="sr-only">"Registered clients"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Client ID"</th><th scope="col">"Authentication"</th><th scope="col">"Grants"</th><th scope="col">"Secret expires"</th></tr></thead>
                                <tbody>
                                    {data.into_iter().map(|c| {
                                        let href = format!("/admin/clients/{}", encode(&c.client_id));
                                        view! {
                                            <tr>
                                                <td><A href=href>{c.client_name}</A>
                                                    {c.self_registered.then(|| view! { " " <span class="badge">"self-registered"</span> })}</td>
                                                <td><code>{c.client_id}</code></td>
                                                <td>{c.token_endpoint_auth_method}</td>
                                                <td>{c.grant_types.join(", ")}</td>
                                                <td>{date(c.secret_expires_at)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
    }.into_any())}
            </section>
        }
}

/// A secret shown once, with a copy button.
#[component]
fn SecretOnce(client_id: String, secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let value = secret.clone();
    let copy = move |_| {
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&value);
        spawn_local(async move {
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    };
    view! {
        <section class="card secret-once" aria-labelledby="secret-title">
            <h2 id="secret-title">"Store this secret now"</h2>
            <p>"It is shown only this once; the server keeps only its hash."</p>
            <dl class="facts">
                <dt>"Client ID"</dt><dd><code id="new-client-id">{client_id}</code></dd>
                <dt>"Client secret"</dt><dd><code id="new-client-secret">{secret}</code></dd>
            </dl>
            <button type="button" class="btn" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy secret" }}</button>
        </section>
    }
}

/// `/admin/clients/new`
#[component]
pub fn NewClient() -> impl IntoView {
    let defaults = ClientSettings::new(&ClientMetadata::default(), "openid");
    let fields = Fields::new(&ClientSettings { client_name: String::new(), ..defaults });
    let busy = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<ClientInformation>);
    let on_save = Callback::new(move |metadata: ClientMetadata| {
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let body = serde_json::to_value(&metadata).ok();
            match call::<ClientInformation>("POST", paths::REGISTER, body).await {
                Ok(Some(info)) => created.set(Some(info)),
                Ok(None) => status.set(Some("No answer.".into())),
                Err(e) => status.set(Some(e)),
            }
            busy.set(false);
        });
    });
    view! {
        <h1>"New client"</h1>
        {move || match created.get() {
            Some(info) => {
                let href = format!("/admin/clients/{}", encode(&info.client_id));
                let secret = info.client_secret.clone().map(|s| view! { <SecretOnce client_id=info.client_id.clone() secret=s/> });
                view! {
                    <p class="ok" role="status">{format!("Client “{}” created.", info.settings.client_name)}</p>
                    {secret}
                    <A href=href attr:class="btn btn-primary">"Go to the client"</A>
                }.into_any()
            }
            None => view! {
                <section class="card">
                    <ClientForm fields=fields submit_label="Create client" on_save=on_save busy=busy/>
                    <p class="error" role="alert">{move || status.get()}</p>
                </section>
            }.into_any(),
        }}
    }
}

/// `/admin/clients/:id`
#[component]
pub fn ClientDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let version = RwSignal::new(0u32);
    let client = LocalResource::new(move || {
        let (id, _) = (id(), version.get());
        async move {
            call::<ClientInformation>("GET", &format!("{}/{}", paths::REGISTER, encode(&id)), None)
                .await?
                .ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        {move || match client.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <h1>"Client"</h1><p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(info)) => view! { <ClientPanels info=info version=version/> }.into_any(),
        }}
    }
}

#[component]
fn ClientPanels(info: ClientInformation, version: RwSignal<u32>) -> impl IntoView {
    let id = info.client_id.clone();
    let base = format!("{}/{}", paths::REGISTER, encode(&id));
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let new_secret = RwSignal::new(None::<NewSecret>);
    let confirm_delete = RwSignal::new(false);
    let fields = Fields::new(&info.settings);
    let report = move |result: Result<String, String>| match result {
        Ok(message) => status.set(Some((true, message))),
        Err(message) => status.set(Some((false, message))),
    };
    let save_path = base.clone();
    let on_save = Callback::new(move |metadata: ClientMetadata| {
        let path = save_path.clone();
        busy.set(true);
        spawn_local(async move {
            let body = serde_json::to_value(&metadata).ok();
            report(call::<ClientInformation>("PATCH", &path, body).await.map(|_| "Saved.".to_string()));
            busy.set(false);
        });
    });
    let secret_call = move |path: String, body: Option<serde_json::Value>| {
        spawn_local(async move {
            match call::<NewSecret>("POST", &path, body).await {
                Ok(Some(secret)) => {
                    new_secret.set(Some(secret));
                    status.set(None);
                    version.update(|v| *v += 1);
                }
                Ok(None) => report(Err("No answer.".into())),
                Err(e) => report(Err(e)),
            }
        });
    };
    let (add_path, renew_path) = (format!("{base}/secrets"), format!("{base}/renew_secret"));
    let revoke_path = format!("{}/{}/revoke_tokens", paths::CLIENTS, encode(&id));
    let delete_path = base.clone();
    let navigate = use_navigate();
    let public = info.settings.is_public();
    let name = info.settings.client_name.clone();
    let secrets = info.secrets.clone();
    view! {
        <div class="page-head">
            <h1>{info.settings.client_name.clone()}</h1>
            <A href="/admin/clients" attr:class="btn btn-ghost">"All clients"</A>
        </div>
        <dl class="facts">
            <dt>"Client ID"</dt><dd><code>{id.clone()}</code></dd>
            <dt>"Registered"</dt><dd>{date(info.client_id_issued_at)}</dd>
            {info.self_registered.then(|| view! {
                <dt>"Registered by"</dt>
                <dd><span class="badge">"self-registered"</span>" itself, without an admin (open registration); deleted once unused"</dd>
            })}
        </dl>
        <p class="form-status" role="status" aria-live="polite"
            class:ok=move || matches!(status.get(), Some((true, _)))
            class:error=move || matches!(status.get(), Some((false, _)))>{move || status.get().map(|(_, m)| m)}</p>
        {move || new_secret.get().map(|s| view! { <SecretOnce client_id=s.client_id secret=s.client_secret/> })}
        <section class="card" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            <ClientForm fields=fields submit_label="Save changes" on_save=on_save busy=busy/>
        </section>
        <Show when=move || !public>
            <section class="card" aria-labelledby="secrets-title">
                <h2 id="secrets-title">"Secrets"</h2>
                <ul class="rows" aria-label="Secrets">
                    {secrets.iter().map(|s| {
                        let path = format!("{base}/secrets/{}", encode(&s.secret_id));
                        let label = format!("Retire secret {}", s.secret_id);
                        view! {
                            <li class="row">
                                <div><code>{s.secret_id.clone()}</code><br/>
                                    <span class="muted">{format!("created {} · expires {}", date(s.created_at), date(s.expires_at))}</span></div>
                                <button type="button" class="btn btn-ghost" aria-label=label on:click=move |_| {
                                    let path = path.clone();
                                    spawn_local(async move {
                                        match call::<serde_json::Value>("DELETE", &path, None).await {
                                            Ok(_) => { report(Ok("Secret retired.".into())); version.update(|v| *v += 1); }
                                            Err(e) => report(Err(e)),
                                        }
                                    });
                                }>"Retire"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <div class="stack-row">
                    <button type="button" class="btn" on:click={
                        let path = add_path.clone();
                        move |_| secret_call(path.clone(), Some(serde_json::json!({ "action": "add" })))
                    }>"Add a second secret"</button>
                    <button type="button" class="btn" on:click={
                        let path = renew_path.clone();
                        move |_| secret_call(path.clone(), None)
                    }>"Renew secret (old ones stop at once)"</button>
                </div>
            </section>
        </Show>
        <section class="card danger" aria-labelledby="danger-title">
            <h2 id="danger-title">"Tokens and deletion"</h2>
            <div class="stack-row">
                <button type="button" class="btn" on:click=move |_| {
                    let path = revoke_path.clone();
                    spawn_local(async move {
                        report(call::<serde_json::Value>("POST", &path, None).await.map(|_| "Every token of this client was revoked.".to_string()));
                    });
                }>"Revoke all tokens"</button>
                <button type="button" class="btn" on:click=move |_| confirm_delete.set(true)>"Delete client"</button>
            </div>
            <Show when=move || confirm_delete.get()>
                <div class="confirm" role="alertdialog" aria-labelledby="confirm-title">
                    <p id="confirm-title">{format!("Delete “{name}” permanently? Its tokens stop working at once.")}</p>
                    <button type="button" class="btn btn-primary" on:click={
                        let (path, navigate) = (delete_path.clone(), navigate.clone());
                        move |_| {
                            let (path, navigate) = (path.clone(), navigate.clone());
                            spawn_local(async move {
                                match call::<serde_json::Value>("DELETE", &path, None).await {
                                    Ok(_) => navigate("/admin/clients", Default::default()),
                                    Err(e) => report(Err(e)),
                                }
                            });
                        }
                    }>"Yes, delete"</button>
                    <button type="button" class="btn" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                </div>
            </Show>
        </section>
    }
}
