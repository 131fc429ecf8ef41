//! The settings screen's Branding card: the brand's run-time settings (docs/configuration.md)
//! edited with a live preview of the sign-in card they make — name or logo, tagline,
//! primary colour, theme, legal links, the company footer. The colour is checked by the
//! server's own rule (`shared::branding::parse_hex_color`) while it is typed; a save is
//! one `PATCH /api/settings` of what changed (a super_admin's call).

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::admin::Setting;
use shared::branding::parse_hex_color;
use shared::i18n::Locale;
use shared::paths;

use crate::calls::call;

type Status = RwSignal<Option<Result<String, String>>>;

/// The branding settings, in the card's order, with their labels.
pub const FIELDS: &[(&str, &str)] = &[
    ("APP_NAME", "Name"),
    ("APP_TAGLINE", "Tagline"),
    ("LOGO_URL", "Logo URL"),
    ("FAVICON_URL", "Icon URL"),
    ("PRIMARY_COLOR", "Primary colour"),
    ("THEME", "Theme"),
    ("DEFAULT_LOCALE", "Default language"),
    ("COMPANY_NAME", "Company name"),
    ("COMPANY_ADDRESS", "Company address"),
    ("TERMS_URL", "Terms URL"),
    ("PRIVACY_URL", "Privacy URL"),
    ("SUPPORT_URL", "Support URL"),
];

#[component]
pub fn BrandingCard(settings: Vec<Setting>, status: Status, reload: RwSignal<u32>) -> impl IntoView {
    let initial: BTreeMap<String, String> = settings
        .iter()
        .filter(|s| FIELDS.iter().any(|(name, _)| *name == s.name))
        .map(|s| (s.name.clone(), s.value.clone().unwrap_or_default()))
        .collect();
    let values = RwSignal::new(initial.clone());
    let busy = RwSignal::new(false);
    let value = move |name: &'static str| move || values.with(|v| v.get(name).cloned().unwrap_or_default());
    let set = move |name: &'static str, v: String| {
        values.update(|all| {
            all.insert(name.to_owned(), v);
        })
    };
    let color_problem = move || parse_hex_color(&value("PRIMARY_COLOR")()).err();
    let changed = move || {
        let now = values.get();
        now.into_iter().filter(|(k, v)| initial.get(k) != Some(v)).collect::<BTreeMap<_, _>>()
    };
    let changed_for_save = changed.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes = changed_for_save();
        if changes.is_empty() || busy.get_untracked() || color_problem().is_some() {
            return;
        }
        let names = changes.keys().cloned().collect::<Vec<_>>().join(", ");
        busy.set(true);
        leptos::task::spawn_local(async move {
            match call::<Vec<Setting>>("PATCH", paths::SETTINGS, Some(serde_json::json!(changes))).await {
                Ok(_) => {
                    status.set(Some(Ok(format!("Saved: {names}. The pages and mail use it within 30 seconds."))));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some(Err(e))),
            }
            busy.set(false);
        });
    };
    let field = move |name: &'static str, label: &'static str| -> AnyView {
        let id = format!("brand-{}", name.to_lowercase());
        match name {
            "THEME" => view! {
                <label for=id.clone()>{label}</label>
                <select id=id prop:value=value(name) on:change=move |ev| set(name, event_target_value(&ev))>
                    <option value="dark">"dark"</option>
                    <option value="light">"light"</option>
                </select>
            }
            .into_any(),
            "DEFAULT_LOCALE" => view! {
                <label for=id.clone()>{label}</label>
                <select id=id prop:value=value(name) on:change=move |ev| set(name, event_target_value(&ev))>
                    {Locale::ALL.iter().map(|l| view! { <option value=l.tag()>{l.name()}</option> }).collect_view()}
                </select>
            }
            .into_any(),
            _ => view! {
                <label for=id.clone()>{label}</label>
                <input id=id type="text" autocomplete="off" prop:value=value(name)
                    on:input=move |ev| set(name, event_target_value(&ev))/>
            }
            .into_any(),
        }
    };
    // The preview: the sign-in card as the pages will draw it.
    let preview_style = move || match parse_hex_color(&value("PRIMARY_COLOR")()) {
        Ok(color) => format!("--primary-color: {color}"),
        Err(_) => String::new(),
    };
    let preview_class = move || if value("THEME")() == "light" { "brand-preview theme-light" } else { "brand-preview" };
    let logo = move || {
        let url = value("LOGO_URL")();
        (!url.is_empty()).then(|| view! { <img class="logo" src=url alt=value("APP_NAME")/> })
    };
    let footer = move || {
        let parts: Vec<String> = [
            Some(value("COMPANY_NAME")()).filter(|c| !c.is_empty()).map(|c| format!("© {c}")),
            Some(value("COMPANY_ADDRESS")()).filter(|a| !a.is_empty()),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| view! { <p class="company muted">{parts.join(" · ")}</p> })
    };
    let links = move || {
        [("Terms", "TERMS_URL"), ("Privacy", "PRIVACY_URL"), ("Support", "SUPPORT_URL")]
            .into_iter()
            .filter(|(_, name)| !value(name)().is_empty())
            .map(|(label, _)| view! { <span class="link">{label}</span> })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="branding-title">
            <h2 id="branding-title">"Branding"</h2>
            <div class="editor">
                <form class="form" on:submit=on_submit aria-label="Branding">
                    {FIELDS.iter().map(|(name, label)| field(name, label)).collect_view()}
                    <p class="form-status error" role="alert">{move || color_problem().map(|p| format!("Primary colour {p}"))}</p>
                    <button type="submit" class="btn btn-primary"
                        disabled=move || busy.get() || color_problem().is_some() || changed().is_empty()>"Save branding"</button>
                </form>
                <div class=preview_class style=preview_style aria-label="Preview of the sign-in page" role="img">
                    <div class="card auth-card">
                        <header class="brand">
                            {logo}
                            <h3 class="brand-name">{value("APP_NAME")}</h3>
                            <p class="tagline">{value("APP_TAGLINE")}</p>
                        </header>
                        <p class="preview-label">"Email"</p>
                        <div class="preview-input"></div>
                        <span class="btn btn-primary btn-block">"Sign in"</span>
                    </div>
                    <div class="page-footer"><div class="legal">{links}</div>{footer}</div>
                </div>
            </div>
        </section>
    }
}
