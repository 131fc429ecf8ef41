//! `/signup`: a new account. The password policy shows live; the server answers with
//! "check your inbox" and the verification mail does the rest. `?request=` (an app's
//! pending authorization) is carried to the sign-in link afterwards.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::{email_problem, Message, SignUpRequest};
use shared::paths;
use ui_components::query::use_query_map;

use ui_components::api::{csrf_token, post_json, session};
use ui_components::forms::{password_problem, AuthFrame, PasswordChecklist};
use ui_components::i18n::{language, messages};

/// `/signin` keeping an app's pending request, if there is one.
pub fn signin_href(request: Option<String>) -> String {
    match request {
        Some(r) => format!("/signin?request={r}"),
        None => "/signin".into(),
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || query.with(|q| q.get("request"));
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let info = LocalResource::new(session);
    let t = messages();
    let locale = language().locale;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (email_value, password_value) = (email.get_untracked(), password.get_untracked());
        let email_wrong = email_problem(&email_value).map(|_| t.get_untracked().email_invalid.to_owned());
        if let Some(problem) = email_wrong.or_else(|| password_problem(&password_value, false)) {
            status.set(Some(problem));
            return;
        }
        let name_value = name.get_untracked();
        let sent_to = email_value.trim().to_owned();
        let body = SignUpRequest {
            email: email_value,
            password: password_value,
            name: (!name_value.trim().is_empty()).then_some(name_value),
            // The account's language: its mail is written in it (docs/i18n.md).
            locale: Some(locale.get_untracked().tag().to_owned()),
        };
        let loaded = info.get_untracked();
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let result = match csrf_token(loaded).await {
                Ok(token) => post_json::<_, Message>(paths::SIGNUP, &token, &body).await,
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    done.set(Some(shared::i18n::fill(t.get_untracked().signup_check_inbox, &[("email", &sent_to)])))
                }
                Err(message) => status.set(Some(message)),
            }
        });
    };
    view! {
        <AuthFrame title_id="signup-title">
            <h2 id="signup-title">{move || t.get().create_your_account}</h2>
            <Show when=move || done.get().is_some() fallback=move || view! {
                <form class="form" on:submit=on_submit>
                    <label for="name">{move || t.get().name_optional}</label>
                    <input id="name" name="name" type="text" autocomplete="name"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                    <label for="email">{move || t.get().email}</label>
                    <input id="email" name="email" type="email" autocomplete="email" required
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                    <label for="password">{move || t.get().password}</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        aria-describedby="password-rules"
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    <PasswordChecklist password=password id="password-rules"/>
                    <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                        {move || if busy.get() { t.get().creating_account } else { t.get().create_account }}
                    </button>
                </form>
                <crate::social::ProviderButtons next=query.with_untracked(crate::steps::destination)/>
                <p class="muted">{move || t.get().already_have_account}" "<a href=move || signin_href(request())>{move || t.get().sign_in}</a></p>
            }>
                <p role="status" class="ok">{move || done.get()}</p>
                <a class="btn btn-primary" href=move || signin_href(request())>{move || t.get().continue_to_sign_in}</a>
            </Show>
        </AuthFrame>
    }
}
