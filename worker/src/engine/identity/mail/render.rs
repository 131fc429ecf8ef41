//! A message's subject, plain text and HTML (docs/i18n.md, "Mail templates"): the template
//! of its kind in the recipient's language (an operator's edited copy, else the built-in
//! one), filled with its values, the HTML inside the brand's layout — logo or name, the
//! primary colour, the company's name and address in the footer — with inline styles and a
//! table layout (what mail clients render).

use minijinja::context;
use minijinja::value::Value;
use shared::i18n::{negotiate, Locale, Preferences};

use super::MailContent;
use crate::engine::identity::mail_templates::{self, Sources};
use crate::engine::platform::config::Config;

/// Who a message is for: the address, and the name and language the account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    /// The account's saved language (OIDC Core §5.1 `locale`), or the one the page that
    /// caused the message was in.
    pub locale: Option<&'a str>,
}

impl<'a> Recipient<'a> {
    /// An address with no account behind it (an admin's test send).
    pub fn address(email: &'a str) -> Self {
        Recipient { email, name: None, locale: None }
    }

    /// The language the message is written in: the saved one if this server speaks it,
    /// else `DEFAULT_LOCALE`.
    pub fn language(&self, config: &Config) -> Locale {
        let default = Locale::parse(&config.branding.default_locale).unwrap_or_default();
        negotiate(Preferences { saved: self.locale, ..Preferences::default() }, default)
    }
}

/// The built-in sources of `content`'s template in `locale`.
pub fn built_in(content: &MailContent, locale: Locale) -> Sources {
    locale.mail().source(content.template()).map(Sources::from).unwrap_or_else(|| Sources {
        subject: content.template().into(),
        text: String::new(),
        html: String::new(),
    })
}

/// The values `content`'s template is filled with (`mail_templates::placeholders`).
pub fn values(config: &Config, locale: Locale, to: &Recipient<'_>, content: &MailContent) -> Value {
    let words = locale.mail();
    let unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| words.unknown.to_owned());
    let specific = match content {
        MailContent::Welcome { account_url } => context! { url => account_url, profile_url => account_url },
        MailContent::Verification { url, valid_hours } => {
            context! { url, valid_hours, expires_in => words.duration(*valid_hours, true) }
        }
        MailContent::PasswordReset { url, valid_minutes } => context! {
            url, reset_url => url, expiry_minutes => valid_minutes, expires_in => words.duration(*valid_minutes, false),
        },
        MailContent::NewLogin { when, ip_address, device, location, account_url } => context! {
            url => account_url, when, ip_address => unknown(ip_address), device => unknown(device), location,
        },
        MailContent::MfaEnabled { when, account_url } => context! { url => account_url, when },
        MailContent::SignInMethodChanged { change, when, ip_address, account_url } => context! {
            url => account_url, when, change => change.sentence(words), ip_address => unknown(ip_address),
        },
        MailContent::Test { when, sent_by } => context! { when, sent_by },
    };
    let b = &config.branding;
    let common = context! {
        app_name => b.app_name.clone(),
        company_name => b.company_name.clone().unwrap_or_default(),
        company_address => b.company_address.clone().unwrap_or_default(),
        base_url => config.issuer.clone(),
        support_url => b.support_url.clone().unwrap_or_default(),
        year => year_of(content),
        user => context! { name => to.name.unwrap_or_default(), email => to.email },
    };
    context! { ..specific, ..common }
}

/// The year in the footer: from the message's own time where it has one, so a retry or a
/// preview says the same (`when` starts with the year).
fn year_of(content: &MailContent) -> String {
    let when = match content {
        MailContent::NewLogin { when, .. }
        | MailContent::MfaEnabled { when, .. }
        | MailContent::SignInMethodChanged { when, .. }
        | MailContent::Test { when, .. } => when.as_str(),
        _ => "",
    };
    when.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit())).unwrap_or("").to_owned()
}

/// Subject, plain text and HTML of `content` for `to`, from `sources` (checked when they
/// were saved; a render that still fails, such as one out of fuel, falls back to the
/// built-in template, so a message always goes out).
pub fn render(
    config: &Config,
    to: &Recipient<'_>,
    content: &MailContent,
    sources: &Sources,
) -> (String, String, String) {
    let locale = to.language(config);
    let values = values(config, locale, to, content);
    let color = &config.branding.primary_color;
    let rendered = mail_templates::render(sources, &values, color)
        .or_else(|_| mail_templates::render(&built_in(content, locale), &values, color))
        .unwrap_or_else(|e| mail_templates::Rendered {
            subject: content.template().into(),
            text: e,
            html: String::new(),
        });
    let footer = footer_lines(config, locale);
    let text = format!("{}\n--\n{}\n", rendered.text.trim_end(), footer.join("\n"));
    let html = layout(config, locale, &rendered.subject, &rendered.html, &footer);
    (rendered.subject, text, html)
}

/// "This email was sent by …", the company's name and address.
fn footer_lines(config: &Config, locale: Locale) -> Vec<String> {
    let b = &config.branding;
    let words = locale.mail();
    let mut lines = vec![shared::i18n::fill(words.sent_by, &[("app", &b.app_name)])];
    if let Some(company) = &b.company_name {
        lines.push(format!("© {company}. {}", words.rights));
    }
    lines.extend(b.company_address.clone());
    lines
}

fn layout(config: &Config, locale: Locale, subject: &str, content: &str, footer: &[String]) -> String {
    let b = &config.branding;
    let color = escape_html(&b.primary_color);
    let app = escape_html(&b.app_name);
    // A logo on this server's own path becomes an absolute URL: a mail has no base.
    let header = match &b.logo_url {
        Some(logo) => {
            let src = if logo.starts_with('/') { format!("{}{logo}", config.issuer) } else { logo.clone() };
            format!(r#"<img src="{}" alt="{app}" style="max-width:150px;max-height:48px">"#, escape_html(&src))
        }
        None => app.clone(),
    };
    let footer: String =
        footer.iter().map(|line| format!(r#"<p style="margin:0 0 4px">{}</p>"#, escape_html(line))).collect();
    format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title><style>h1{{font-size:22px;line-height:28px;color:#111111;margin:0 0 16px}}p{{margin:0 0 16px}}</style></head><body style="margin:0;padding:0;background:#f4f4f5"><table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center" style="padding:24px"><table width="560" cellpadding="0" cellspacing="0" role="presentation" style="width:100%;max-width:560px;background:#ffffff;border-radius:8px"><tr><td style="padding:24px 32px;border-bottom:4px solid {color};font-family:Arial,sans-serif;font-size:18px;font-weight:bold;color:#111111">{header}</td></tr><tr><td style="padding:32px;font-family:Arial,sans-serif;font-size:16px;line-height:24px;color:#333333">{content}</td></tr><tr><td style="padding:16px 32px;border-top:1px solid #eeeeee;font-family:Arial,sans-serif;font-size:12px;color:#666666">{footer}</td></tr></table></td></tr></table></body></html>"#,
        lang = locale.tag(),
        title = escape_html(subject),
    )
}

/// `&`, `<`, `>`, `"` and `'` as entities: every value put into HTML (mail and the
/// server-rendered pages).
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
