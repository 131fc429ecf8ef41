//! The Users screen's detail panel: one person's browser sessions and the apps they
//! allowed, each ended or withdrawn through the admin API (`/api/sessions/{id}`,
//! `/api/users/{id}/sessions`, `/api/users/{id}/consents`).

use leptos::prelude::*;
use shared::account::{ConsentSummary, LinkedIdentity};
use shared::admin::{AdminUser, UserSession};
use shared::paths;

use crate::calls::{act, call, date, encode};

type Status = RwSignal<Option<Result<String, String>>>;

#[derive(serde::Deserialize)]
struct SessionList {
    data: Vec<UserSession>,
}

#[derive(serde::Deserialize)]
struct IdentityList {
    data: Vec<LinkedIdentity>,
}

#[component]
pub fn UserDetail(user: AdminUser, status: Status, reload: RwSignal<u32>, close: Callback<()>) -> impl IntoView {
    let base = format!("{}/{}", paths::USERS, encode(&user.id));
    let (sessions_path, consents_path) = (format!("{base}/sessions"), format!("{base}/consents"));
    let (s_path, c_path) = (sessions_path.clone(), consents_path.clone());
    let sessions = LocalResource::new(move || {
        let path = s_path.clone();
        reload.track();
        async move { call::<SessionList>("GET", &path, None).await.map(|l| l.map(|l| l.data).unwrap_or_default()) }
    });
    let consents = LocalResource::new(move || {
        let path = c_path.clone();
        reload.track();
        async move { call::<Vec<ConsentSummary>>("GET", &path, None).await.map(Option::unwrap_or_default) }
    });
    let identities_path = format!("{base}/identities");
    let identities = LocalResource::new(move || {
        let path = identities_path.clone();
        reload.track();
        async move { call::<IdentityList>("GET", &path, None).await.map(|l| l.map(|l| l.data).unwrap_or_default()) }
    });
    let email = user.email.clone();
    let end_all = move |_| {
        if window()
            .confirm_with_message(&format!("Sign {email} out everywhere? Their refresh tokens are revoked too."))
            .unwrap_or(false)
        {
            act("DELETE", sessions_path.clone(), None, format!("{email} is signed out everywhere."), status, reload);
        }
    };
    // A lost phone: the app, backup codes and passkeys go; the person signs in with the
    // password (and enrols again where a second factor is required).
    let (mfa_path, mfa_email) = (format!("{base}/mfa"), user.email.clone());
    let reset_mfa = move |_| {
        if window()
            .confirm_with_message(&format!(
                "Reset {mfa_email}'s two-step sign-in? Their app, backup codes and passkeys stop working."
            ))
            .unwrap_or(false)
        {
            act("DELETE", mfa_path.clone(), None, format!("{mfa_email}'s two-step sign-in is reset."), status, reload);
        }
    };
    let mfa_state = if user.mfa_enabled { "On" } else { "Off" };
    let has_mfa = user.mfa_enabled;
    let title = format!("{}: sessions and apps", user.email);
    let who = user.email.clone();
    view! {
        <section class="card" aria-labelledby="user-detail-title">
            <h2 id="user-detail-title">{title}</h2>
            <h3>"Two-step sign-in"</h3>
            <p id="user-mfa-state">{mfa_state}" "
                {has_mfa.then(|| view! { <button type="button" class="btn btn-ghost" on:click=reset_mfa.clone()>"Reset two-step sign-in"</button> })}
            </p>
            <h3>"Linked sign-in providers"</h3>
            {move || match identities.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"None."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="rows" aria-label="Linked sign-in providers">
                        {list.into_iter().map(|i| view! {
                            <li class="row"><span><strong>{i.display_name}</strong>" "{i.email.unwrap_or_default()}</span>
                                <span class="muted">{format!("linked {}", date(i.linked_at))}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <h3>"Browser sessions"</h3>
            {move || match sessions.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"Not signed in anywhere."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table">
                        <caption class="sr-only">"Browser sessions"</caption>
                        <thead><tr><th scope="col">"IP address"</th><th scope="col">"Device"</th><th scope="col">"Signed in"</th>
                            <th scope="col">"Last seen"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>{list.into_iter().map(|s| {
                            let path = format!("{}/{}", paths::SESSIONS, encode(&s.id));
                            let label = format!("End the session from {}", s.ip_address.clone().unwrap_or_default());
                            view! {
                                <tr>
                                    <td>{s.ip_address.clone().unwrap_or_default()}{s.location.clone().map(|l| format!(" ({l})"))}</td>
                                    <td title=s.user_agent.clone().unwrap_or_default()>{s.device.clone().or(s.user_agent.clone()).unwrap_or_default()}</td>
                                    <td>{date(s.created_at)}</td>
                                    <td>{date(s.last_seen_at)}</td>
                                    <td class="actions"><button type="button" class="btn btn-ghost" aria-label=label
                                        on:click=move |_| act("DELETE", path.clone(), None, "The session is ended.".into(), status, reload)>"End"</button></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
            <button type="button" class="btn btn-ghost" on:click=end_all>"Sign out everywhere"</button>
            <h3>"Apps allowed"</h3>
            {move || match consents.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"No apps."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table">
                        <caption class="sr-only">"Apps allowed"</caption>
                        <thead><tr><th scope="col">"App"</th><th scope="col">"Scopes"</th><th scope="col">"Since"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>{list.into_iter().map(|c| {
                            let path = format!("{consents_path}/{}", encode(&c.client_id));
                            let (label, done) = (format!("Withdraw consent to {}", c.client_name), format!("{} must ask {who} again.", c.client_name));
                            view! {
                                <tr>
                                    <td>{c.client_name.clone()}</td>
                                    <td>{c.scopes.join(" ")}</td>
                                    <td>{date(c.updated_at)}</td>
                                    <td class="actions"><button type="button" class="btn btn-ghost" aria-label=label
                                        on:click=move |_| act("DELETE", path.clone(), None, done.clone(), status, reload)>"Withdraw"</button></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
            <button type="button" class="btn btn-ghost" on:click=move |_| close.run(())>"Close"</button>
        </section>
    }
}
