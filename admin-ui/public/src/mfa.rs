//! Two-step sign-in screens: `/mfa` (the code after the password, or a step-up an app
//! asked for with `acr_values`), `/mfa/setup` (enrolling an authenticator app from its
//! QR code, then the backup codes, shown once), and the account page's section.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::i18n::fill;
use shared::mfa::{BackupCodes, MfaCode, MfaStatus, SignInStep, TotpEnrolment};
use shared::paths;
use shared::session::SessionInfo;
use ui_components::api::{csrf_token, get_json, navigate, post_json};
use ui_components::branding::{BrandHeader, LegalLinks, PageTools};
use ui_components::i18n::messages;
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
    let t = messages();
    view! {
        <main id="main" class="auth-page">
            <PageTools/>
            <section class="card auth-card" aria-labelledby="mfa-title">
                <BrandHeader/>
                {move || match status.get() {
                    None => view! { <p class="muted" role="status">{t.get().loading}</p> }.into_any(),
                    Some(Err(message)) => view! {
                        <h2 id="mfa-title">{t.get().two_step_sign_in}</h2>
                        <p class="error" role="alert">{message}</p>
                        <a class="btn btn-primary" href=signin.clone()>{t.get().sign_in_again}</a>
                    }.into_any(),
                    Some(Ok(s)) if (s.totp_enabled || s.passkeys > 0) && !setup => {
                        let passkey = s.passkeys > 0;
                        view! { <VerifyForm next=next.clone() totp=s.totp_enabled passkey=passkey/> }.into_any()
                    }
                    Some(Ok(s)) if s.totp_enabled => view! {
                        <h2 id="mfa-title">{t.get().two_step_is_on}</h2>
                        <a class="btn btn-primary" href=next.clone()>{t.get().continue_}</a>
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
    let t = messages();
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
        <h2 id="mfa-title">{move || if totp { t.get().enter_your_code } else { t.get().confirm_it_is_you }}</h2>
        {passkey.then(|| view! { <crate::passkeys::PasskeyButton next=passkey_next.clone() label=t.get_untracked().use_a_passkey/> })}
        <Show when=move || totp>
        <p class="muted">{move || t.get().mfa_code_intro}</p>
        <form class="form" on:submit=on_submit.clone()>
            <label for="mfa-code">{move || t.get().code}</label>
            <input id="mfa-code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required
                autofocus prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
            <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                {move || if busy.get() { t.get().checking } else { t.get().verify }}
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
    let t = messages();
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
    let tu = t.get_untracked();
    let later = match (status.pending_sign_in, status.required, status.enrol_by) {
        (true, _, _) => None,
        (false, false, _) => Some(tu.not_now),
        (false, true, Some(_)) => Some(tu.remind_later),
        (false, true, None) => None,
    };
    let intro = if status.required { tu.mfa_required_intro } else { tu.mfa_optional_intro };
    view! {
        <h2 id="mfa-title">{move || t.get().set_up_two_step}</h2>
        {move || match (enrolment.get(), codes.get()) {
            (_, Some(list)) => view! {
                <p>{t.get().backup_codes_intro}</p>
                <ol id="backup-codes" class="backup-codes">
                    {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ol>
                <a class="btn btn-primary" href=after_codes.get()>{t.get().saved_them}</a>
            }.into_any(),
            (Some(e), None) => view! {
                <ol class="steps">
                    <li>{t.get().scan_qr}</li>
                </ol>
                <div class="qr" inner_html=e.qr_svg.clone()></div>
                <p class="muted">{t.get().type_key}" "<code id="totp-secret">{e.secret.clone()}</code></p>
                <form class="form" on:submit=confirm>
                    <label for="totp-code">{t.get().app_code_now}</label>
                    <input id="totp-code" type="text" inputmode="numeric" autocomplete="one-time-code" required
                        prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                    <button type="submit" class="btn btn-primary">{t.get().turn_on}</button>
                </form>
            }.into_any(),
            (None, None) => view! {
                <p>{intro}</p>
                <button type="button" class="btn btn-primary" on:click=start>{t.get().set_up_app}</button>
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
    let t = messages();
    let regenerate = move |_| {
        post::<BackupCodes>(paths::MFA_BACKUP_CODES, MfaCode { code: code.get_untracked() }, move |result| {
            code.set(String::new());
            match result {
                Ok(answer) => {
                    fresh.set(Some(answer.backup_codes));
                    message.set(Some((true, t.get_untracked().new_codes_done.into())));
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
                    message.set(Some((true, t.get_untracked().two_step_off_done.into())));
                    version.update(|v| *v += 1);
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    view! {
        {move || match status.get() {
            None => view! { <p class="muted">{t.get().loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(s)) if !s.totp_enabled => view! {
                <p id="mfa-state">{t.get().mfa_off_state}</p>
                <a class="btn btn-primary" href="/mfa/setup?next=%2Faccount">{t.get().set_up_two_step}</a>
            }.into_any(),
            Some(Ok(s)) => view! {
                <p id="mfa-state">{fill(t.get().mfa_on_state, &[("n", &s.backup_codes_left.to_string())])}</p>
                <label for="mfa-manage-code">{t.get().current_code_to_change}</label>
                <input id="mfa-manage-code" type="text" autocomplete="one-time-code"
                    prop:value=code on:input=move |ev| code.set(event_target_value(&ev))/>
                <div class="actions">
                    <button type="button" class="btn" on:click=regenerate>{t.get().new_backup_codes}</button>
                    <button type="button" class="btn btn-ghost" on:click=disable disabled=s.required>{t.get().turn_off}</button>
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
