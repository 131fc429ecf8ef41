//! `/admin/...`: the admin console's frame, the signing keys, the outbox, and the pieces
//! the screens share (pager, status line).

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use shared::account::{OutboxMail, Page};
use shared::admin::SigningKeyInfo;
use shared::jwk::JwkSet;
use shared::paths;
use ui_components::api::{get_json, get_json_bearer};
use ui_components::branding::{app_name, ThemeToggle};

use crate::auth;
use crate::calls::{act, call, date};

/// The console's frame. Without an admin session it signs in first (code + PKCE, see
/// `auth`), and a signed-in user who is not an administrator is told so.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let Some(session) = auth::current() else {
        let location = window().location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_else(|_| "/admin".into()),
            location.search().unwrap_or_default()
        );
        auth::start_sign_in(&here);
        return view! { <main id="main" class="auth-page"><p role="status">"Signing in…"</p></main> }.into_any();
    };
    if !session.is_admin() {
        return view! {
            <main id="main" class="auth-page">
                <section class="card auth-card">
                    <h1>"Admin console"</h1>
                    <p role="alert">{format!("{} is not an administrator of this server.", session.email.unwrap_or_default())}</p>
                    <button type="button" class="btn" on:click=|_| auth::sign_out()>"Sign out"</button>
                </section>
            </main>
        }
        .into_any();
    }
    let app_name = app_name();
    let who = session.email.unwrap_or_default();
    view! {
        <div class="admin">
            <aside class="sidebar">
                <div class="sidebar-brand">{app_name}<span class="badge">"Admin"</span></div>
                <nav aria-label="Admin sections">
                    <ul>
                        <li><A href="/admin" exact=true>"Dashboard"</A></li>
                        <li><A href="/admin/keys">"Signing keys"</A></li>
                        <li><A href="/admin/users">"Users"</A></li>
                        <li><A href="/admin/clients">"Clients"</A></li>
                        <li><A href="/admin/scopes">"Scopes"</A></li>
                        <li><A href="/admin/resources">"Resources"</A></li>
                        <li><A href="/admin/providers">"Sign-in providers"</A></li>
                        <li><A href="/admin/sessions">"Sessions"</A></li>
                        <li><A href="/admin/audit">"Audit log"</A></li>
                        <li><A href="/admin/settings">"Settings"</A></li>
                        <li><A href="/admin/outbox">"Outbox"</A></li>
                        <li><A href="/admin/deliveries">"Deliveries"</A></li>
                        <li><A href="/admin/mail-templates">"Mail templates"</A></li>
                    </ul>
                </nav>
            </aside>
            <div class="admin-main">
                <header class="topbar">
                    <span class="muted">{who}</span>
                    <ThemeToggle/>
                    <button type="button" class="btn btn-ghost" on:click=|_| auth::sign_out()>"Sign out"</button>
                </header>
                <main id="main" class="content"><Outlet/></main>
            </div>
        </div>
    }
    .into_any()
}

