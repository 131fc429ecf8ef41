//! Mail templates (docs/i18n.md, "Mail templates"): each message is three Jinja sources —
//! subject, plain text, HTML content — per template and language; the built-in ones
//! (`shared::i18n::mail`) unless an operator saved an edited copy (`mail_templates`). The
//! HTML is escaped by default (a value can never add markup); `button(url, label)` is the
//! one helper; the branded layout around the HTML is `identity::mail`'s. A save is checked
//! here first: it must parse, and name only the placeholders its template has.

use std::collections::BTreeSet;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use shared::i18n::mail::Source;

/// What a render may cost (minijinja's fuel: about one unit per instruction).
const FUEL: u64 = 50_000;

/// The placeholders every template has.
pub const COMMON: &[&str] = &[
    "app_name",
    "company_name",
    "company_address",
    "base_url",
    "support_url",
    "year",
    "user",
    "user.name",
    "user.email",
    "button",
];

/// The placeholders template `name` has besides [`COMMON`] (with the docs' names where they
/// differ: `reset_url`, `expiry_minutes`, `profile_url`).
pub fn placeholders(name: &str) -> &'static [&'static str] {
    match name {
        "welcome" => &["url", "profile_url"],
        "verification" => &["url", "expires_in", "valid_hours"],
        "password-reset" => &["url", "reset_url", "expires_in", "expiry_minutes"],
        "new-login" => &["url", "when", "ip_address", "device", "location"],
        "mfa-enabled" => &["url", "when"],
        "sign-in-method-changed" => &["url", "when", "ip_address", "change"],
        "test" => &["when", "sent_by"],
        _ => &[],
    }
}

/// A template's three sources as text (built in, or an operator's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sources {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl From<Source> for Sources {
    fn from(s: Source) -> Self {
        Sources { subject: s.subject.into(), text: s.text.into(), html: s.html.into() }
    }
}

/// The rendered message: subject, plain text, HTML content (before the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `button(url, label)`: the message's one call to action, in the brand's colour.
fn environment(primary_color: &str) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    let color = shared::branding::parse_hex_color(primary_color).unwrap_or_else(|_| "#7c3aed".into());
    env.add_function("button", move |url: String, label: String| {
        let (url, label) = (super::mail::escape_html(&url), super::mail::escape_html(&label));
        Value::from_safe_string(format!(
            r#"<p style="margin:24px 0"><a href="{url}" style="display:inline-block;padding:12px 24px;background-color:{color};color:#ffffff;text-decoration:none;border-radius:6px">{label}</a></p><p style="color:#666666;font-size:13px;margin:0 0 16px">{url}</p>"#
        ))
    });
    env
}

/// Renders `sources` with `values`; the HTML escaped, the subject and text as they are (a
/// subject is one line: line breaks become spaces).
pub fn render(sources: &Sources, values: &Value, primary_color: &str) -> Result<Rendered, String> {
    let env = environment(primary_color);
    let run = |source: &str, html: bool, part: &str| {
        let mut env = env.clone();
        env.set_auto_escape_callback(move |_| if html { AutoEscape::Html } else { AutoEscape::None });
        env.render_str(source, values).map_err(|e| format!("the {part}: {}", describe(&e)))
    };
    let subject = run(&sources.subject, false, "subject")?;
    Ok(Rendered {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: run(&sources.text, false, "text")?,
        html: run(&sources.html, true, "HTML")?,
    })
}

/// A save's check: each source parses, and names only template `name`'s placeholders. The
/// refusal is one sentence that says which part, and what it may use instead.
pub fn check(name: &str, sources: &Sources) -> Result<(), String> {
    let env = environment("#000000");
    let allowed: BTreeSet<&str> = COMMON.iter().chain(placeholders(name)).copied().collect();
    for (part, source) in [("subject", &sources.subject), ("text", &sources.text), ("HTML", &sources.html)] {
        if source.len() > 20_000 {
            return Err(format!("The {part} is longer than 20,000 characters."));
        }
        let template =
            env.template_from_str(source).map_err(|e| format!("The {part} does not parse: {}.", describe(&e)))?;
        let mut unknown: Vec<String> =
            template.undeclared_variables(true).into_iter().filter(|v| !allowed.contains(v.as_str())).collect();
        unknown.sort();
        if let Some(first) = unknown.first() {
            let known = allowed.iter().filter(|v| **v != "user" && **v != "button").copied().collect::<Vec<_>>();
            return Err(format!(
                "The {part} uses {{{{ {first} }}}}, which the {name} template does not have; it has {}.",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// A minijinja error as one line: what, and at which line.
fn describe(e: &minijinja::Error) -> String {
    let what = e.detail().map(str::to_owned).unwrap_or_else(|| e.kind().to_string());
    match e.line() {
        Some(line) => format!("{what} (line {line})"),
        None => what,
    }
}

#[cfg(test)]
mod tests;
