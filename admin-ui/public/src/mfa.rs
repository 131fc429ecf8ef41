//! Two-step sign-in screens: `/mfa` (the code after the password, or a step-up an app
//! asked for with `acr_values`), `/mfa/setup` (enrolling an authenticator app from its
//! QR code, then the backup codes, shown once), and the account page's section.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::mfa::{BackupCodes, MfaCode, MfaStatus, SignInStep, TotpEnrolment};
use shared::paths;
use shared::session::SessionInfo;
use ui_components::api::{csrf_token, get_json, navigate, post_json};
use ui_components::branding::{BrandHeader, LegalLinks, ThemeToggle};
use ui_components::query::use_query_map;

/// A state-changing call with this browser's CSRF token; `after` gets the decoded answer.
fn post<T: serde::de::DeserializeOwned + 'static>(
    path: &'static str,
    body: MfaCode,
    after: impl FnOnce(Result<T, String>) + 'static,
) {
    spawn_local(async move {
        let result = match csrf_token(None).await {
            Ok(token) => post_json::<_, T>(path, &token, &body).await,
            Err(e) => Err(e),
        };
        after(result);
    });
}

#[component]
pub fn MfaPage(setup: bool) -> impl IntoView {
    let query = use_query_map();
    let next = query.with_untracked(crate::steps::destination);
    let status = LocalResource::new(|| get_json::<MfaStatus>(paths::MFA));
    let signin = query.with_untracked(|q| match q.get("request") {
        Some(request) => format!("/signin?request={request}"),
        None => String::from("/signin"),
    });
    view! {
        <main id="main" class="auth-page">
            <div class="page-tools"><ThemeToggle/></div>
            <section class="card auth-card" aria-labelledby="mfa-title">
                <BrandHeader/>
                {move || match status.get() {
                    None => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
                    Some(Err(message)) => view! {
                        <h2 id="mfa-title">"Two-step sign-in"</h2>
                        <p class="error" role="alert">{message}</p>
                        <a class="btn btn-primary" href=signin.clone()>"Sign in again"</a>
                    }.into_any(),
                    Some(Ok(s)) if (s.totp_enabled || s.passkeys > 0) && !setup => {
                        let passkey = s.passkeys > 0;
                        view! { <VerifyForm next=next.clone() totp=s.totp_enabled passkey=passkey/> }.into_any()
                    }
                    Some(Ok(s)) if s.totp_enabled => view! {
                        <h2 id="mfa-title">"Two-step sign-in is on"</h2>
                        <a class="btn btn-primary" href=next.clone()>"Continue"</a>
                    }.into_any(),
                    Some(Ok(s)) => view! { <Enrol status=s next=next.clone()/> }.into_any(),
                }}
            </section>
            <LegalLinks/>
        </main>
    }
}

#[component]
fn VerifyForm(next: String, totp: bool, passkey: bool) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let passkey_next = next.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let next = next.clone();
        post::<SessionInfo>(paths::MFA_VERIFY, MfaCode { code: code.get_untracked() }, move |result| match result {
            // A new password may still be due (PASSWORD_EXPIRY_DAYS).
            Ok(SessionInfo { step: Some(step), .. }) => {
                navigate(&use_query_map().with_untracked(|q| crate::steps::after(Some(step), q)))
            }
            Ok(_) => navigate(&next),
            Err(message) => {
                status.set(Some(message));
                code.set(String::new());
                busy.set(false);
            }
        });
    };
    view! {
        <h2 id="mfa-title">{if totp { "Enter your code" } else { "Confirm it is you" }}</h2>
        {passkey.then(|| view! { <crate::passkeys::PasskeyButton next=passkey_next.clone() label="Use a passkey"/> })}
        <Show when=move || totp>
        <p class="muted">"Open your authenticator app and enter the six-digit code it shows for this account. \
            Lost the app? Enter one of your backup codes instead."</p>
        <form class="form" on:submit=on_submit.clone()>
            <label for="mfa-code">"Code"</label>
            <input id="mfa-code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required
                autofocus prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
            <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                {move || if busy.get() { "Checking…" } else { "Verify" }}
            </button>
        </form>
        </Show>
    }
}

