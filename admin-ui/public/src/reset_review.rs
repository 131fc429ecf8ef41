//! After a password reset: the account's passkeys and linked providers, each removable
//! (docs/security.md, "Changing how one signs in"). Someone who had the account may have
//! added a way in; the reset's answer carries a ten-minute grant to remove any of them
//! (`POST /api/password-reset/review`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::account::{ResetRemoval, ResetReview, ReviewItem};
use shared::paths;

use ui_components::api::{csrf_token, send, session};

#[component]
pub fn ReviewWaysIn(review: ResetReview) -> impl IntoView {
    let chosen_passkeys = RwSignal::new(Vec::<String>::new());
    let chosen_providers = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let grant = review.grant.clone();
    let remove = move |_| {
        let body = ResetRemoval {
            grant: grant.clone(),
            passkeys: chosen_passkeys.get_untracked(),
            providers: chosen_providers.get_untracked(),
        };
        if body.passkeys.is_empty() && body.providers.is_empty() {
            status.set(Some((false, "Choose what to remove first.".into())));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let json = serde_json::to_value(&body).unwrap_or_default();
            let result = match csrf_token(Some(session().await)).await {
                Ok(token) => send("POST", paths::PASSWORD_RESET_REVIEW, &token, Some(&json)).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => status.set(Some((true, "Removed. They no longer sign in to your account.".into()))),
                Err(message) => status.set(Some((false, message))),
            }
            busy.set(false);
        });
    };
    let rows = |items: Vec<ReviewItem>, kind: &'static str, chosen: RwSignal<Vec<String>>| {
        items
            .into_iter()
            .map(|item| {
                let id = item.id.clone();
                let input_id = format!("review-{kind}-{}", item.id);
                let label_for = input_id.clone();
                view! {
                    <label for=label_for class="check">
                        <input id=input_id type="checkbox" on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| {
                                c.retain(|x| x != &id);
                                if on { c.push(id.clone()); }
                            });
                        }/>
                        {format!(" {} ({kind})", item.name)}
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="review-title">
            <h3 id="review-title">"Review the ways into your account"</h3>
            <p class="muted">"If you do not recognise one of these, someone else may have added it: remove it now."</p>
            <fieldset class="checks">
                {rows(review.passkeys, "passkey", chosen_passkeys)}
                {rows(review.providers, "linked sign-in", chosen_providers)}
            </fieldset>
            <button type="button" class="btn" disabled=move || busy.get() on:click=remove>"Remove selected"</button>
            <p class="form-status" role="status" aria-live="polite"
                class:error=move || matches!(status.get(), Some((false, _)))
                class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
        </section>
    }
}
