use minijinja::context;
use shared::i18n::mail::NAMES;
use shared::i18n::Locale;

use super::*;

fn values() -> Value {
    context! {
        app_name => "Acme <ID>", user => context! { name => "Ada", email => "ada@example.com" },
        url => "https://id.example/reset?token=a&b=<c>", expires_in => "30 minutes",
    }
}

#[test]
fn every_built_in_template_of_every_language_passes_its_own_check() {
    for locale in Locale::ALL {
        for name in NAMES {
            let source = locale.mail().source(name).unwrap();
            check(name, &source.into()).unwrap_or_else(|e| panic!("{} {name}: {e}", locale.tag()));
        }
    }
}

#[test]
fn values_are_escaped_in_the_html_and_left_alone_in_the_text_and_subject() {
    let sources = Sources {
        subject: "Reset for {{ app_name }}\nnow".into(),
        text: "{{ url }}".into(),
        html: "<p>{{ app_name }}</p>{{ button(url, \"Go\") }}".into(),
    };
    let out = render(&sources, &values(), "#112233").unwrap();
    assert_eq!(out.subject, "Reset for Acme <ID> now", "one line");
    assert_eq!(out.text, "https://id.example/reset?token=a&b=<c>");
    assert!(out.html.starts_with("<p>Acme &lt;ID&gt;</p>"), "{}", out.html);
    assert!(out.html.contains(r#"href="https://id.example/reset?token=a&amp;b=&lt;c&gt;""#), "{}", out.html);
    assert!(out.html.contains("background-color:#112233"));
}

#[test]
fn an_unknown_placeholder_is_refused_with_what_the_template_has() {
    let sources = Sources { subject: "Hi".into(), text: "{{ user.nmae }}".into(), html: String::new() };
    let refusal = check("password-reset", &sources).unwrap_err();
    assert!(
        refusal.starts_with("The text uses {{ user.nmae }}, which the password-reset template does not have"),
        "{refusal}"
    );
    assert!(refusal.contains("user.name") && refusal.contains("reset_url"), "{refusal}");
    let wrong_template = Sources { subject: "{{ sent_by }}".into(), text: String::new(), html: String::new() };
    assert!(check("verification", &wrong_template).is_err(), "another template's placeholder");
}

#[test]
fn a_source_that_does_not_parse_is_refused_with_its_line() {
    let sources = Sources { subject: "Hi".into(), text: String::new(), html: "<p>\n{% if user.name %}".into() };
    let refusal = check("welcome", &sources).unwrap_err();
    assert!(refusal.starts_with("The HTML does not parse:") && refusal.contains("line"), "{refusal}");
}

#[test]
fn a_runaway_template_runs_out_of_fuel() {
    let sources = Sources {
        subject: "x".into(),
        text: "{% for a in 'abcdefghij' %}{% for b in 'abcdefghij' %}{% for c in 'abcdefghij' %}{% for d in \
               'abcdefghij' %}{% for e in 'abcdefghij' %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
            .into(),
        html: String::new(),
    };
    let e = render(&sources, &values(), "#000000").unwrap_err();
    assert!(e.contains("fuel"), "{e}");
}
