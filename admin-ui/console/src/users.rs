//! `/admin/users`: people and their roles, over the admin API on users. The server decides
//! who may do what (only a super_admin manages admins or changes roles); its refusals are
//! shown where they happen.

use leptos::prelude::*;
use serde_json::json;
use shared::account::{email_problem, Page};
use shared::admin::{AdminUser, NewUser};
use shared::paths;

use crate::admin::{paged, StatusLine};
use crate::calls::{act, call, date, encode};
use crate::user_detail::UserDetail;

const ROLES: [&str; 3] = ["user", "admin", "super_admin"];

#[component]
pub fn UsersList() -> impl IntoView {
    const PAGE: u32 = 20;
    let search = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    // "true" / "false": with or without a second factor; empty: any.
    let mfa = RwSignal::new(String::new());
    let offset = RwSignal::new(0u32);
    let reload = RwSignal::new(0u32);
    let status = RwSignal::new(None::<Result<String, String>>);
    let selected = RwSignal::new(None::<AdminUser>);
    // The list is what an admin comes for; the form opens on demand.
    let adding = RwSignal::new(false);
    let users = LocalResource::new(move || {
        let (search, role, mfa, offset, _) = (search.get(), role.get(), mfa.get(), offset.get(), reload.get());
        async move {
            let role = if role.is_empty() { String::new() } else { format!("&role={}", encode(&role)) };
            let mfa = if mfa.is_empty() { String::new() } else { format!("&mfa={mfa}") };
            let path = format!("{}?limit={PAGE}&offset={offset}&search={}{role}{mfa}", paths::USERS, encode(&search));
            call::<Page<AdminUser>>("GET", &path, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            <button type="button" class="btn btn-primary" aria-expanded=move || adding.get().to_string()
                on:click=move |_| adding.update(|a| *a = !*a)>"New account"</button>
        </div>
        <Show when=move || adding.get()>
            <NewUserForm status=status reload=reload adding=adding/>
        </Show>
        <section class="card" aria-labelledby="users-title">
            <h2 id="users-title">"Accounts"</h2>
            <div class="filters">
                <label for="user-search">"Search"</label>
                <input id="user-search" type="search" placeholder="Email or name" prop:value=search
                    on:input=move |ev| { offset.set(0); search.set(event_target_value(&ev)); }/>
                <label for="user-role">"Role"</label>
                <select id="user-role" prop:value=role on:change=move |ev| { offset.set(0); role.set(event_target_value(&ev)); }>
                    <option value="">"Any"</option>
                    {ROLES.map(|r| view! { <option value=r>{r}</option> }).collect_view()}
                </select>
                <label for="user-mfa">"Two-step sign-in"</label>
                <select id="user-mfa" prop:value=mfa on:change=move |ev| { offset.set(0); mfa.set(event_target_value(&ev)); }>
                    <option value="">"Any"</option>
                    <option value="true">"On"</option>
                    <option value="false">"Off"</option>
                </select>
            </div>
            <StatusLine status=status/>
            {move || paged(users.get(), "No accounts match.", offset, PAGE, ("Previous", "Next"), |data| view! {
                        <table class="table">
                            <caption class="sr-only">"Accounts"</caption>
                            <thead><tr>
                                <th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Role"</th>
                                <th scope="col">"Status"</th><th scope="col">"Two-step"</th><th scope="col">"Last sign-in"</th>
                                <th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>{data.into_iter().map(|u| view! { <UserRow user=u status=status reload=reload selected=selected/> }).collect_view()}</tbody>
                        </table>
                        }.into_any())}
        </section>
        {move || selected.get().map(|user| view! {
            <UserDetail user=user status=status reload=reload close=Callback::new(move |()| selected.set(None))/>
        })}
    }
}

#[component]
fn UserRow(
    user: AdminUser,
    status: RwSignal<Option<Result<String, String>>>,
    reload: RwSignal<u32>,
    selected: RwSignal<Option<AdminUser>>,
) -> impl IntoView {
    let path = format!("{}/{}", paths::USERS, encode(&user.id));
    let email = user.email.clone();
    let state = match (user.active, user.locked) {
        (false, _) => "Deactivated".to_string(),
        (true, true) => "Locked".to_string(),
        (true, false) => "Active".to_string(),
    };
    let role_label = format!("Role of {}", user.email);
    let (role_path, toggle_path, reset_path, delete_path, unlock_path) =
        (path.clone(), path.clone(), format!("{path}/send-password-reset"), path.clone(), format!("{path}/unlock"));
    let (e1, e2, e3, e4, e5) = (email.clone(), email.clone(), email.clone(), email.clone(), email.clone());
    let active = user.active;
    let on_role = move |ev: leptos::ev::Event| {
        let role = event_target_value(&ev);
        act("PATCH", role_path.clone(), Some(json!({ "role": role })), format!("{e1} is now {role}."), status, reload);
    };
    let toggle = move |_| {
        let done =
            if active { format!("{e2} is deactivated and signed out.") } else { format!("{e2} is active again.") };
        act("PATCH", toggle_path.clone(), Some(json!({ "active": !active })), done, status, reload);
    };
    let reset =
        move |_| act("POST", reset_path.clone(), None, format!("A reset link was sent to {e3}."), status, reload);
    let unlock = move |_| act("POST", unlock_path.clone(), None, format!("{e5} is unlocked."), status, reload);
    let delete = move |_| {
        let sure = window()
            .confirm_with_message(&format!("Delete {e4}? Their sessions end and their tokens stop working."))
            .unwrap_or(false);
        if sure {
            act("DELETE", delete_path.clone(), None, format!("{e4} is deleted."), status, reload);
        }
    };
    let current = user.role.clone();
    let details_label = format!("Sessions and apps of {}", user.email);
    let shown = user.clone();
    view! {
        <tr>
            <td>{user.email.clone()}</td>
            <td>{user.name.clone().unwrap_or_default()}</td>
            <td>
                <select aria-label=role_label on:change=on_role>
                    {ROLES.map(|r| view! { <option value=r selected=r == current>{r}</option> }).collect_view()}
                </select>
            </td>
            <td>{state}</td>
            <td>{if user.mfa_enabled { "On" } else { "Off" }}</td>
            <td>{date(user.last_login_at.unwrap_or(0))}</td>
            <td class="actions">
                <button type="button" class="btn btn-ghost" aria-label=details_label
                    on:click=move |_| selected.set(Some(shown.clone()))>"Details"</button>
                {user.locked.then(|| view! { <button type="button" class="btn btn-ghost" on:click=unlock>"Unlock"</button> })}
                <button type="button" class="btn btn-ghost" on:click=toggle>{if active { "Deactivate" } else { "Activate" }}</button>
                <button type="button" class="btn btn-ghost" on:click=reset>"Send reset link"</button>
                <button type="button" class="btn btn-ghost" on:click=delete>"Delete"</button>
            </td>
        </tr>
    }
}

/// Creates an account: with a password, or a mailed link to set one.
#[component]
fn NewUserForm(
    status: RwSignal<Option<Result<String, String>>>,
    reload: RwSignal<u32>,
    adding: RwSignal<bool>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::from("user"));
    let password = RwSignal::new(String::new());
    let mail_link = RwSignal::new(true);
    let vouched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = move || {
        let email = email.get();
        (!email.is_empty()).then(|| email_problem(email.trim())).flatten().map(|p| format!("Email: {p}"))
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if problem().is_some() || busy.get_untracked() {
            return;
        }
        let send_password_mail = mail_link.get_untracked();
        let new = NewUser {
            email: email.get_untracked().trim().to_owned(),
            name: Some(name.get_untracked().trim().to_owned()).filter(|n| !n.is_empty()),
            password: (!send_password_mail).then(|| password.get_untracked()),
            role: Some(role.get_untracked()),
            send_password_mail,
            // The set-password link proves the address; with a password, the admin vouches
            // for it or the person gets a verification link (docs/security.md).
            email_verified: !send_password_mail && vouched.get_untracked(),
        };
        let Ok(body) = serde_json::to_value(&new) else { return };
        busy.set(true);
        let who = email.get_untracked();
        leptos::task::spawn_local(async move {
            match call::<AdminUser>("POST", paths::USERS, Some(body)).await {
                Ok(_) => {
                    status.set(Some(Ok(format!("{} is created.", who.trim()))));
                    adding.set(false);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title">"New account"</h2>
            <form class="form" on:submit=on_submit aria-label="New account">
                <label for="new-email">"Email"</label>
                <input id="new-email" type="email" required prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="new-name">"Name"</label>
                <input id="new-name" type="text" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="new-role">"Role"</label>
                <select id="new-role" prop:value=role on:change=move |ev| role.set(event_target_value(&ev))>
                    {ROLES.map(|r| view! { <option value=r>{r}</option> }).collect_view()}
                </select>
                <label for="new-mail-link" class="check">
                    <input id="new-mail-link" type="checkbox" prop:checked=mail_link on:change=move |ev| mail_link.set(event_target_checked(&ev))/>
                    " Send a link to set the password"
                </label>
                <Show when=move || !mail_link.get()>
                    <label for="new-password">"Password"</label>
                    <input id="new-password" type="password" autocomplete="new-password" prop:value=password
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                    <label for="new-vouched" class="check">
                        <input id="new-vouched" type="checkbox" prop:checked=vouched on:change=move |ev| vouched.set(event_target_checked(&ev))/>
                        " I know this address is theirs (no verification link)"
                    </label>
                </Show>
                <p class="form-status error" role="alert">{problem}</p>
                <button type="submit" class="btn btn-primary" disabled=move || busy.get() || problem().is_some()>"Create account"</button>
            </form>
        </section>
    }
}
