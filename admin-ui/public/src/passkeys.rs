//! Passkeys on the public pages: "Sign in with a passkey" (usernameless on `/signin`, the
//! second step on `/mfa`) and the account page's list (add, remove). The ceremonies run
//! in `webauthn.js` (loaded by boot.js); JSON crosses, nothing else.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::passkeys::{
    AssertionResponse, CreationOptions, NewPasskey, PasskeyInfo, PasskeySignIn, RegistrationResponse, RequestOptions,
};
use shared::paths;
use shared::session::SessionInfo;
use ui_components::api::{csrf_token, get_json, navigate, post_json, send};
use ui_components::branding::branding;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = authorityPasskeys, js_name = supported, catch)]
    fn js_supported() -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = authorityPasskeys, js_name = create, catch)]
    async fn js_create(options: String) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = authorityPasskeys, js_name = get, catch)]
    async fn js_get(options: String) -> Result<JsValue, JsValue>;
}

/// The browser has WebAuthn and the server's issuer is a host name.
pub(crate) fn available() -> Signal<bool> {
    let config = branding().config;
    Signal::derive(move || matches!(config.get(), Some(Ok(c)) if c.passkeys) && js_supported().unwrap_or(false))
}

/// The browser's refusal (the person cancelled, no passkey here) as a sentence.
fn ceremony_failed(e: JsValue) -> String {
    let name = js_sys::Reflect::get(&e, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
    let t = ui_components::i18n::current();
    match name.as_deref() {
        Some("NotAllowedError") => t.passkey_prompt_closed.into(),
        Some("InvalidStateError") => t.passkey_already_here.into(),
        _ => t.passkey_unusable.into(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(answer: JsValue) -> Result<T, String> {
    let text = answer.as_string().unwrap_or_default();
    ui_components::api::from_json(&text).map_err(|e| format!("The browser's answer was unexpected ({e})."))
}

pub(crate) async fn sign_in_ceremony() -> Result<SessionInfo, String> {
    let token = csrf_token(None).await?;
    let options: RequestOptions = post_json(paths::PASSKEY_SIGN_IN_OPTIONS, &token, &serde_json::json!({})).await?;
    let json = ui_components::api::to_json(&options)?;
    let credential: AssertionResponse = parse(js_get(json).await.map_err(ceremony_failed)?)?;
    post_json(paths::PASSKEY_SIGN_IN, &token, &PasskeySignIn { credential }).await
}

/// "Sign in with a passkey" (or `label`), then to `next`.
#[component]
pub fn PasskeyButton(next: String, #[prop(optional, into)] label: Option<String>) -> impl IntoView {
    let t = ui_components::i18n::messages();
    let label = move || label.clone().unwrap_or_else(|| t.get().sign_in_with_passkey.to_owned());
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let start = move |_| {
        let next = next.clone();
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            match sign_in_ceremony().await {
                // A password used before the passkey may still need changing.
                Ok(SessionInfo { step: Some(step), .. }) => navigate(
                    &ui_components::query::use_query_map().with_untracked(|q| crate::steps::after(Some(step), q)),
                ),
                Ok(_) => navigate(&next),
                Err(message) => {
                    status.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Show when=move || available().get()>
            <button type="button" class="btn btn-block" on:click=start.clone() disabled=move || busy.get()>{label.clone()}</button>
            <p class="form-status error" role="alert">{move || status.get()}</p>
        </Show>
    }
}

/// The account page's passkeys: the list, add one, remove one.
#[component]
pub fn PasskeySection() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.get();
        get_json::<Vec<PasskeyInfo>>(paths::PASSKEYS)
    });
    let name = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let t = ui_components::i18n::messages();
    let add = move |_| {
        let chosen = name.get_untracked();
        spawn_local(async move {
            let result = async {
                let token = csrf_token(None).await?;
                let options: CreationOptions =
                    post_json(paths::PASSKEY_REGISTER_OPTIONS, &token, &serde_json::json!({})).await?;
                let json = ui_components::api::to_json(&options)?;
                let credential: RegistrationResponse = parse(js_create(json).await.map_err(ceremony_failed)?)?;
                let body = NewPasskey { name: Some(chosen).filter(|n| !n.trim().is_empty()), credential };
                post_json::<_, PasskeyInfo>(paths::PASSKEYS, &token, &body).await
            }
            .await;
            match result {
                Ok(added) => {
                    status.set(Some((
                        true,
                        shared::i18n::fill(t.get_untracked().passkey_added, &[("name", &added.name)]),
                    )));
                    name.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(message) => status.set(Some((false, message))),
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            let path = format!("{}/{}", paths::PASSKEYS, js_sys::encode_uri_component(&id));
            let result = match csrf_token(None).await {
                Ok(token) => send("DELETE", &path, &token, None).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    status.set(Some((true, t.get_untracked().passkey_removed.into())));
                    version.update(|v| *v += 1);
                }
                Err(message) => status.set(Some((false, message))),
            }
        });
    };
    view! {
        {move || match list.get() {
            None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(keys)) if keys.is_empty() => view! { <p class="muted" id="passkeys-empty">{t.get().no_passkeys}</p> }.into_any(),
            Some(Ok(keys)) => view! {
                <ul class="rows" aria-label=t.get().passkeys>
                    {keys.into_iter().map(|k| {
                        let id = k.id.clone();
                        let t = t.get();
                        let label = shared::i18n::fill(t.remove_passkey, &[("name", &k.name)]);
                        let kind = if k.synced { t.synced } else { t.this_device_only };
                        view! {
                            <li class="row">
                                <div><strong>{k.name.clone()}</strong><br/><span class="muted">{kind}</span></div>
                                <button type="button" class="btn btn-ghost" aria-label=label
                                    on:click=move |_| remove(id.clone())>{t.remove}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
        <Show when=move || available().get() fallback=move || view! {
            <p class="muted">{move || t.get().passkeys_need_host}</p>
        }>
            <label for="passkey-name">{move || t.get().passkey_name_optional}</label>
            <input id="passkey-name" type="text" maxlength="64" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <button type="button" class="btn btn-primary" on:click=add>{move || t.get().add_passkey}</button>
        </Show>
        <p class="form-status" role="status" aria-live="polite"
            class:error=move || matches!(status.get(), Some((false, _)))
            class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
    }
}
