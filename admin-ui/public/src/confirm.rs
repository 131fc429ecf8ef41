//! "Confirm it's you": shown on the account page when the server asked for a recent
//! sign-in before a change to how one signs in (403 `reauthentication_required`,
//! docs/security.md). The password, and a code when the account has an authenticator
//! app, start a fresh session (`POST /api/account/confirm`), or a passkey does (its
//! sign-in shows both factors); then the change is tried again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::ConfirmIdentity;
use shared::paths;
use shared::session::SessionInfo;

use ui_components::api::{csrf_token, post_json, reauthentication_needed};

#[component]
pub fn ConfirmIdentityCard() -> impl IntoView {
    // A Copy handle on the app-wide flag, for the closures below.
    let needed = RwSignal::from(reauthentication_needed());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let t = ui_components::i18n::messages();
    let by_passkey = move |_| {
        spawn_local(async move {
            // A passkey sign-in is a fresh sign-in with both factors (`mfa`).
            match crate::passkeys::sign_in_ceremony().await {
                Ok(_) => {
                    needed.set(false);
                    status.set(Some((true, t.get_untracked().confirmed_again.into())));
                }
                Err(message) => status.set(Some((false, message))),
            }
        });
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let body = ConfirmIdentity {
            password: password.get_untracked(),
            code: Some(code.get_untracked()).filter(|c| !c.trim().is_empty()),
        };
        spawn_local(async move {
            let result = match csrf_token(None).await {
                Ok(token) => post_json::<_, SessionInfo>(paths::ACCOUNT_CONFIRM, &token, &body).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    password.set(String::new());
                    code.set(String::new());
                    needed.set(false);
                    status.set(Some((true, t.get_untracked().confirmed_again.into())));
                }
                Err(message) => status.set(Some((false, message))),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=move || needed.get()>
            <section class="card account-card" aria-labelledby="confirm-title">
                <h2 id="confirm-title">{move || t.get().confirm_its_you}</h2>
                <p class="muted">{move || t.get().confirm_intro}</p>
                <form class="form" on:submit=on_submit aria-label=move || t.get().confirm_its_you>
                    <label for="confirm-password">{move || t.get().password}</label>
                    <input id="confirm-password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    <label for="confirm-code">{move || t.get().code_if_app}</label>
                    <input id="confirm-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{move || t.get().confirm}</button>
                </form>
                <Show when=move || crate::passkeys::available().get()>
                    <button type="button" class="btn" on:click=by_passkey>{move || t.get().passkey_instead}</button>
                </Show>
            </section>
        </Show>
        <p class="form-status" role="status" aria-live="polite"
            class:error=move || matches!(status.get(), Some((false, _)))
            class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
    }
}
