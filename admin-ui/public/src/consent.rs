//! `/consent`: the app, the scopes it asks for with what each allows, Allow and Deny.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::paths;
use shared::session::{AuthorizationDetails, ConsentDecision, NextLocation, ScopeInfo, SessionInfo};
use ui_components::query::use_query_map;

use ui_components::api::{csrf_token, get_json, navigate, post_json, session};
use ui_components::branding::{BrandHeader, LegalLinks, ThemeToggle};

/// The requested scopes as list items, each with what it allows (the consent screens of
/// `/consent` and `/activate`).
pub fn scope_items(scopes: &[ScopeInfo]) -> impl IntoView {
    scopes
        .iter()
        .map(|s| view! { <li><strong>{s.name.clone()}</strong>" — "{s.description.clone()}</li> })
        .collect_view()
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || query.with(|q| q.get("request")).unwrap_or_default();
    let info = LocalResource::new(session);
    let details = LocalResource::new(move || {
        let request = request();
        async move { get_json::<AuthorizationDetails>(&format!("{}?request={request}", paths::AUTHORIZATION_DETAILS)).await }
    });
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let answer = move |allow: bool| {
        let loaded = info.get_untracked();
        let body = ConsentDecision { request: query.with_untracked(|q| q.get("request")).unwrap_or_default(), allow };
        busy.set(true);
        spawn_local(async move {
            let result = match csrf_token(loaded).await {
                Ok(token) => post_json::<_, NextLocation>(paths::CONSENT, &token, &body).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(next) => navigate(&next.location),
                Err(message) => {
                    status.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    let who = move || match info.get() {
        Some(Ok(SessionInfo { user: Some(user), .. })) => Some(view! {
            <p class="muted">{format!("Signed in as {}", user.email)}</p>
        }),
        _ => None,
    };
    let body = move || match details.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
        Some(Ok(d)) => {
            let logo = d.logo_uri.clone().map(|src| view! { <img class="logo" src=src alt=""/> });
            let scopes = scope_items(&d.scopes);
            // RFC 8707: the services its tokens will be for, by name and identifier.
            let reaches = (!d.resources.is_empty()).then(|| {
                let items = d
                    .resources
                    .iter()
                    .map(|r| view! { <li><strong>{r.name.clone()}</strong>" — "<code>{r.identifier.clone()}</code></li> })
                    .collect::<Vec<_>>();
                view! { <p>"On your behalf it will reach:"</p><ul class="resources">{items}</ul> }
            });
            // Open registration: nobody vouched for this app; say where it sends the person.
            let unvetted = d.self_registered.then(|| {
                let host = d.redirect_host.clone().unwrap_or_default();
                view! {
                    <p class="warning" role="note">
                        "This app registered itself: the administrators have not checked who runs it. "
                        "After you answer, you go back to "<strong>{host}</strong>"."
                    </p>
                }
            });
            // A client that identifies itself by a document on the web: whose it is, first.
            let document = d.document_host.clone().map(|host| {
                view! {
                    <p class="warning" role="note">
                        "This app describes itself at "<strong>{host}</strong>
                        ". The administrators have not checked it: continue only if you trust "
                        <strong>{d.document_host.clone().unwrap_or_default()}</strong>"."
                    </p>
                }
            });
            let local = d.localhost_only.then(|| {
                view! {
                    <p class="warning" role="note">
                        "It runs on this computer (it sends you back to localhost). Continue only if you started it yourself."
                    </p>
                }
            });
            view! {
                {logo}
                <h2 id="consent-title">{format!("{} wants to access your account", d.client_name)}</h2>
                {document}
                {local}
                {unvetted}
                {who}
                <p>"It will be able to:"</p>
                <ul class="scopes">{scopes}</ul>
                {reaches}
                <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                <div class="stack">
                    <button type="button" class="btn btn-primary" disabled=move || busy.get()
                        on:click=move |_| answer(true)>"Allow"</button>
                    <button type="button" class="btn" disabled=move || busy.get()
                        on:click=move |_| answer(false)>"Deny"</button>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <main id="main" class="auth-page">
            <div class="page-tools"><ThemeToggle/></div>
            <section class="card auth-card" aria-labelledby="consent-title">
                <BrandHeader/>
                {body}
            </section>
            <LegalLinks/>
        </main>
    }
}
