//! Authority's admin console (Leptos, client-side rendered), a module of its own: `boot.js`
//! loads it only for paths under `/admin`, so people signing in to apps never download it.
//! It signs in like any app, through `/authorize` with code + PKCE (`auth`).

mod admin;
mod audit;
mod auth;
mod branding_form;
mod calls;
mod client_form;
mod clients;
mod dashboard;
mod deliveries;
mod mail_templates;
mod providers;
mod resources;
mod scopes;
mod sessions;
mod settings;
mod user_detail;
mod users;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use ui_components::branding;
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
            <Routes fallback=admin::AdminNotFound>
                // Before the console's routes: the callback must not need a session.
                <Route path=path!("/admin/callback") view=auth::AdminCallback/>
                <ParentRoute path=path!("/admin") view=admin::AdminLayout>
                    <Route path=path!("") view=dashboard::Dashboard/>
                    <Route path=path!("keys") view=admin::SigningKeys/>
                    <Route path=path!("outbox") view=admin::Outbox/>
                    <Route path=path!("deliveries") view=deliveries::DeliveriesList/>
                    <Route path=path!("mail-templates") view=mail_templates::MailTemplatesPage/>
                    <Route path=path!("clients") view=clients::ClientsList/>
                    <Route path=path!("clients/new") view=clients::NewClient/>
                    <Route path=path!("clients/:id") view=clients::ClientDetail/>
                    <Route path=path!("users") view=users::UsersList/>
                    <Route path=path!("scopes") view=scopes::ScopesList/>
                    <Route path=path!("resources") view=resources::ResourcesList/>
                    <Route path=path!("providers") view=providers::ProvidersList/>
                    <Route path=path!("sessions") view=sessions::SessionsList/>
                    <Route path=path!("settings") view=settings::SettingsPage/>
                    <Route path=path!("audit") view=audit::AuditLog/>
                    <Route path=path!("*rest") view=admin::AdminNotFound/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
