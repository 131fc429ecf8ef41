//! Pieces the account screens share: the live password checklist (the policy comes from
//! `/api/ui-config`, the rules from `shared::password`, so the screen and the server
//! agree), and the page frame of the signed-out screens.

use leptos::prelude::*;
use shared::password::{PasswordPolicy, PasswordValidation, TOO_COMMON};
use shared::paths;

use crate::branding::{branding, BrandHeader, LegalLinks, PageTools};

/// The server's password policy once `/api/ui-config` has loaded.
pub fn policy() -> Option<PasswordPolicy> {
    match branding().config.get() {
        Some(Ok(config)) => Some(config.password_policy),
        _ => None,
    }
}

/// What the policy says about `password`: `None` when it is fine (or not loaded yet; the
/// server checks again either way). `admin`: the person is an admin or super_admin
/// (`ADMIN_PASSWORD_MIN_LENGTH`).
pub fn password_problem(password: &str, admin: bool) -> Option<String> {
    let policy = branding().config.get_untracked().and_then(Result::ok)?.password_policy;
    let unmet = policy.for_role(admin).requirements(password).into_iter().find(|r| !r.met)?;
    Some(crate::i18n::current().rule(unmet.kind))
}

/// The policy as a checklist that updates while the person types.
#[component]
pub fn PasswordChecklist(
    password: RwSignal<String>,
    id: &'static str,
    /// The person is an admin or super_admin (`ADMIN_PASSWORD_MIN_LENGTH`).
    #[prop(optional, into)]
    admin: Signal<bool>,
) -> impl IntoView {
    let t = crate::i18n::messages();
    let items = move || {
        let t = t.get();
        policy().map(|policy| {
            policy
                .for_role(admin.get())
                .requirements(&password.get())
                .into_iter()
                .map(|r| {
                    let (class, mark, state) =
                        if r.met { ("met", "✓", t.requirement_met) } else { ("unmet", "✗", t.requirement_not_met) };
                    view! {
                        <li class=class><span aria-hidden="true">{mark}" "</span>{t.rule(r.kind)}<span class="sr-only">{format!(" ({state})")}</span></li>
                    }
                })
                .collect_view()
        })
    };
    // CHECK_COMMON_PASSWORDS: the list is the server's; it answers for the typed password.
    let checks_common = move || matches!(branding().config.get(), Some(Ok(c)) if c.check_common_passwords);
    let common = LocalResource::new(move || {
        let typed = password.get();
        async move {
            if typed.is_empty() || !checks_common() {
                return None;
            }
            let body = serde_json::json!({ "password": typed }).to_string();
            let reply = crate::api::fetch(
                "POST",
                paths::VALIDATE_PASSWORD,
                &[("Content-Type", "application/json")],
                Some(&body),
            )
            .await
            .ok()?;
            let answer: PasswordValidation = reply.json().ok()?;
            Some(!answer.errors.iter().any(|e| e == TOO_COMMON))
        }
    });
    let common_item = move || {
        checks_common().then(|| {
            let met = matches!(common.get(), Some(Some(true)));
            let t = t.get();
            let (class, mark, state) =
                if met { ("met", "✓", t.requirement_met) } else { ("unmet", "✗", t.requirement_not_met) };
            view! {
                <li class=class><span aria-hidden="true">{mark}" "</span>{t.rule_not_common}<span class="sr-only">{format!(" ({state})")}</span></li>
            }
        })
    };
    view! { <ul class="checklist" id=id aria-label=move || t.get().password_requirements>{items}{common_item}</ul> }
}

/// The frame of the signed-out screens: brand, one card, legal links.
#[component]
pub fn AuthFrame(title_id: &'static str, children: Children) -> impl IntoView {
    view! {
        <main id="main" class="auth-page">
            <PageTools/>
            <section class="card auth-card" aria-labelledby=title_id>
                <BrandHeader/>
                {children()}
            </section>
            <LegalLinks/>
        </main>
    }
}
