//! `/signin`: the sign-in screen an app's `/authorize` redirect lands on.

use leptos::prelude::*;

use crate::branding::{BrandHeader, LegalLinks, ThemeToggle};

#[component]
pub fn SignInPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The session endpoint arrives with browser sign-in (/authorize); until then the
        // form says so instead of pretending to work.
        status.set(Some(String::from("Password sign-in is not enabled on this server yet.")));
    };
    view! {
        <main id="main" class="auth-page">
            <div class="page-tools"><ThemeToggle/></div>
            <section class="card auth-card" aria-labelledby="signin-title">
                <BrandHeader/>
                <h2 id="signin-title">"Sign in"</h2>
                <form class="form" on:submit=on_submit novalidate=false>
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required
                        prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    <p class="form-status" role="status" aria-live="polite">{move || status.get()}</p>
                    <button type="submit" class="btn btn-primary">"Sign in"</button>
                </form>
            </section>
            <LegalLinks/>
        </main>
    }
}
