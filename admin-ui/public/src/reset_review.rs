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
    let t = ui_components::i18n::messages();
    let remove = move |_| {
        let body = ResetRemoval {
            grant: grant.clone(),
            passkeys: chosen_passkeys.get_untracked(),
            providers: chosen_providers.get_untracked(),
        };
        if body.passkeys.is_empty() && body.providers.is_empty() {
            status.set(Some((false, t.get_untracked().choose_what_to_remove.into())));
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
                Ok(()) => status.set(Some((true, t.get_untracked().removed_ways.into()))),
                Err(message) => status.set(Some((false, message))),
            }
            busy.set(false);
        });
    };
    let rows = |items: Vec<ReviewItem>, kind: &'static str, said: &'static str, chosen: RwSignal<Vec<String>>| {
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
                        {format!(" {} ({said})", item.name)}
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="review-title">
            <h3 id="review-title">{move || t.get().review_ways}</h3>
            <p class="muted">{move || t.get().review_ways_intro}</p>
            <fieldset class="checks">
                {rows(review.passkeys, "passkey", t.get_untracked().kind_passkey, chosen_passkeys)}
                {rows(review.providers, "linked", t.get_untracked().kind_linked, chosen_providers)}
            </fieldset>
            <button type="button" class="btn" disabled=move || busy.get() on:click=remove>{move || t.get().remove_selected}</button>
            <p class="form-status" role="status" aria-live="polite"
                class:error=move || matches!(status.get(), Some((false, _)))
                class:ok=move || matches!(status.get(), Some((true, _)))>{move || status.get().map(|(_, m)| m)}</p>
        </section>
    }
}
