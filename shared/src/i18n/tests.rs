use super::*;

/// The `{name}` placeholders of a message, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> =
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn every_language_has_every_message_with_the_english_placeholders() {
    let english = Locale::En.messages().entries();
    for locale in Locale::ALL {
        let entries = locale.messages().entries();
        assert_eq!(entries.len(), english.len());
        for ((key, text), (_, reference)) in entries.iter().zip(&english) {
            assert!(!text.trim().is_empty(), "{}: `{key}` is empty", locale.tag());
            assert_eq!(placeholders(text), placeholders(reference), "{}: `{key}` placeholders", locale.tag());
        }
    }
}

#[test]
fn translations_are_translated() {
    // A message left in English is a missed translation; a few are the same word:
    // `(language, key)`, `*` for every language.
    const SAME_WORD: &[(&str, &str)] = &[("*", "continue_with"), ("fr", "code"), ("fr", "sessions")];
    let english = Locale::En.messages().entries();
    for locale in [Locale::Es, Locale::Fr] {
        for ((key, text), (_, reference)) in locale.messages().entries().iter().zip(&english) {
            if !SAME_WORD.iter().any(|(lang, k)| k == key && (*lang == "*" || *lang == locale.tag())) {
                assert_ne!(text, reference, "{}: `{key}` is still English", locale.tag());
            }
        }
    }
}

#[test]
fn oidc_core_3_1_2_1_ui_locales_come_first_in_their_order() {
    let prefs = Preferences { ui_locales: Some("de fr-CA es"), saved: Some("es"), accept_language: Some("es") };
    assert_eq!(negotiate(prefs, Locale::En), Locale::Fr, "de is not spoken here; fr-CA is French");
}

#[test]
fn the_saved_choice_then_accept_language_then_the_default() {
    let saved = Preferences { ui_locales: Some("de"), saved: Some("es-MX"), accept_language: Some("fr") };
    assert_eq!(negotiate(saved, Locale::En), Locale::Es);
    let browser =
        Preferences { saved: Some("xx"), accept_language: Some("de-DE, fr;q=0.8, es;q=0.9"), ..Default::default() };
    assert_eq!(negotiate(browser, Locale::En), Locale::Es, "RFC 9110 §12.4.2: by q");
    let nothing = Preferences { accept_language: Some("de, *;q=0.5"), ..Default::default() };
    assert_eq!(negotiate(nothing, Locale::Fr), Locale::Fr, "DEFAULT_LOCALE");
}

#[test]
fn rfc_9110_12_4_2_q_zero_refuses_and_bad_q_is_ignored() {
    let refused = Preferences { accept_language: Some("fr;q=0, es;q=0.1"), ..Default::default() };
    assert_eq!(negotiate(refused, Locale::En), Locale::Es);
    let malformed = Preferences { accept_language: Some("fr;q=2, es;q=0.5"), ..Default::default() };
    assert_eq!(negotiate(malformed, Locale::En), Locale::Es);
    assert_eq!(quality("0.125"), Some(125));
    assert_eq!(quality("1.000"), Some(1000));
    assert_eq!(quality("0.1234"), None);
}

#[test]
fn tags_parse_by_their_primary_subtag() {
    assert_eq!(Locale::parse("FR-ca"), Some(Locale::Fr));
    assert_eq!(Locale::parse("es_419"), Some(Locale::Es));
    assert_eq!(Locale::parse("english"), None);
    assert_eq!(supported_tags(), ["en", "es", "fr"]);
}

#[test]
fn placeholders_are_filled() {
    assert_eq!(
        fill(Locale::Es.messages().continue_as, &[("email", "ada@example.com")]),
        "Continuar como ada@example.com"
    );
    assert_eq!(fill(Locale::Fr.messages().document_warning, &[("host", "x.test")]).matches("x.test").count(), 2);
}

#[test]
fn the_servers_english_sentences_come_back_in_the_page_language() {
    let es = Locale::Es.messages();
    assert_eq!(
        es.from_server("invalid_credentials", Some(ENGLISH.wrong_email_or_password)),
        Some(es.wrong_email_or_password)
    );
    assert_eq!(es.from_server("invalid_code", Some(ENGLISH.wrong_code)), Some(es.wrong_code));
    assert_eq!(
        es.from_server("rate_limit_exceeded", Some("Too many requests. Please retry after 5 seconds.")),
        Some(es.too_many_attempts)
    );
    assert_eq!(
        es.from_server("invalid_request", Some("redirect_uri is not registered")),
        None,
        "the server's own words"
    );
    assert_eq!(es.from_server("invalid_credentials", None), None);
}
