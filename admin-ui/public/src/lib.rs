//! Authority's pages for people (Leptos, client-side rendered): what a person signing in
//! to some app sees, and their account. Two modules are built from this crate (the public
//! one and the account one, see `page`); the admin console is a third (`ui-console`).
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
use shared::paths;
use ui_components::branding;
use ui_components::i18n::{self, messages};

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The page for `path`. Every page is reached by a full page load (the worker serves
/// index.html for any page path and names the module in its head), so a match on the path
/// is the whole router. This crate is built twice (scripts/build-spa.sh): the public
/// module and, with the `account-app` feature, the account module, each drawing the pages
/// `shared::paths::BrowserApp` gives it; the other's pages are left out of its code.
fn page(path: &str) -> AnyView {
    let path = path.trim_end_matches('/');
    if cfg!(feature = "account-app") {
        account_page(path)
    } else {
        public_page(path)
    }
}

/// The public module's pages: the way from an app to the app (`BrowserApp::Public`).
fn public_page(path: &str) -> AnyView {
    match path {
        "" => view! { <Home/> }.into_any(),
        paths::SIGN_IN_PAGE => view! { <signin::SignInPage/> }.into_any(),
        paths::SIGN_UP_PAGE => view! { <signup::SignUpPage/> }.into_any(),
        paths::CONSENT_PAGE => view! { <consent::ConsentPage/> }.into_any(),
        paths::MFA_PAGE => view! { <mfa::MfaPage setup=false/> }.into_any(),
        paths::PASSWORD_PAGE => view! { <password::PasswordPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}

/// The account module's pages (`BrowserApp::Account`, `paths::ACCOUNT_APP_PAGES`).
fn account_page(path: &str) -> AnyView {
    match path {
        paths::ACCOUNT_PAGE => view! { <account::AccountPage/> }.into_any(),
        paths::MFA_SETUP_PAGE => view! { <mfa::MfaPage setup=true/> }.into_any(),
        paths::ACTIVATE => view! { <activate::ActivatePage/> }.into_any(),
        paths::FORGOT_PASSWORD_PAGE => view! { <recovery::ForgotPasswordPage/> }.into_any(),
        paths::RESET_PASSWORD_PAGE => view! { <recovery::ResetPasswordPage/> }.into_any(),
        paths::VERIFY_EMAIL_PAGE => view! { <recovery::VerifyEmailPage/> }.into_any(),
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
