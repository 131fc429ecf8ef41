//! `/activate` (RFC 8628 §3.3): the person types the code their device shows (or arrives
//! with it from `verification_uri_complete`), signs in if needed, sees which app asks for
//! what, and allows or denies. The device then gets its answer on its next poll.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::Message;
use shared::device::{DeviceDecision, DeviceRequestDetails, UserCodeRequest};
use shared::paths;
use shared::session::SessionInfo;
use ui_components::query::use_query_map;

use crate::consent::scope_items;
use shared::i18n::fill;
use ui_components::api::{csrf_token, navigate, post_json, session};
use ui_components::forms::AuthFrame;
use ui_components::i18n::messages;

#[derive(Clone)]
enum Step {
    /// Typing the code (with the last problem, if any).
    Enter,
    /// The device's request, for Allow/Deny.
    Consent(DeviceRequestDetails),
    /// The answer was recorded.
    Done(String),
}

#[component]
pub fn ActivatePage() -> impl IntoView {
    let query = use_query_map();
    let code = RwSignal::new(query.with_untracked(|q| q.get("user_code")).unwrap_or_default());
    let step = RwSignal::new(Step::Enter);
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let t = messages();

    // Looks the code up; without a session, signs in first and comes back here.
    let look_up = move || {
        let typed = code.get_untracked();
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let info = session().await;
            let result = match csrf_token(Some(info.clone())).await {
                Ok(token) => {
                    post_json::<_, DeviceRequestDetails>(
                        paths::DEVICE_LOOKUP,
                        &token,
                        &UserCodeRequest { user_code: typed },
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            busy.set(false);
            match (result, info) {
                (Ok(details), Ok(SessionInfo { user: Some(_), .. })) => step.set(Step::Consent(details)),
                (Ok(details), _) => {
                    let back = format!("{}?user_code={}", paths::ACTIVATE, details.user_code);
                    navigate(&format!("/signin?next={}", String::from(js_sys::encode_uri_component(&back))));
                }
                (Err(message), _) => status.set(Some(message)),
            }
        });
    };
    // Arriving with the code (verification_uri_complete, or back from signing in).
    if !code.get_untracked().is_empty() {
        look_up();
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        look_up();
    };
    let answer = move |user_code: String, allow: bool| {
        let done = if allow { t.get_untracked().device_connected } else { t.get_untracked().device_denied };
        busy.set(true);
        spawn_local(async move {
            let result = match csrf_token(None).await {
                Ok(token) => {
                    post_json::<_, Message>(paths::DEVICE_DECISION, &token, &DeviceDecision { user_code, allow }).await
                }
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(_) => step.set(Step::Done(done.to_owned())),
                Err(message) => status.set(Some(message)),
            }
        });
    };
    let body = move || {
        match step.get() {
        Step::Enter => view! {
            <h2 id="activate-title">{move || t.get().connect_device}</h2>
            <p class="muted">{move || t.get().enter_device_code}</p>
            <form class="form" on:submit=on_submit>
                <label for="user-code">{move || t.get().code}</label>
                <input id="user-code" name="user_code" type="text" autocomplete="one-time-code" autocapitalize="characters"
                    spellcheck="false" placeholder="XXXX-XXXX" required class="code-input"
                    prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{move || t.get().continue_}</button>
            </form>
        }
        .into_any(),
        Step::Consent(details) => {
            let user_code = details.user_code.clone();
            let (allow_code, deny_code) = (user_code.clone(), user_code.clone());
            let logo = details.logo_uri.clone().map(|src| view! { <img class="logo" src=src alt=""/> });
            let t = t.get();
            let scopes = scope_items(&details.scopes, t);
            view! {
                {logo}
                <h2 id="activate-title">{fill(t.consent_title, &[("app", &details.client_name)])}</h2>
                <p class="muted">{fill(t.device_code_check, &[("code", &user_code)])}</p>
                <p>{t.it_will_be_able_to}</p>
                <ul class="scopes">{scopes}</ul>
                <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                <div class="stack">
                    <button type="button" class="btn btn-primary" disabled=move || busy.get()
                        on:click=move |_| answer(allow_code.clone(), true)>{t.allow}</button>
                    <button type="button" class="btn" disabled=move || busy.get()
                        on:click=move |_| answer(deny_code.clone(), false)>{t.deny}</button>
                </div>
            }
            .into_any()
        }
        Step::Done(message) => view! {
            <h2 id="activate-title">{move || t.get().all_done}</h2>
            <p role="status" class="ok">{message}</p>
        }
        .into_any(),
    }
    };
    view! { <AuthFrame title_id="activate-title">{body}</AuthFrame> }
}
