//! Sign-in with other identity providers on the public pages: "Continue with …" on
//! `/signin` and `/signup` (the providers `/api/ui-config` lists), and the account page's
//! linked accounts (link, unlink). The flows themselves are full-page redirects through
//! `/auth/{provider}`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::LinkedIdentity;
use shared::paths;
use ui_components::api::{csrf_token, get_json, navigate, post_json, send};
use ui_components::branding::branding;

use crate::marks;

/// `/auth/{provider}?forward_url=…`: the base64 `forward_url` (docs/api.md, "Endpoints").
fn start_url(provider: &str, forward: &str) -> String {
    let encoded = window().btoa(forward).unwrap_or_default();
    let encoded: String = url_encode(&encoded);
    format!("/auth/{provider}?forward_url={encoded}")
}

/// Where `POST /auth/{provider}/link` sends the page on.
#[derive(serde::Deserialize)]
struct LinkStart {
    location: String,
}

fn url_encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// "Continue with …" for each configured provider; after it, to `next`.
#[component]
pub fn ProviderButtons(next: String) -> impl IntoView {
    let config = branding().config;
    let t = ui_components::i18n::messages();
    move || {
        let providers = match config.get() {
            Some(Ok(c)) => c.providers,
            _ => Vec::new(),
        };
        (!providers.is_empty()).then(|| {
            view! {
                <div class="stack providers" aria-label=t.get().other_ways>
                    {providers.into_iter().map(|p| {
                        let href = start_url(&p.name, &next);
                        let mark = marks::mark(p.brand.as_deref());
                        view! {
                            <a class="btn" rel="external" href=href>
                                <span class="mark" aria-hidden="true" inner_html=mark></span>
                                {shared::i18n::fill(t.get().continue_with, &[("provider", &p.display_name)])}
                            </a>
                        }
                    }).collect_view()}
                </div>
            }
        })
    }
}

/// The account page's linked accounts: each provider, linked (unlink) or not (link).
#[component]
pub fn LinkedAccounts() -> impl IntoView {
    let config = branding().config;
    let version = RwSignal::new(0u32);
    let linked = LocalResource::new(move || {
        version.get();
        get_json::<Vec<LinkedIdentity>>(paths::ACCOUNT_IDENTITIES)
    });
    let status = RwSignal::new(None::<(bool, String)>);
    let t = ui_components::i18n::messages();
    // Linking starts with this page's CSRF token and a recent sign-in (docs/security.md),
    // then the page goes on to the provider.
    let link = move |provider: String| {
        spawn_local(async move {
            let path = format!("/auth/{provider}/link");
            let result = match csrf_token(None).await {
                Ok(token) => post_json::<_, LinkStart>(&path, &token, &serde_json::json!({})).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(start) => navigate(&start.location),
                Err(message) => status.set(Some((false, message))),
            }
        });
    };
    let unlink = move |provider: String| {
        spawn_local(async move {
            let path = format!("/auth/{provider}/unlink");
            let result = match csrf_token(None).await {
                Ok(token) => send("POST", &path, &token, None).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    status.set(Some((true, t.get_untracked().unlinked.into())));
                    version.update(|v| *v += 1);
                }
                Err(message) => status.set(Some((false, message))),
            }
        });
    };
    view! {
        {move || {
            let providers = match config.get() {
                Some(Ok(c)) => c.providers,
                _ => Vec::new(),
            };
            let linked = match linked.get() {
                Some(Ok(list)) => list,
                _ => Vec::new(),
            };
            let t = t.get();
            if providers.is_empty() && linked.is_empty() {
                return view! { <p class="muted">{t.no_providers}</p> }.into_any();
            }
            view! {
                <ul class="rows" aria-label=t.linked_accounts>
                    {providers.into_iter().map(|p| {
                        let found = linked.iter().find(|l| l.provider == p.name).cloned();
                        let mark = marks::mark(p.brand.as_deref());
                        let name = p.name.clone();
                        match found {
                            Some(identity) => {
                                let label = shared::i18n::fill(t.unlink_provider, &[("provider", &p.display_name)]);
                                let detail = identity.email.unwrap_or_default();
                                view! {
                                    <li class="row">
                                        <span class="mark" aria-hidden="true" inner_html=mark></span>
                                        <div><strong>{p.display_name.clone()}</strong><br/><span class="muted">{detail}</span></div>
                                        <button type="button" class="btn btn-ghost" aria-label=label on:click=move |_| unlink(name.clone())>{t.unlink}</button>
                                    </li>
                                }.into_any()
                            }
                            None => {
                                let label = shared::i18n::fill(t.link_provider, &[("provider", &p.display_name)]);
                                let name = p.name.clone();
                                view! {
                                    <li class="row">
                                        <span class="mark" aria-hidden="true" inner_html=mark></span>
                                        <div><strong>{p.display_name.clone()}</strong><br/><span class="muted">{t.not_linked}</span></div>
                                        <button type="button" class="btn" aria-label=label on:click=move |_| link(name.clone())>{t.link}</button>
                                    </li>
                                }.into_any()
                            }
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <p class="form-status" role="status" aria-live="polite"
            class:error=move || matches!(status.get(), Some((false, _)))
            class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
    }
}
