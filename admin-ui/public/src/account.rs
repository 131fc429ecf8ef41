//! `/account`: the signed-in person's own page: profile, password, the browsers signed
//! in (each can be signed out) and the apps they allowed (each can be revoked).
//! Without a session it sends the person to sign in and back here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::{ConsentSummary, Profile, SessionSummary};
use shared::paths;
use shared::session::SessionInfo;

use shared::i18n::{fill, Locale};
use ui_components::api::{csrf_token, get_json, navigate, send, session};
use ui_components::branding::{BrandHeader, LegalLinks, PageTools};
use ui_components::forms::{password_problem, PasswordChecklist};
use ui_components::i18n::{language, messages};

/// A unix time in the page's language and the browser's time zone.
fn local_time(t: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0));
    String::from(date.to_locale_string(ui_components::i18n::current_tag(), &wasm_bindgen::JsValue::UNDEFINED))
}

/// Runs a state-changing call with this browser's CSRF token; `after` gets the outcome.
fn call(
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    after: impl FnOnce(Result<(), String>) + 'static,
) {
    spawn_local(async move {
        let result = match csrf_token(None).await {
            Ok(token) => send(method, &path, &token, body.as_ref()).await,
            Err(e) => Err(e),
        };
        after(result);
    });
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let info = LocalResource::new(session);
    let t = messages();
    view! {
        <main id="main" class="auth-page account-page">
            <PageTools/>
            {move || match info.get() {
                None => view! { <p class="muted" role="status">{t.get().loading}</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(SessionInfo { user: None, .. })) => {
                    navigate("/signin?next=%2Faccount");
                    view! { <p class="muted" role="status">{t.get().signing_in}</p> }.into_any()
                }
                Some(Ok(SessionInfo { user: Some(_), .. })) => view! { <AccountSections/> }.into_any(),
            }}
            <LegalLinks/>
        </main>
    }
}

