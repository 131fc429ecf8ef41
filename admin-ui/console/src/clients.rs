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
use shared::oauth::grant;
use shared::paths;

use crate::admin::paged;
use crate::calls::{call, date, encode};
use ui_components::api::get_json;

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

/// The form's fields, as signals.
#[derive(Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    auth_method: RwSignal<String>,
    application_type: RwSignal<String>,
    grants: RwSignal<Vec<String>>,
    redirect_uris: RwSignal<String>,
    post_logout: RwSignal<String>,
    scope: RwSignal<String>,
    logo_uri: RwSignal<String>,
    client_uri: RwSignal<String>,
    tos_uri: RwSignal<String>,
    policy_uri: RwSignal<String>,
    contacts: RwSignal<String>,
    backchannel_uri: RwSignal<String>,
    backchannel_sid: RwSignal<bool>,
    jwks: RwSignal<String>,
    jwks_uri: RwSignal<String>,
    resources: RwSignal<String>,
    dpop_bound: RwSignal<bool>,
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ',']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

impl Fields {
    fn new(s: &ClientSettings) -> Fields {
        let text = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
        Fields {
            name: RwSignal::new(s.client_name.clone()),
            auth_method: RwSignal::new(s.token_endpoint_auth_method.clone()),
            application_type: RwSignal::new(s.application_type.clone()),
            grants: RwSignal::new(s.grant_types.clone()),
            redirect_uris: RwSignal::new(s.redirect_uris.join("\n")),
            post_logout: RwSignal::new(s.post_logout_redirect_uris.join("\n")),
            scope: RwSignal::new(s.scope.clone()),
            logo_uri: text(&s.logo_uri),
            client_uri: text(&s.client_uri),
            tos_uri: text(&s.tos_uri),
            policy_uri: text(&s.policy_uri),
            contacts: RwSignal::new(s.contacts.join("\n")),
            backchannel_uri: text(&s.backchannel_logout_uri),
            backchannel_sid: RwSignal::new(s.backchannel_logout_session_required),
            jwks: RwSignal::new(s.jwks.as_ref().map(|j| j.to_string()).unwrap_or_default()),
            jwks_uri: text(&s.jwks_uri),
            resources: RwSignal::new(s.allowed_resources.join("\n")),
            dpop_bound: RwSignal::new(s.dpop_bound_access_tokens),
        }
    }

    /// The metadata the form says; response types follow the grants (RFC 7591 §2.1).
    fn metadata(&self) -> ClientMetadata {
        let grants = self.grants.get();
        let mut response_types = Vec::new();
        if grants.iter().any(|g| g == "authorization_code") {
            response_types.push("code".to_string());
        }
        if grants.iter().any(|g| g == "implicit") {
            response_types.extend(["id_token".to_string(), "id_token token".to_string()]);
        }
        ClientMetadata {
            client_name: Some(self.name.get()),
            token_endpoint_auth_method: Some(self.auth_method.get()),
            application_type: Some(self.application_type.get()),
            grant_types: Some(grants),
            response_types: Some(response_types),
            redirect_uris: Some(lines(&self.redirect_uris.get())),
            post_logout_redirect_uris: Some(lines(&self.post_logout.get())),
            scope: Some(self.scope.get()),
            logo_uri: Some(self.logo_uri.get()),
            client_uri: Some(self.client_uri.get()),
            tos_uri: Some(self.tos_uri.get()),
            policy_uri: Some(self.policy_uri.get()),
            contacts: Some(lines(&self.contacts.get())),
            backchannel_logout_uri: Some(self.backchannel_uri.get()),
            backchannel_logout_session_required: Some(self.backchannel_sid.get()),
            // Not JSON: kept as a string, which the shared rules call "not a JWK set".
            jwks: Some(match self.jwks.get().trim() {
                "" => serde_json::json!({}),
                text => serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned())),
            }),
            jwks_uri: Some(self.jwks_uri.get()),
            allowed_resources: Some(lines(&self.resources.get())),
            dpop_bound_access_tokens: Some(self.dpop_bound.get()),
            ..Default::default()
        }
    }

    /// The rules the form breaks right now (scopes against the discovery document's).
    fn problems(&self, known: Option<Vec<String>>) -> Vec<String> {
        let settings = ClientSettings::new(&self.metadata(), "");
        settings.problems(known.as_deref()).into_iter().map(|p| p.message).collect()
    }
}

/// The scopes the server knows, from discovery.
fn known_scopes() -> LocalResource<Option<Vec<String>>> {
    LocalResource::new(|| async {
        let doc = get_json::<serde_json::Value>("/.well-known/openid-configuration").await.ok()?;
        doc.get("scopes_supported")?
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    })
}

