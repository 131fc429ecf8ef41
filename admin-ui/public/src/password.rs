//! `/password`: a new password when `PASSWORD_EXPIRY_DAYS` says so, either required (the
//! password expired: no session until it is changed) or offered (`?soon=1`: it expires
//! soon, the person is signed in and may change it later).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::ChangePassword;
use shared::mfa::NewPassword;
use shared::paths;
use shared::session::SessionInfo;
use ui_components::api::{csrf_token, navigate, post_json, send};
use ui_components::forms::{password_problem, AuthFrame, PasswordChecklist};
use ui_components::query::use_query_map;

use crate::steps;

#[component]
pub fn PasswordPage() -> impl IntoView {
    let query = use_query_map();
    let soon = query.with_untracked(|q| q.get("soon").is_some());
    let later = query.with_untracked(steps::destination);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(problem) = password_problem(&new.get_untracked(), false) {
            status.set(Some(problem));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = match csrf_token(None).await {
                Ok(token) if soon => {
                    let body =
                        ChangePassword { current_password: current.get_untracked(), new_password: new.get_untracked() };
                    let body = serde_json::to_value(&body).map_err(|e| e.to_string());
                    match body {
                        Ok(body) => send("POST", paths::ACCOUNT_PASSWORD, &token, Some(&body)).await.map(|()| None),
                        Err(e) => Err(e),
                    }
                }
                Ok(token) => {
                    let body = NewPassword { new_password: new.get_untracked() };
                    post_json::<_, SessionInfo>(paths::PASSWORD_EXPIRED, &token, &body).await.map(|info| info.step)
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(step) => navigate(&query.with_untracked(|q| steps::after(step, q))),
                Err(message) => {
                    status.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    let t = ui_components::i18n::messages();
    let title = move || if soon { t.get().password_expires_soon } else { t.get().password_expired };
    let intro = move || if soon { t.get().password_expires_soon_intro } else { t.get().password_expired_intro };
    view! {
        <AuthFrame title_id="password-title">
            <h2 id="password-title">{title}</h2>
            <p class="muted">{intro}</p>
            <form class="form" on:submit=on_submit>
                {soon.then(|| view! {
                    <label for="current-password">{move || t.get().current_password}</label>
                    <input id="current-password" type="password" autocomplete="current-password" required
                        prop:value=current on:input=move |ev| current.set(event_target_value(&ev))/>
                })}
                <label for="new-password">{move || t.get().new_password}</label>
                <input id="new-password" type="password" autocomplete="new-password" required aria-describedby="new-password-rules"
                    prop:value=new on:input=move |ev| new.set(event_target_value(&ev))/>
                <PasswordChecklist password=new id="new-password-rules"/>
                <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{move || t.get().change_password}</button>
            </form>
            {soon.then(|| view! { <a class="muted" href=later.clone()>{move || t.get().later}</a> })}
        </AuthFrame>
    }
}
