//! Authority's single-page app (Leptos, client-side rendered).
//!
//! It talks to the worker only through JSON typed by the `shared` crate. The worker
//! serves the built files as static assets and falls back to index.html for any page
//! path, so every route below is a deep link.

mod account;
mod activate;
mod admin;
mod api;
mod auth;
mod branding;
mod clients;
mod consent;
mod forms;
mod recovery;
mod signin;
mod signup;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes, A};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    branding::provide_branding();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home/>
                <Route path=path!("/signin") view=signin::SignInPage/>
                <Route path=path!("/signup") view=signup::SignUpPage/>
                <Route path=path!("/consent") view=consent::ConsentPage/>
                <Route path=path!("/forgot-password") view=recovery::ForgotPasswordPage/>
                <Route path=path!("/reset-password") view=recovery::ResetPasswordPage/>
                <Route path=path!("/verify-email") view=recovery::VerifyEmailPage/>
                <Route path=path!("/account") view=account::AccountPage/>
                <Route path=path!("/activate") view=activate::ActivatePage/>
                // Before the console's routes: the callback must not need a session.
                <Route path=path!("/admin/callback") view=auth::AdminCallback/>
                <ParentRoute path=path!("/admin") view=admin::AdminLayout>
                    <Route path=path!("") view=admin::Dashboard/>
                    <Route path=path!("keys") view=admin::SigningKeys/>
                    <Route path=path!("outbox") view=admin::Outbox/>
                    <Route path=path!("clients") view=clients::ClientsList/>
                    <Route path=path!("clients/new") view=clients::NewClient/>
                    <Route path=path!("clients/:id") view=clients::ClientDetail/>
                    <Route path=path!("*rest") view=admin::AdminNotFound/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// `/`: where people land without a link from an app.
#[component]
fn Home() -> impl IntoView {
    let app_name = branding::app_name();
    view! {
        <main id="main" class="auth-page">
            <section class="card auth-card">
                <branding::BrandHeader/>
                <p class="muted">{move || format!("{} is the sign-in service for your applications.", app_name())}</p>
                <nav class="stack" aria-label="Start">
                    <A href="/signin" attr:class="btn btn-primary">"Sign in"</A>
                    <A href="/signup" attr:class="btn">"Create an account"</A>
                    <A href="/account" attr:class="btn">"Your account"</A>
                    <A href="/admin" attr:class="btn">"Admin console"</A>
                </nav>
            </section>
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <main id="main" class="auth-page">
            <section class="card auth-card">
                <branding::BrandHeader/>
                <h2>"Page not found"</h2>
                <p class="muted">"There is no page at this address."</p>
                <A href="/" attr:class="btn">"Go to the start page"</A>
            </section>
        </main>
    }
}
