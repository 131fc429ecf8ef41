//! The screens mailed links open, and the one that sends them:
//! `/forgot-password` (asks for a reset link), `/reset-password?token=` (sets the new
//! password), `/verify-email?token=` (confirms the address, or sends a new link).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::{
    email_problem, EmailRequest, Message, PasswordResetComplete, PasswordResetDone, ResetReview, TokenRequest,
};
use shared::paths;
use ui_components::query::use_query_map;

use shared::i18n::Messages;
use ui_components::api::{csrf_token, post_json, session};
use ui_components::forms::{password_problem, AuthFrame, PasswordChecklist};
use ui_components::i18n::messages;

/// Posts `body` to `path` with the CSRF token; the answer's message or the error.
async fn post_message<B: serde::Serialize>(path: &str, body: &B) -> Result<String, String> {
    let token = csrf_token(Some(session().await)).await?;
    post_json::<_, Message>(path, &token, body).await.map(|m| m.message)
}

/// An email field with a submit button (`button` of the catalogue) that posts `{email}` to
/// `path`; `done` gets the catalogue's `answer`.
#[component]
fn EmailForm(
    path: &'static str,
    button: fn(&'static Messages) -> &'static str,
    answer: fn(&'static Messages) -> &'static str,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let t = messages();
    let email = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = email.get_untracked();
        if email_problem(&value).is_some() {
            status.set(Some(t.get_untracked().email_invalid.into()));
            return;
        }
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            match post_message(path, &EmailRequest { email: value }).await {
                Ok(_) => done.set(Some(answer(t.get_untracked()).into())),
                Err(message) => status.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="form" on:submit=on_submit>
            <label for="email">{move || t.get().email}</label>
            <input id="email" name="email" type="email" autocomplete="email" required
                prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
            <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{move || button(t.get())}</button>
        </form>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let done = RwSignal::new(None::<String>);
    let t = messages();
    view! {
        <AuthFrame title_id="forgot-title">
            <h2 id="forgot-title">{move || t.get().reset_your_password}</h2>
            <Show when=move || done.get().is_some() fallback=move || view! {
                <p class="muted">{move || t.get().forgot_intro}</p>
                <EmailForm path=paths::PASSWORD_RESET button=|t| t.send_reset_link answer=|t| t.reset_link_sent done=done/>
            }>
                <p role="status" class="ok">{move || done.get()}</p>
            </Show>
            <p class="muted"><a href="/signin">{move || t.get().back_to_sign_in}</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let status = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let review = RwSignal::new(None::<ResetReview>);
    let busy = RwSignal::new(false);
    let t = messages();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        if let Some(problem) = password_problem(&value, false) {
            status.set(Some(problem));
            return;
        }
        if value != confirmation.get_untracked() {
            status.set(Some(t.get_untracked().passwords_differ.into()));
            return;
        }
        let token = query.with_untracked(|q| q.get("token")).unwrap_or_default();
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            let body = PasswordResetComplete { token, password: value };
            let answer = match csrf_token(Some(session().await)).await {
                Ok(csrf) => post_json::<_, PasswordResetDone>(paths::PASSWORD_RESET_COMPLETE, &csrf, &body).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(answer) => {
                    review.set(answer.review);
                    done.set(Some(t.get_untracked().password_was_reset.into()));
                }
                Err(message) => status.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <AuthFrame title_id="reset-title">
            <h2 id="reset-title">{move || t.get().choose_new_password}</h2>
            <Show when=move || done.get().is_some() fallback=move || view! {
                <form class="form" on:submit=on_submit>
                    <label for="password">{move || t.get().new_password}</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        aria-describedby="password-rules"
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    <PasswordChecklist password=password id="password-rules"/>
                    <label for="password-confirmation">{move || t.get().confirm_new_password}</label>
                    <input id="password-confirmation" name="password_confirmation" type="password" autocomplete="new-password" required
                        prop:value=confirmation on:input=move |ev| confirmation.set(event_target_value(&ev))/>
                    <p class="form-status error" role="alert" aria-live="assertive">{move || status.get()}</p>
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{move || t.get().reset_password}</button>
                </form>
                <p class="muted"><a href="/forgot-password">{move || t.get().ask_new_link}</a></p>
            }>
                <h3>{move || t.get().reset_complete}</h3>
                <p role="status" class="ok">{move || done.get()}</p>
                {move || review.get().map(|r| view! { <crate::reset_review::ReviewWaysIn review=r/> })}
                <a class="btn btn-primary" href="/signin">{move || t.get().sign_in}</a>
            </Show>
        </AuthFrame>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let resent = RwSignal::new(None::<String>);
    let t = messages();
    // The link is followed once, when the page opens (the token is spent then).
    let outcome = LocalResource::new(move || {
        let token = query.with_untracked(|q| q.get("token"));
        async move {
            match token {
                Some(token) => post_message(paths::VERIFY_EMAIL, &TokenRequest { token }).await,
                None => Err(t.get_untracked().verify_needs_link.into()),
            }
        }
    });
    view! {
        <AuthFrame title_id="verify-title">
            <h2 id="verify-title">{move || t.get().verify_your_email}</h2>
            {move || match outcome.get() {
                None => view! { <p class="muted" role="status">{t.get().checking_link}</p> }.into_any(),
                // The server's sentence, in the page's language where the catalogue has it (it
                // may add what else it did: unproven links dropped).
                Some(Ok(message)) => view! {
                    <p role="status" class="ok">{t.get().from_server("", Some(&message)).map_or(message, str::to_owned)}</p>
                    <a class="btn btn-primary" href="/signin">{t.get().sign_in}</a>
                }.into_any(),
                Some(Err(message)) => view! {
                    <p role="alert" class="error">{message}</p>
                    <Show when=move || resent.get().is_some() fallback=move || view! {
                        <p class="muted">{move || t.get().enter_address_for_link}</p>
                        <EmailForm path=paths::VERIFY_EMAIL_RESEND button=|t| t.send_new_link answer=|t| t.verification_link_sent done=resent/>
                    }>
                        <p role="status" class="ok">{move || resent.get()}</p>
                    </Show>
                }.into_any(),
            }}
        </AuthFrame>
    }
}