/// `/admin/keys`: every signing key from the admin API (algorithm, status, whether the
/// JWKS publishes it, since when) with its size from the JWKS, and the super_admin's
/// rotation (`POST /api/keys/rotate`).
#[component]
pub fn SigningKeys() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let status = RwSignal::new(None::<Result<String, String>>);
    let keys = LocalResource::new(move || {
        reload.track();
        async { call::<Page<SigningKeyInfo>>("GET", &format!("{}?limit=50", paths::KEYS), None).await }
    });
    let jwks = LocalResource::new(move || {
        reload.track();
        get_json::<JwkSet>("/.well-known/jwks.json")
    });
    let size = move |kid: &str| -> String {
        match jwks.get() {
            Some(Ok(set)) => set.keys.iter().find(|k| k.kid == kid).map(|k| k.strength()).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let rotate = move |_| {
        if window()
            .confirm_with_message(
                "Rotate every signing key? New keys are published now and sign in a few minutes; the old keys keep verifying until their tokens expire.",
            )
            .unwrap_or(false)
        {
            let done = "New keys are published; they sign once every cached JWKS has them.".to_string();
            act("POST", paths::KEYS_ROTATE.into(), Some(serde_json::json!({})), done, status, reload);
        }
    };
    view! {
        <h1>"Signing keys"</h1>
        <p class="muted">"One key per algorithm signs; published keys are in the JWKS, where resource servers verify tokens with them. A rotation publishes new keys first and signs with them once every cached JWKS has them."</p>
        <p><button type="button" class="btn" on:click=rotate>"Rotate keys"</button></p>
        <StatusLine status=status/>
        <section class="card">
            {move || match keys.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(page)) => view! {
                    <table class="table">
                        <caption class="sr-only">"Signing keys"</caption>
                        <thead><tr><th scope="col">"Key ID"</th><th scope="col">"Algorithm"</th><th scope="col">"Size"</th>
                            <th scope="col">"Status"</th><th scope="col">"In the JWKS"</th><th scope="col">"Created"</th>
                            <th scope="col">"Signs from / published until"</th></tr></thead>
                        <tbody>
                            {page.map(|p| p.data).unwrap_or_default().into_iter().map(|k| {
                                let bits = size(&k.kid);
                                let when = match (k.status.as_str(), k.activate_at, k.publish_until) {
                                    ("pending", Some(at), _) => format!("signs from {}", date(at)),
                                    (_, _, Some(until)) => format!("published until {}", date(until)),
                                    _ => String::new(),
                                };
                                view! { <tr><td><code>{k.kid}</code></td><td>{k.alg}</td><td>{bits}</td><td>{k.status}</td>
                                    <td>{if k.published { "yes" } else { "no" }}</td><td>{date(k.created_at)}</td><td>{when}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// `/admin/outbox`: the mail the server wrote, newest first (with `EMAIL_PROVIDER=log`
/// this is where mail goes; with `http`, whether it was sent).
#[component]
pub fn Outbox() -> impl IntoView {
    const PAGE: u32 = 25;
    let offset = RwSignal::new(0u32);
    let mail = LocalResource::new(move || {
        let offset = offset.get();
        async move {
            let Some(session) = auth::current() else {
                return Err(String::from("Your admin session has ended; reload the page."));
            };
            get_json_bearer::<Page<OutboxMail>>(
                &format!("{}?limit={PAGE}&offset={offset}", paths::OUTBOX),
                &session.access_token,
            )
            .await
        }
    });
    view! {
            <h1>"Outbox"</h1>
            <p class="muted">"Every message the server wrote, newest first. Open one to read it; links in it work."</p>
            <section class="card">
                {move || paged(mail.get(), "No mail yet.", offset, PAGE, ("Newer", "Older"), |data| view! {
                            <ul class="rows" aria-label="Messages">
                                {data.into_iter().map(|m| {
                                    let when = String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(m.created_at as f64 * 1000.0))
                                        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED));
                                    let status = match &m.error { Some(e) => format!("{} ({e})", m.status), None => m.status.clone() };
                                    view! {
                                        <li class="row mail">
                                            <details>
                                                <summary>
                                                    <strong>{m.subject.clone()}</strong>" → "{m.to.clone()}
                                                    <span class="muted">{format!(" · {} · {when} · {status}", m.template)}</span>
                                                </summary>
                                                <pre class="mail-text">{m.text.clone()}</pre>
                                            </details>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
    }.into_any())}
            </section>
        }
}

/// A paged list's four states: loading, the server's error, `empty` when nothing matched,
/// else the page: `rows` draws its rows and the [`Pager`] follows (`labels`: its back and
/// forward buttons). The one shape of every list screen.
pub fn paged<T: 'static>(
    state: Option<Result<Page<T>, String>>,
    empty: &'static str,
    offset: RwSignal<u32>,
    page: u32,
    (back, forward): (&'static str, &'static str),
    rows: impl FnOnce(Vec<T>) -> AnyView,
) -> AnyView {
    match state {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Some(Ok(list)) if list.data.is_empty() => view! { <p class="muted">{empty}</p> }.into_any(),
        Some(Ok(list)) => {
            let (shown, start, total) = (list.data.len(), list.offset, list.total);
            view! {
                {rows(list.data)}
                <Pager offset=offset page=page start=start shown=shown total=total back=back forward=forward/>
            }
            .into_any()
        }
    }
}

/// "1–25 of 80" and the two buttons of a list page (`offset` moves by `page`).
#[component]
pub fn Pager(
    offset: RwSignal<u32>,
    page: u32,
    /// The offset of the rows shown (the page's, not the signal's newer value).
    start: u32,
    shown: usize,
    total: u64,
    back: &'static str,
    forward: &'static str,
) -> impl IntoView {
    let summary = format!("{}–{} of {}", start + 1, start as usize + shown, total);
    let more = u64::from(start) + (shown as u64) < total;
    view! {
        <div class="pager">
            <span class="muted">{summary}</span>
            <button type="button" class="btn btn-ghost" disabled=move || offset.get() == 0
                on:click=move |_| offset.update(|o| *o = o.saturating_sub(page))>{back}</button>
            <button type="button" class="btn btn-ghost" disabled=!more
                on:click=move |_| offset.update(|o| *o += page)>{forward}</button>
        </div>
    }
}

/// The outcome of the last action on a screen, announced to screen readers: green when it
/// worked, red with the server's words when it did not.
#[component]
pub fn StatusLine(status: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    view! {
        <p class="form-status" role="status" aria-live="polite">
            {move || match status.get() {
                Some(Ok(message)) => view! { <span class="ok">{message}</span> }.into_any(),
                Some(Err(message)) => view! { <span class="error">{message}</span> }.into_any(),
                None => ().into_any(),
            }}
        </p>
    }
}

#[component]
pub fn AdminNotFound() -> impl IntoView {
    view! {
        <h1>"Not found"</h1>
        <p class="muted">"This admin page does not exist."</p>
        <A href="/admin">"Back to the dashboard"</A>
    }
}