#[component]
fn AccountSections() -> impl IntoView {
    // Bumped after a change so the lists load again.
    let version = RwSignal::new(0u32);
    let profile = LocalResource::new(move || {
        version.get();
        get_json::<Profile>(paths::ACCOUNT)
    });
    let sessions = LocalResource::new(move || {
        version.get();
        get_json::<Vec<SessionSummary>>(paths::ACCOUNT_SESSIONS)
    });
    let consents = LocalResource::new(move || {
        version.get();
        get_json::<Vec<ConsentSummary>>(paths::ACCOUNT_CONSENTS)
    });
    let sign_out = move |_| {
        call("DELETE", paths::SESSION.into(), None, |_| navigate("/signin"));
    };
    let t = messages();
    // The account's saved language counts when this browser has no choice of its own
    // (docs/i18n.md, "Which language a person gets").
    let chosen = language().chosen;
    Effect::new(move |_| {
        if let Some(Ok(Profile { locale: Some(saved), .. })) = profile.get() {
            if chosen.get_untracked().is_none() {
                chosen.set(Some(saved));
            }
        }
    });
    view! {
        <section class="card account-card" aria-labelledby="account-title">
            <BrandHeader/>
            <div class="account-head">
                <h1 id="account-title">{move || t.get().your_account}</h1>
                <button type="button" class="btn" on:click=sign_out>{move || t.get().sign_out}</button>
            </div>
            {move || match profile.get() {
                None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(p)) => view! { <ProfileForm profile=p/> }.into_any(),
            }}
        </section>
        <crate::confirm::ConfirmIdentityCard/>
        <section class="card account-card" aria-labelledby="password-title">
            <h2 id="password-title">{move || t.get().password}</h2>
            <PasswordForm version=version admin=Signal::derive(move || {
                matches!(profile.get(), Some(Ok(p)) if p.role != "user")
            })/>
        </section>
        <section class="card account-card" aria-labelledby="mfa-title">
            <h2 id="mfa-title">{move || t.get().two_step_sign_in}</h2>
            <crate::mfa::TwoStepSection/>
        </section>
        <section class="card account-card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">{move || t.get().passkeys}</h2>
            <p class="muted">{move || t.get().passkeys_intro}</p>
            <crate::passkeys::PasskeySection/>
        </section>
        <section class="card account-card" aria-labelledby="linked-title">
            <h2 id="linked-title">{move || t.get().linked_accounts}</h2>
            <crate::social::LinkedAccounts/>
        </section>
        <section class="card account-card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{move || t.get().where_signed_in}</h2>
            {move || match sessions.get() {
                None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="rows" aria-label=t.get().sessions>
                        {list.into_iter().map(|s| view! { <SessionRow session=s version=version/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <section class="card account-card" aria-labelledby="apps-title">
            <h2 id="apps-title">{move || t.get().apps_allowed}</h2>
            {move || match consents.get() {
                None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">{t.get().no_apps}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="rows" aria-label=t.get().apps>
                        {list.into_iter().map(|c| view! { <ConsentRow consent=c version=version/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ProfileForm(profile: Profile) -> impl IntoView {
    let field = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
    let (name, given, family, locale) =
        (field(&profile.name), field(&profile.given_name), field(&profile.family_name), field(&profile.locale));
    let status = RwSignal::new(None::<(bool, String)>);
    let t = messages();
    let chosen = language().chosen;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let saved_locale = locale.get_untracked();
        let body = serde_json::json!({
            "name": name.get_untracked(), "given_name": given.get_untracked(),
            "family_name": family.get_untracked(), "locale": saved_locale,
        });
        call("PATCH", paths::ACCOUNT.into(), Some(body), move |result| match result {
            // The form already shows what was saved; reloading it would drop this message.
            Ok(()) => {
                // The saved language is this browser's too, from now on.
                if Locale::parse(&saved_locale).is_some() {
                    ui_components::i18n::remember(&saved_locale);
                    chosen.set(Some(saved_locale));
                }
                status.set(Some((true, t.get_untracked().profile_saved.into())));
            }
            Err(message) => status.set(Some((false, message))),
        });
    };
    let verified = profile.email_verified;
    // The languages this server speaks, and the account's own tag if it is another one.
    let current = locale.get_untracked();
    let other = (!current.is_empty() && Locale::parse(&current).is_none())
        .then(|| view! { <option value=current.clone()>{current.clone()}</option> });
    let options = Locale::ALL.iter().map(|l| view! { <option value=l.tag()>{l.name()}</option> }).collect_view();
    view! {
        <dl class="facts">
            <dt>{move || t.get().email}</dt><dd>{profile.email.clone()}" "<span class="badge">{move || if verified { t.get().verified } else { t.get().not_verified_yet }}</span></dd>
            <dt>{move || t.get().member_since}</dt><dd>{local_time(profile.created_at)}</dd>
        </dl>
        <form class="form" on:submit=on_submit aria-label=move || t.get().profile>
            <label for="profile-name">{move || t.get().name}</label>
            <input id="profile-name" type="text" autocomplete="name" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="profile-given">{move || t.get().given_name}</label>
            <input id="profile-given" type="text" autocomplete="given-name" prop:value=given on:input=move |ev| given.set(event_target_value(&ev))/>
            <label for="profile-family">{move || t.get().family_name}</label>
            <input id="profile-family" type="text" autocomplete="family-name" prop:value=family on:input=move |ev| family.set(event_target_value(&ev))/>
            <label for="profile-locale">{move || t.get().language}</label>
            <select id="profile-locale" prop:value=locale on:change=move |ev| locale.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {other}
                {options}
            </select>
            <p class="form-status" role="status" aria-live="polite"
                class:error=move || matches!(status.get(), Some((false, _)))
                class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
            <button type="submit" class="btn btn-primary">{move || t.get().save_profile}</button>
        </form>
    }
}

#[component]
fn PasswordForm(version: RwSignal<u32>, admin: Signal<bool>) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let t = messages();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(problem) = password_problem(&new.get_untracked(), admin.get_untracked()) {
            status.set(Some((false, problem)));
            return;
        }
        let body =
            serde_json::json!({ "current_password": current.get_untracked(), "new_password": new.get_untracked() });
        call("POST", paths::ACCOUNT_PASSWORD.into(), Some(body), move |result| match result {
            Ok(()) => {
                current.set(String::new());
                new.set(String::new());
                status.set(Some((true, t.get_untracked().password_changed.into())));
                version.update(|v| *v += 1);
            }
            Err(message) => status.set(Some((false, message))),
        });
    };
    view! {
        <form class="form" on:submit=on_submit aria-label=move || t.get().change_password>
            <label for="current-password">{move || t.get().current_password}</label>
            <input id="current-password" type="password" autocomplete="current-password" required
                prop:value=current on:input=move |ev| current.set(event_target_value(&ev))/>
            <label for="new-password">{move || t.get().new_password}</label>
            <input id="new-password" type="password" autocomplete="new-password" required aria-describedby="new-password-rules"
                prop:value=new on:input=move |ev| new.set(event_target_value(&ev))/>
            <PasswordChecklist password=new id="new-password-rules" admin=admin/>
            <p class="form-status" role="status" aria-live="polite"
                class:error=move || matches!(status.get(), Some((false, _)))
                class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
            <button type="submit" class="btn btn-primary">{move || t.get().change_password}</button>
        </form>
    }
}

#[component]
fn SessionRow(session: SessionSummary, version: RwSignal<u32>) -> impl IntoView {
    let t = ui_components::i18n::current();
    let agent = session.user_agent.clone().unwrap_or_else(|| t.unknown_browser.into());
    let ip = session.ip_address.clone().unwrap_or_else(|| t.unknown_address.into());
    let (last, since) = (local_time(session.last_seen_at), local_time(session.created_at));
    let detail = fill(t.session_detail, &[("ip", &ip), ("last", &last), ("since", &since)]);
    let path = format!("{}/{}", paths::ACCOUNT_SESSIONS, session.id);
    let action = if session.current {
        view! { <span class="badge">{t.this_browser}</span> }.into_any()
    } else {
        let label = fill(t.sign_out_of, &[("agent", &agent)]);
        view! {
            <button type="button" class="btn btn-ghost" aria-label=label
                on:click=move |_| call("DELETE", path.clone(), None, move |_| version.update(|v| *v += 1))>{t.sign_out}</button>
        }
        .into_any()
    };
    view! {
        <li class="row">
            <div><strong>{agent}</strong><br/><span class="muted">{detail}</span></div>
            {action}
        </li>
    }
}

#[component]
fn ConsentRow(consent: ConsentSummary, version: RwSignal<u32>) -> impl IntoView {
    let path = format!("{}/{}", paths::ACCOUNT_CONSENTS, js_sys::encode_uri_component(&consent.client_id));
    let t = ui_components::i18n::current();
    let label = fill(t.revoke_access_of, &[("app", &consent.client_name)]);
    let detail =
        fill(t.consent_detail, &[("scopes", &consent.scopes.join(", ")), ("when", &local_time(consent.updated_at))]);
    view! {
        <li class="row">
            <div><strong>{consent.client_name.clone()}</strong><br/><span class="muted">{detail}</span></div>
            <button type="button" class="btn btn-ghost" aria-label=label
                on:click=move |_| call("DELETE", path.clone(), None, move |_| version.update(|v| *v += 1))>{t.revoke_access}</button>
        </li>
    }
}
