//! `/consent`: the app, the scopes it asks for with what each allows, Allow and Deny.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::paths;
use shared::session::{AuthorizationDetails, ConsentDecision, NextLocation, ScopeInfo, SessionInfo};
use ui_components::query::use_query_map;

use shared::i18n::{fill, Messages};
use ui_components::api::{csrf_token, get_json, navigate, post_json, session};
use ui_components::branding::{BrandHeader, LegalLinks, PageTools};
use ui_components::i18n::{language, messages};

/// The requested scopes as list items, each with what it allows (the consent screens of
/// `/consent` and `/activate`).
pub fn scope_items(scopes: &[ScopeInfo], t: &'static Messages) -> impl IntoView {
    scopes
        .iter()
        .map(|s| {
            let description = standard_scope(&s.name, t).map_or_else(|| s.description.clone(), str::to_owned);
            view! { <li><strong>{s.name.clone()}</strong>" — "{description}</li> }
        })
        .collect_view()
}

/// What an OIDC Core §5.4 scope (and `offline_access`, §11) allows, in the page's language;
/// a scope an admin made keeps the description they wrote.
fn standard_scope(name: &str, t: &'static Messages) -> Option<&'static str> {
    Some(match name {
        "openid" => t.scope_openid,
        "profile" => t.scope_profile,
        "email" => t.scope_email,
        "address" => t.scope_address,
        "phone" => t.scope_phone,
        "offline_access" => t.scope_offline_access,
        _ => return None,
    })
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
    let t = messages();
    // The app's ui_locales (OIDC Core §3.1.2.1) choose the page's language.
    let ui_locales = language().ui_locales;
    Effect::new(move |_| {
        if let Some(Ok(d)) = details.get() {
            if d.ui_locales.is_some() && ui_locales.get_untracked().is_none() {
                ui_locales.set(d.ui_locales);
            }
        }
    });
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
            <p class="muted">{fill(t.get().signed_in_as, &[("email", &user.email)])}</p>
        }),
        _ => None,
    };
    let body = move || match details.get() {
        None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
        Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
        Some(Ok(d)) => {
            let t = t.get();
            let logo = d.logo_uri.clone().map(|src| view! { <img class="logo" src=src alt=""/> });
            let scopes = scope_items(&d.scopes, t);
            // RFC 7591 §2: the app's own terms and privacy policy, as it registered them.
            let app = d.client_name.clone();
            let app_links = (d.tos_uri.is_some() || d.policy_uri.is_some()).then(|| {
                let terms = d.tos_uri.clone().map(|href| {
                    view! { <a href=href rel="noopener noreferrer" target="_blank">{fill(t.app_terms, &[("app", &app)])}</a> }
                });
                let privacy = d.policy_uri.clone().map(|href| {
                    view! { <a href=href rel="noopener noreferrer" target="_blank">{fill(t.app_privacy, &[("app", &app)])}</a> }
                });
                view! { <p class="app-links">{terms}{privacy}</p> }
            });
            // RFC 8707: the services its tokens will be for, by name and identifier.
            let reaches = (!d.resources.is_empty()).then(|| {
                let items = d
                    .resources
                    .iter()
                    .map(|r| view! { <li><strong>{r.name.clone()}</strong>" — "<code>{r.identifier.clone()}</code></li> })
                    .collect::<Vec<_>>();
                view! { <p>{t.it_will_reach}</p><ul class="resources">{items}</ul> }
            });
            // Open registration: nobody vouched for this app; say where it sends the person.
            let unvetted = d.self_registered.then(|| {
                let host = d.redirect_host.clone().unwrap_or_default();
                view! {
                    <p class="warning" role="note">
                        {t.self_registered_warning}" "{fill(t.you_go_back_to, &[("host", &host)])}
                    </p>
                }
            });
            // A client that identifies itself by a document on the web: whose it is, first.
            let document = d.document_host.clone().map(|host| {
                view! {
                    <p class="warning" role="note">{fill(t.document_warning, &[("host", &host)])}</p>
                }
            });
            let local = d.localhost_only.then(|| {
                view! {
                    <p class="warning" role="note">{t.localhost_warning}</p>
                }
            });
            view! {
                {logo}
                <h2 id="consent-title">{fill(t.consent_title, &[("app", &d.client_name)])}</h2>
                {document}
                {local}
                {unvetted}
                {who}
                <p>{t.it_will_be_able_to}</p>
                <ul class="scopes">{scopes}</ul>
                {reaches}
                <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                {app_links}
                <div class="stack">
                    <button type="button" class="btn btn-primary" disabled=move || busy.get()
                        on:click=move |_| answer(true)>{t.allow}</button>
                    <button type="button" class="btn" disabled=move || busy.get()
                        on:click=move |_| answer(false)>{t.deny}</button>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <main id="main" class="auth-page">
            <PageTools/>
            <section class="card auth-card" aria-labelledby="consent-title">
                <BrandHeader/>
                {body}
            </section>
            <LegalLinks/>
        </main>
    }
}