/// Enrolling an authenticator app: the QR code and the secret, a first code, then the
/// backup codes.
#[component]
fn Enrol(status: MfaStatus, next: String) -> impl IntoView {
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    // Where "continue" leads once the codes are shown.
    let after_codes = RwSignal::new(next.clone());
    let code = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let start = move |_| {
        message.set(None);
        spawn_local(async move {
            let result = match csrf_token(None).await {
                Ok(token) => post_json::<_, TotpEnrolment>(paths::MFA_TOTP, &token, &serde_json::json!({})).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(e) => enrolment.set(Some(e)),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        post::<BackupCodes>(paths::MFA_TOTP_CONFIRM, MfaCode { code: code.get_untracked() }, move |result| {
            match result {
                Ok(answer) => {
                    // After the codes: a new password may still be due (PASSWORD_EXPIRY_DAYS).
                    if let Some(step) = answer.step.filter(|s| *s != SignInStep::EnrolSoon) {
                        after_codes.set(use_query_map().with_untracked(|q| crate::steps::after(Some(step), q)));
                    }
                    codes.set(Some(answer.backup_codes))
                }
                Err(e) => message.set(Some(e)),
            }
        });
    };
    // A pending sign-in has no session to continue with; a required one, only in its grace period.
    let later = match (status.pending_sign_in, status.required, status.enrol_by) {
        (true, _, _) => None,
        (false, false, _) => Some("Not now"),
        (false, true, Some(_)) => Some("Remind me later"),
        (false, true, None) => None,
    };
    let intro = if status.required {
        "Your account needs two-step sign-in: a code from an authenticator app on your phone, after your password."
    } else {
        "Add a second step to your sign-in: a code from an authenticator app on your phone, after your password."
    };
    view! {
        <h2 id="mfa-title">"Set up two-step sign-in"</h2>
        {move || match (enrolment.get(), codes.get()) {
            (_, Some(list)) => view! {
                <p>"Two-step sign-in is on. Save these backup codes somewhere safe: each signs you in once \
                    if you lose your phone. They are not shown again."</p>
                <ol id="backup-codes" class="backup-codes">
                    {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ol>
                <a class="btn btn-primary" href=after_codes.get()>"I saved them — continue"</a>
            }.into_any(),
            (Some(e), None) => view! {
                <ol class="steps">
                    <li>"Scan this QR code with your authenticator app (Google Authenticator, 1Password, Authy…)."</li>
                </ol>
                <div class="qr" inner_html=e.qr_svg.clone()></div>
                <p class="muted">"Or type this key into the app: "<code id="totp-secret">{e.secret.clone()}</code></p>
                <form class="form" on:submit=confirm>
                    <label for="totp-code">"The six-digit code the app shows now"</label>
                    <input id="totp-code" type="text" inputmode="numeric" autocomplete="one-time-code" required
                        prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                    <button type="submit" class="btn btn-primary">"Turn on"</button>
                </form>
            }.into_any(),
            (None, None) => view! {
                <p>{intro}</p>
                <button type="button" class="btn btn-primary" on:click=start>"Set up an authenticator app"</button>
            }.into_any(),
        }}
        <p class="form-status error" role="alert" aria-live="assertive">{move || message.get()}</p>
        {later.map(|label| view! { <a class="muted" href=next.clone()>{label}</a> })}
    }
}

/// The account page's section: on or off, backup codes left, new codes, turn off.
#[component]
pub fn TwoStepSection() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        version.get();
        get_json::<MfaStatus>(paths::MFA)
    });
    let code = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let fresh = RwSignal::new(None::<Vec<String>>);
    let regenerate = move |_| {
        post::<BackupCodes>(paths::MFA_BACKUP_CODES, MfaCode { code: code.get_untracked() }, move |result| {
            code.set(String::new());
            match result {
                Ok(answer) => {
                    fresh.set(Some(answer.backup_codes));
                    message.set(Some((true, "New backup codes: the old ones no longer work.".into())));
                    version.update(|v| *v += 1);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let disable = move |_| {
        let body = MfaCode { code: code.get_untracked() };
        spawn_local(async move {
            let result = match csrf_token(None).await {
                Ok(token) => {
                    let body = serde_json::json!({ "code": body.code });
                    ui_components::api::send("POST", paths::MFA_DISABLE, &token, Some(&body)).await
                }
                Err(e) => Err(e),
            };
            code.set(String::new());
            match result {
                Ok(()) => {
                    message.set(Some((true, "Two-step sign-in is off.".into())));
                    version.update(|v| *v += 1);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    view! {
        {move || match status.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(s)) if !s.totp_enabled => view! {
                <p id="mfa-state">"Off. Add a code from an authenticator app to your sign-in."</p>
                <a class="btn btn-primary" href="/mfa/setup?next=%2Faccount">"Set up two-step sign-in"</a>
            }.into_any(),
            Some(Ok(s)) => view! {
                <p id="mfa-state">{format!("On: authenticator app. {} backup codes left.", s.backup_codes_left)}</p>
                <label for="mfa-manage-code">"A current code (app or backup), to change this"</label>
                <input id="mfa-manage-code" type="text" autocomplete="one-time-code"
                    prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                <div class="actions">
                    <button type="button" class="btn" on:click=regenerate>"New backup codes"</button>
                    <button type="button" class="btn btn-ghost" on:click=disable disabled=s.required>"Turn off"</button>
                </div>
            }.into_any(),
        }}
        {move || fresh.get().map(|list| view! {
            <ol id="backup-codes" class="backup-codes">
                {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
        })}
        <p class="form-status" role="status" aria-live="polite"
            class:error=move || matches!(message.get(), Some((false, _)))
            class:ok=move || matches!(message.get(), Some((true, _)))>{move || message.get().map(|(_, m)| m)}</p>
    }
}