#[component]
fn ClientForm(
    fields: Fields,
    submit_label: &'static str,
    on_save: Callback<ClientMetadata>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let scopes = known_scopes();
    let problems = move || fields.problems(scopes.get().flatten());
    let touched = RwSignal::new(false);
    let text = move |id: &'static str, label: &'static str, signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" prop:value=signal on:input=move |ev| { touched.set(true); signal.set(event_target_value(&ev)); }/>
        }
    };
    let area = move |id: &'static str, label: &'static str, signal: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <textarea id=id rows="3" prop:value=signal on:input=move |ev| { touched.set(true); signal.set(event_target_value(&ev)); }></textarea>
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if problems().is_empty() {
            on_save.run(fields.metadata());
        }
    };
    view! {
        <form class="form" on:submit=on_submit aria-label="Client settings">
            {text("client-name", "Name", fields.name)}
            <label for="auth-method">"Client authentication"</label>
            <select id="auth-method" prop:value=fields.auth_method on:change=move |ev| { touched.set(true); fields.auth_method.set(event_target_value(&ev)); }>
                <option value="client_secret_basic">"client_secret_basic (confidential)"</option>
                <option value="client_secret_post">"client_secret_post (confidential)"</option>
                <option value="client_secret_jwt">"client_secret_jwt (confidential: a JWT MACed with the secret)"</option>
                <option value="private_key_jwt">"private_key_jwt (confidential: a JWT signed with the client's key)"</option>
                <option value="none">"none (public: SPA, mobile, device)"</option>
            </select>
            <label for="application-type">"Application type"</label>
            <select id="application-type" prop:value=fields.application_type on:change=move |ev| { touched.set(true); fields.application_type.set(event_target_value(&ev)); }>
                <option value="web">"web (https redirect URIs)"</option>
                <option value="native">"native (mobile or desktop: app schemes, any loopback port)"</option>
            </select>
            <fieldset class="checks">
                <legend>"Grant types"</legend>
                {grant::ALL.iter().map(|grant| {
                    let grant = (*grant).to_string();
                    let id = format!("grant-{}", grant.replace([':', '_'], "-"));
                    let label_for = id.clone();
                    let (checked_grant, toggled_grant) = (grant.clone(), grant.clone());
                    view! {
                        <label for=label_for class="check">
                            <input id=id type="checkbox" prop:checked=move || fields.grants.get().contains(&checked_grant)
                                on:change=move |ev| {
                                    touched.set(true);
                                    let on = event_target_checked(&ev);
                                    fields.grants.update(|g| {
                                        g.retain(|x| x != &toggled_grant);
                                        if on { g.push(toggled_grant.clone()); }
                                    });
                                }/>
                            " "{grant}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {area("redirect-uris", "Redirect URIs (one per line)", fields.redirect_uris)}
            {area("post-logout-uris", "Post-logout redirect URIs (one per line)", fields.post_logout)}
            {text("client-scope", "Scopes (space-separated)", fields.scope)}
            {text("logo-uri", "Logo URL (https)", fields.logo_uri)}
            {text("client-uri", "Home page (https)", fields.client_uri)}
            {text("tos-uri", "Terms of service (https)", fields.tos_uri)}
            {text("policy-uri", "Privacy policy (https)", fields.policy_uri)}
            {area("contacts", "Contacts (emails, one per line)", fields.contacts)}
            <Show when=move || fields.auth_method.get() == "private_key_jwt">
                {area("client-jwks", "Public keys: a JWK set (JSON), or leave empty and give a JWKS URL", fields.jwks)}
                {text("client-jwks-uri", "JWKS URL (https)", fields.jwks_uri)}
            </Show>
            <label for="dpop-bound" class="check">
                <input id="dpop-bound" type="checkbox" prop:checked=move || fields.dpop_bound.get()
                    on:change=move |ev| { touched.set(true); fields.dpop_bound.set(event_target_checked(&ev)); }/>
                " Tokens must be DPoP-bound (the app proves its key at every token request, RFC 9449)"
            </label>
            {area("allowed-resources", "Resources it may ask tokens for (identifiers, one per line; empty: any)", fields.resources)}
            {text("backchannel-uri", "Back-channel logout URI (told when a session ends)", fields.backchannel_uri)}
            <label for="backchannel-sid" class="check">
                <input id="backchannel-sid" type="checkbox" prop:checked=move || fields.backchannel_sid.get()
                    on:change=move |ev| { touched.set(true); fields.backchannel_sid.set(event_target_checked(&ev)); }/>
                " The app needs the session id (sid) in logout tokens"
            </label>
            <ul class="problems error" role="alert" aria-live="polite" aria-label="Problems">
                {move || touched.get().then(|| problems().into_iter().map(|p| view! { <li>{p}</li> }).collect_view())}
            </ul>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get() || (touched.get() && !problems().is_empty())>{submit_label}</button>
        </form>
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
