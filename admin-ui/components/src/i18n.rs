//! The language of the public pages (docs/i18n.md): `shared::i18n::negotiate` over what
//! the app asked for (`ui_locales` in the page's address or the pending request), the
//! person's choice on this browser (the switcher), the browser's languages, and the
//! server's `DEFAULT_LOCALE`; the catalogue of that language; `lang` on the document.

use std::cell::Cell;

use leptos::prelude::*;
use shared::i18n::{negotiate, Locale, Messages, Preferences};

use crate::branding::branding;

const STORAGE_KEY: &str = "authority.locale";

thread_local! {
    /// The language in force, for code outside a component (an error's sentence).
    static CURRENT: Cell<Locale> = const { Cell::new(Locale::En) };
}

/// The current language's catalogue, outside the reactive graph.
pub fn current() -> &'static Messages {
    CURRENT.with(Cell::get).messages()
}

/// The current language's tag (`Intl` formats dates in it).
pub fn current_tag() -> &'static str {
    CURRENT.with(Cell::get).tag()
}

#[derive(Clone, Copy)]
pub struct Language {
    /// `ui_locales` of the app's request (the page's `?ui_locales=`, or the pending
    /// authorization request's once it is read).
    pub ui_locales: RwSignal<Option<String>>,
    /// The switcher's choice, remembered in this browser.
    pub chosen: RwSignal<Option<String>>,
    pub locale: Memo<Locale>,
}

fn stored() -> Option<String> {
    window().local_storage().ok().flatten()?.get_item(STORAGE_KEY).ok().flatten()
}

/// Remembers `tag` as this browser's choice (the switcher's, or the account's saved one).
pub fn remember(tag: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(STORAGE_KEY, tag);
    }
}

/// `navigator.languages`, as an `Accept-Language` list.
fn browser_languages() -> String {
    window().navigator().languages().iter().filter_map(|v| v.as_string()).collect::<Vec<_>>().join(", ")
}

/// Provides the language for every component below (`App` calls it after branding).
pub fn provide_language() {
    let config = branding().config;
    let from_address = crate::query::use_query_map().with_untracked(|q| q.get("ui_locales"));
    let ui_locales = RwSignal::new(from_address);
    let chosen = RwSignal::new(stored());
    let accept = browser_languages();
    let locale = Memo::new(move |_| {
        let default = match config.get() {
            Some(Ok(c)) => Locale::parse(&c.branding.default_locale).unwrap_or_default(),
            _ => Locale::default(),
        };
        let ui = ui_locales.get();
        let saved = chosen.get();
        let prefs = Preferences { ui_locales: ui.as_deref(), saved: saved.as_deref(), accept_language: Some(&accept) };
        negotiate(prefs, default)
    });
    Effect::new(move |_| {
        let now = locale.get();
        CURRENT.with(|c| c.set(now));
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", now.tag());
        }
    });
    provide_context(Language { ui_locales, chosen, locale });
}

pub fn language() -> Language {
    expect_context::<Language>()
}

/// The catalogue of the language in force, reactively: `move || t.get().sign_in`. (The
/// console, which is in English, provides no language: English there.)
pub fn messages() -> Signal<&'static Messages> {
    match use_context::<Language>() {
        Some(Language { locale, .. }) => Signal::derive(move || locale.get().messages()),
        None => Signal::derive(|| Locale::En.messages()),
    }
}

/// The language switcher: every language by its own name; the choice is remembered in
/// this browser and outranks everything but the app's `ui_locales`.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let Language { chosen, locale, ui_locales } = language();
    let t = messages();
    let on_change = move |ev: leptos::ev::Event| {
        let tag = event_target_value(&ev);
        remember(&tag);
        // The person's own choice now counts over what the app asked for.
        ui_locales.set(None);
        chosen.set(Some(tag));
    };
    let options = Locale::ALL
        .iter()
        .map(|l| view! { <option value=l.tag() lang=l.tag() selected=move || locale.get() == *l>{l.name()}</option> })
        .collect_view();
    view! {
        <label class="sr-only" for="language">{move || t.get().language}</label>
        <select id="language" class="language-switcher" on:change=on_change prop:value=move || locale.get().tag()>
            {options}
        </select>
    }
}
