//! `/signin`: the sign-in screen an app's `/authorize` redirect lands on
//! (`?request=...` carries the sealed authorization request), and the account chooser
//! for `prompt=select_account`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::paths;
use shared::session::{AuthorizationDetails, SessionInfo, SignInRequest};
use ui_components::query::use_query_map;

use crate::signup::signin_href;
use shared::i18n::fill;
use ui_components::api::{csrf_token, get_json, navigate, post_json, safe_next, session};
use ui_components::branding::{BrandHeader, LegalLinks, PageTools};
use ui_components::i18n::{language, messages};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || query.with(|q| q.get("request"));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // "Use another account" on the chooser shows the form.
    let choose_other = RwSignal::new(false);
    let info = LocalResource::new(session);
    let details = LocalResource::new(move || {
        let request = request();
        async move {
            match request {
                Some(r) => get_json::<AuthorizationDetails>(&format!("{}?request={r}", paths::AUTHORIZATION_DETAILS))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });
    let t = messages();
    // The app's ui_locales (OIDC Core §3.1.2.1) choose the page's language.
    let ui_locales = language().ui_locales;
    Effect::new(move |_| {
        if let Some(Ok(Some(d))) = details.get() {
            if d.ui_locales.is_some() && ui_locales.get_untracked().is_none() {
                ui_locales.set(d.ui_locales);
            }
        }
    });
    // Prefill the email from login_hint once.
    Effect::new(move |_| {
        if let Some(Ok(Some(d))) = details.get() {
            if let Some(hint) = d.login_hint {
                if email.get_untracked().is_empty() {
                    email.set(hint);
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let loaded = info.get_untracked();
        let body = SignInRequest { email: email.get_untracked(), password: password.get_untracked() };
        // Back through /authorize/resume when an app sent the person here (the sealed
        // request is in this page's URL), else to the start page.
        // Signing in here is also the answer to prompt=select_account: this is the account.
        let next = match query.with_untracked(|q| q.get("request")) {
            Some(request) => format!("{}?request={request}&account=current", paths::AUTHORIZE_RESUME),
            // ?next= from a page of this site (the account page), never another site.
            None => safe_next(query.with_untracked(|q| q.get("next"))).unwrap_or_else(|| String::from("/account")),
        };
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let result = match csrf_token(loaded).await {
                Ok(token) => post_json::<_, SessionInfo>(paths::SESSION, &token, &body).await,
                Err(e) => Err(e),
            };
            match result {
                // A step first (the code, enrolling an app, a new password), carrying the
                // request or page on; else straight there.
                Ok(SessionInfo { step: Some(step), .. }) => {
                    navigate(&query.with_untracked(|q| crate::steps::after(Some(step), q)));
                }
                Ok(_) => navigate(&next),
                Err(message) => {
                    status.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    let heading = move || match details.get() {
        Some(Ok(Some(d))) => fill(t.get().sign_in_to_continue, &[("app", &d.client_name)]),
        _ => t.get().sign_in.to_owned(),
    };
    let load_error = move || match details.get() {
        Some(Err(message)) => Some(view! { <p class="error" role="alert">{message}</p> }),
        _ => None,
    };
    // prompt=select_account with a signed-in browser: offer the current account first.
    let chooser = move || {
        let (Some(Ok(Some(d))), Some(Ok(SessionInfo { user: Some(user), .. }))) = (details.get(), info.get()) else {
            return None;
        };
        if !d.select_account || choose_other.get() {
            return None;
        }
        let href = format!("{}&account=current", d.continue_url);
        Some(view! {
            <div class="stack">
                <p>{t.get().choose_account}</p>
                // rel="external": a full page load; the router must not treat it as an SPA route.
                <a class="btn btn-primary" rel="external" href=href>{fill(t.get().continue_as, &[("email", &user.email)])}</a>
                <button type="button" class="btn" on:click=move |_| choose_other.set(true)>{t.get().use_another_account}</button>
            </div>
        })
    };
    let show_form = move || chooser().is_none();
    // Where a passkey sign-in continues: as the password form's `next` below.
    let passkey_next = query.with_untracked(crate::steps::destination);
    view! {
        <main id="main" class="auth-page">
            <PageTools/>
            <section class="card auth-card" aria-labelledby="signin-title">
                <BrandHeader/>
                <h2 id="signin-title">{heading}</h2>
                {load_error}
                {chooser}
                <Show when=show_form>
                    <form class="form" on:submit=on_submit>
                        <label for="email">{move || t.get().email}</label>
                        <input id="email" name="email" type="email" autocomplete="username" required
                            prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                        <label for="password">{move || t.get().password}</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required
                            prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                        <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                            {move || if busy.get() { t.get().signing_in } else { t.get().sign_in }}
                        </button>
                    </form>
                    <crate::passkeys::PasskeyButton next=passkey_next.clone()/>
                    <crate::social::ProviderButtons next=passkey_next.clone()/>
                    <p class="muted links">
                        <a href="/forgot-password">{move || t.get().forgot_password}</a>
                        " · "
                        <a href=move || signin_href(request()).replacen("/signin", "/signup", 1)>{move || t.get().create_an_account}</a>
                    </p>
                </Show>
            </section>
            <LegalLinks/>
        </main>
    }
}
