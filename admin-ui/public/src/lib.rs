//! Authority's public pages (Leptos, client-side rendered): what a person signing in to
//! some app sees. The admin console is a separate module (`ui-console`) that `boot.js`
//! loads only under `/admin`, so these pages never download it.
//!
//! The worker serves the built files as static assets and falls back to index.html for
//! any page path, so every page below is a deep link; there is no client-side router.

mod account;
mod activate;
mod confirm;
mod consent;
mod marks;
mod mfa;
mod passkeys;
mod password;
mod recovery;
mod reset_review;
mod signin;
mod signup;
mod social;
mod steps;

use shared::i18n::fill;
use ui_components::branding;
use ui_components::i18n::{self, messages};

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The page for `path`. Every public page is reached by a full page load (the worker
/// serves index.html for any page path), so a match on the path is the whole router.
fn page(path: &str) -> AnyView {
    match path.trim_end_matches('/') {
        "" => view! { <Home/> }.into_any(),
        "/signin" => view! { <signin::SignInPage/> }.into_any(),
        "/signup" => view! { <signup::SignUpPage/> }.into_any(),
        "/consent" => view! { <consent::ConsentPage/> }.into_any(),
        "/forgot-password" => view! { <recovery::ForgotPasswordPage/> }.into_any(),
        "/reset-password" => view! { <recovery::ResetPasswordPage/> }.into_any(),
        "/verify-email" => view! { <recovery::VerifyEmailPage/> }.into_any(),
        "/account" => view! { <account::AccountPage/> }.into_any(),
        "/activate" => view! { <activate::ActivatePage/> }.into_any(),
        "/mfa" => view! { <mfa::MfaPage setup=false/> }.into_any(),
        "/mfa/setup" => view! { <mfa::MfaPage setup=true/> }.into_any(),
        "/password" => view! { <password::PasswordPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

#[component]
fn App() -> impl IntoView {
    branding::provide_branding();
    i18n::provide_language();
    let t = messages();
    let path = window().location().pathname().unwrap_or_default();
    view! {
        <a class="skip-link" href="#main">{move || t.get().skip_to_content}</a>
        {page(&path)}
    }
}

/// `/`: where people land without a link from an app.
#[component]
fn Home() -> impl IntoView {
    let app_name = branding::app_name();
    let t = messages();
    view! {
        <main id="main" class="auth-page">
            <branding::PageTools/>
            <section class="card auth-card">
                <branding::BrandHeader/>
                <p class="muted">{move || fill(t.get().home_intro, &[("app", &app_name())])}</p>
                <nav class="stack" aria-label=move || t.get().home_nav>
                    <a href="/signin" class="btn btn-primary">{move || t.get().sign_in}</a>
                    <a href="/signup" class="btn">{move || t.get().create_an_account}</a>
                    <a href="/account" class="btn">{move || t.get().your_account}</a>
                    <a href="/admin" class="btn">{move || t.get().admin_console}</a>
                </nav>
            </section>
            <branding::LegalLinks/>
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let t = messages();
    view! {
        <main id="main" class="auth-page">
            <branding::PageTools/>
            <section class="card auth-card">
                <branding::BrandHeader/>
                <h2>{move || t.get().not_found_title}</h2>
                <p class="muted">{move || t.get().not_found_body}</p>
                <a href="/" class="btn">{move || t.get().go_to_start}</a>
            </section>
        </main>
    }
}
