//! Branding from `GET /api/ui-config` (APP_NAME, THEME, PRIMARY_COLOR, ...), applied to
//! the whole document: title, theme class, primary colour.

use leptos::prelude::*;
use shared::api::UiConfig;
use shared::branding::{parse_hex_color, Branding as BrandingVars, Theme};
use shared::paths;

use crate::api::get_json;

#[derive(Clone, Copy)]
pub struct Branding {
    pub config: LocalResource<Result<UiConfig, String>>,
    /// The theme in use: the server's THEME until the person picks one.
    pub theme: RwSignal<Theme>,
}

const THEME_STORAGE_KEY: &str = "authority.theme";

fn stored_theme() -> Option<Theme> {
    let storage = window().local_storage().ok().flatten()?;
    Theme::parse(&storage.get_item(THEME_STORAGE_KEY).ok().flatten()?).ok()
}

pub fn provide_branding() {
    let config = LocalResource::new(|| get_json::<UiConfig>(paths::UI_CONFIG));
    let theme = RwSignal::new(stored_theme().unwrap_or_default());
    // The server's THEME applies until the person chooses for themselves.
    Effect::new(move |_| {
        if let Some(Ok(config)) = config.get() {
            if stored_theme().is_none() {
                theme.set(config.branding.theme);
            }
            document().set_title(&config.branding.app_name);
            if let Some(icon) = &config.branding.favicon_url {
                set_favicon(icon);
            }
            // Validated again here: the value goes into a style attribute.
            if let (Ok(color), Some(root)) =
                (parse_hex_color(&config.branding.primary_color), document().document_element())
            {
                let _ = root.unchecked_ref::<web_sys::HtmlElement>().style().set_property("--primary-color", &color);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            root.set_class_name(theme.get().css_class());
        }
    });
    provide_context(Branding { config, theme });
}

/// `FAVICON_URL` as the page's icon (`<link rel="icon">`, made once).
fn set_favicon(href: &str) {
    let doc = document();
    let link = doc.query_selector("link[rel='icon']").ok().flatten().or_else(|| {
        let link = doc.create_element("link").ok()?;
        let _ = link.set_attribute("rel", "icon");
        doc.head().and_then(|head| head.append_child(&link).ok())?;
        Some(link)
    });
    if let Some(link) = link {
        let _ = link.set_attribute("href", href);
    }
}

pub fn branding() -> Branding {
    use_context::<Branding>().unwrap_or_else(|| {
        // Only reachable if a component is mounted outside App; fall back to defaults.
        Branding {
            config: LocalResource::new(|| async { Err(String::from("no branding")) }),
            theme: RwSignal::new(Theme::Dark),
        }
    })
}

/// APP_NAME once loaded; "Authority" until then.
pub fn app_name() -> impl Fn() -> String + Copy {
    let config = branding().config;
    move || match config.get() {
        Some(Ok(c)) => c.branding.app_name,
        _ => String::from("Authority"),
    }
}

use wasm_bindgen::JsCast;

#[component]
pub fn BrandHeader() -> impl IntoView {
    let config = branding().config;
    let app_name = app_name();
    let tagline = move || match config.get() {
        Some(Ok(c)) => c.branding.app_tagline,
        _ => String::new(),
    };
    let logo = move || match config.get() {
        Some(Ok(UiConfig { branding: BrandingVars { logo_url: Some(url), app_name, .. }, .. })) => {
            Some(view! { <img class="logo" src=url alt=app_name/> })
        }
        _ => None,
    };
    view! {
        <header class="brand">
            {logo}
            <h1 class="brand-name">{app_name}</h1>
            <p class="tagline">{tagline}</p>
        </header>
    }
}

/// Switches between the dark and light themes; remembered in this browser.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = branding().theme;
    let toggle = move |_| {
        let next = if theme.get() == Theme::Dark { Theme::Light } else { Theme::Dark };
        theme.set(next);
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ = storage.set_item(THEME_STORAGE_KEY, if next == Theme::Dark { "dark" } else { "light" });
        }
    };
    let t = crate::i18n::messages();
    view! {
        <button type="button" class="btn btn-ghost theme-toggle" on:click=toggle
            aria-pressed=move || (theme.get() == Theme::Light).to_string()>
            {move || if theme.get() == Theme::Dark { t.get().theme_light } else { t.get().theme_dark }}
        </button>
    }
}

/// The corner of every public page: the language switcher and the theme toggle.
#[component]
pub fn PageTools() -> impl IntoView {
    view! { <div class="page-tools"><crate::i18n::LanguageSwitcher/><ThemeToggle/></div> }
}

/// Terms, privacy and support links, when configured.
#[component]
pub fn LegalLinks() -> impl IntoView {
    let config = branding().config;
    let t = crate::i18n::messages();
    move || {
        let Some(Ok(c)) = config.get() else { return None };
        let t = t.get();
        let links: Vec<_> =
            [(t.terms, c.branding.terms_url), (t.privacy, c.branding.privacy_url), (t.support, c.branding.support_url)]
                .into_iter()
                .filter_map(|(label, url)| url.map(|url| view! { <a href=url>{label}</a> }))
                .collect();
        // COMPANY_NAME and COMPANY_ADDRESS: whose service this is.
        let company = c.branding.company_name.map(|name| format!("© {name}"));
        let footer = [company, c.branding.company_address].into_iter().flatten().collect::<Vec<_>>();
        let footer = (!footer.is_empty()).then(|| view! { <p class="company muted">{footer.join(" · ")}</p> });
        let legal = (!links.is_empty()).then(|| view! { <nav class="legal" aria-label=t.legal>{links}</nav> });
        (legal.is_some() || footer.is_some()).then(|| view! { <footer class="page-footer">{legal}{footer}</footer> })
    }
}
