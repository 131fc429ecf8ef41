//! `/admin/mail-templates`: what the server's mail says (docs/i18n.md, "Mail templates"):
//! a template and language chosen, its subject, text and HTML edited with the placeholders
//! it has listed beside them, a preview rendered by the server's own code with sample
//! values, Save and "Reset to default" (a super_admin's calls; the server refuses an
//! unknown placeholder with a sentence).

use leptos::prelude::*;
use shared::i18n::Locale;
use shared::mail_templates::{MailPreview, MailTemplate};
use shared::paths;

use crate::admin::StatusLine;
use crate::calls::call;

type Status = RwSignal<Option<Result<String, String>>>;

/// The templates' names as the console shows them.
fn label(name: &str) -> &'static str {
    match name {
        "verification" => "Address verification",
        "password-reset" => "Password reset",
        "welcome" => "Welcome",
        "new-login" => "New sign-in",
        "mfa-enabled" => "Two-step sign-in turned on",
        "sign-in-method-changed" => "Sign-in method changed",
        _ => "Test message",
    }
}

#[component]
pub fn MailTemplatesPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let status: Status = RwSignal::new(None);
    let name = RwSignal::new(String::from("verification"));
    let locale = RwSignal::new(String::from("en"));
    let (subject, text, html) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let preview = RwSignal::new(None::<MailPreview>);
    let preview_problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let all = LocalResource::new(move || {
        reload.track();
        async move {
            call::<Vec<MailTemplate>>("GET", paths::MAIL_TEMPLATES, None).await?.ok_or_else(|| "No answer.".to_string())
        }
    });
    let current = move || match all.get() {
        Some(Ok(list)) => list.into_iter().find(|t| t.name == name.get() && t.locale == locale.get()),
        _ => None,
    };
    let path = move || format!("{}/{}/{}", paths::MAIL_TEMPLATES, name.get_untracked(), locale.get_untracked());
    let edit = move || serde_json::json!({ "subject": subject.get_untracked(), "text": text.get_untracked(), "html": html.get_untracked() });
    let render = move || {
        let (path, body) = (format!("{}/preview", path()), edit());
        leptos::task::spawn_local(async move {
            // The preview's own line: a save's "Saved" must not be wiped by the preview that
            // follows its reload.
            match call::<MailPreview>("POST", &path, Some(body)).await {
                Ok(shown) => {
                    preview.set(shown);
                    preview_problem.set(None);
                }
                Err(e) => preview_problem.set(Some(e)),
            }
        });
    };
    // The chosen template's sources into the fields, and its preview.
    Effect::new(move |_| {
        if let Some(t) = current() {
            subject.set(t.subject);
            text.set(t.text);
            html.set(t.html);
            render();
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let (path, body) = (path(), edit());
        leptos::task::spawn_local(async move {
            match call::<MailTemplate>("PUT", &path, Some(body)).await {
                Ok(_) => {
                    status.set(Some(Ok("Saved: the next message of this kind and language uses it.".into())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let confirming = RwSignal::new(false);
    let reset = move |_| {
        confirming.set(false);
        let path = path();
        leptos::task::spawn_local(async move {
            match call::<MailTemplate>("DELETE", &path, None).await {
                Ok(_) => {
                    status.set(Some(Ok("Back to the built-in template.".into())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
        });
    };
    let names = shared::mail_templates::NAMES
        .iter()
        .map(|n: &&'static str| {
            let n: &'static str = n;
            view! { <option value=n>{label(n)}</option> }
        })
        .collect_view();
    let languages = Locale::ALL.iter().map(|l| view! { <option value=l.tag()>{l.name()}</option> }).collect_view();
    view! {
        <h1>"Mail templates"</h1>
        <p class="muted">"What each message says, per language. Values are escaped in the HTML; a save is \
            refused if it names a placeholder its template does not have."</p>
        <div class="filters">
            <label for="template-name">"Template"</label>
            <select id="template-name" prop:value=name on:change=move |ev| name.set(event_target_value(&ev))>{names}</select>
            <label for="template-locale">"Language"</label>
            <select id="template-locale" prop:value=locale on:change=move |ev| locale.set(event_target_value(&ev))>{languages}</select>
            <span class="muted">{move || match current() {
                Some(t) if t.customized => "edited".to_string(),
                Some(_) => "built in".to_string(),
                None => String::new(),
            }}</span>
        </div>
        <div class="editor">
            <section class="card" aria-labelledby="template-edit-title">
                <h2 id="template-edit-title">"Edit"</h2>
                <form class="form" on:submit=save>
                    <label for="template-subject">"Subject"</label>
                    <input id="template-subject" prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/>
                    <label for="template-text">"Plain text"</label>
                    <textarea id="template-text" rows="10" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <label for="template-html">"HTML"</label>
                    <textarea id="template-html" rows="12" prop:value=html on:input=move |ev| html.set(event_target_value(&ev))></textarea>
                    <p class="muted">"Placeholders: "{move || current().map(|t| t.placeholders.iter().map(|p| view! { <code>{format!("{{{{ {p} }}}}")}</code>" " }).collect_view())}</p>
                    <StatusLine status=status/>
                    <div class="stack-row">
                        <button type="button" class="btn" on:click=move |_| render()>"Preview"</button>
                        <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Save"</button>
                        <Show when=move || current().is_some_and(|t| t.customized)>
                            <button type="button" class="btn" on:click=move |_| confirming.set(true)>"Reset to default"</button>
                        </Show>
                    </div>
                    <Show when=move || confirming.get()>
                        <div class="confirm" role="alertdialog" aria-label="Reset to default">
                            <span>"Replace this edited template with the built-in one?"</span>
                            <button type="button" class="btn btn-danger" on:click=reset>"Reset"</button>
                            <button type="button" class="btn" on:click=move |_| confirming.set(false)>"Keep it"</button>
                        </div>
                    </Show>
                </form>
            </section>
            <section class="card" aria-labelledby="template-preview-title">
                <h2 id="template-preview-title">"Preview"</h2>
                <p class="form-status error" role="alert">{move || preview_problem.get()}</p>
                {move || preview.get().map(|p| view! {
                    <p><strong>"Subject: "</strong><span id="preview-subject">{p.subject}</span></p>
                    // sandbox="": the message's HTML runs nothing and reaches nothing here.
                    <iframe class="mail-preview" title="HTML preview" sandbox="" srcdoc=p.html></iframe>
                    <pre class="mail-text" id="preview-text">{p.text}</pre>
                })}
            </section>
        </div>
    }
}
