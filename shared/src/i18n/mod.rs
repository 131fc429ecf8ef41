//! The languages of the public pages and of mail (docs/i18n.md): one message catalogue per
//! language, a file each (`en.rs`, `es.rs`, `fr.rs`), all of the same [`Messages`] type, so
//! a key missing in one language does not compile; and one rule, used by the SPA and the
//! worker alike, for which language a person gets ([`negotiate`]).

mod en;
mod es;
mod fr;
#[cfg(feature = "mail")]
pub mod mail;
mod messages;

pub use messages::Messages;

/// A language this server speaks. Adding one: a catalogue file beside `en.rs`, a variant
/// here and its line in [`Locale::ALL`], [`Locale::tag`], [`Locale::name`] and
/// [`Locale::messages`], and its mail templates (docs/i18n.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Es,
    Fr,
}

impl Locale {
    pub const ALL: &'static [Locale] = &[Locale::En, Locale::Es, Locale::Fr];

    /// The BCP 47 primary language subtag (RFC 5646 §2.2.1), as `lang` and discovery's
    /// `ui_locales_supported` say it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Fr => "fr",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Es => "Español",
            Locale::Fr => "Français",
        }
    }

    pub fn messages(self) -> &'static Messages {
        match self {
            Locale::En => &en::MESSAGES,
            Locale::Es => &es::MESSAGES,
            Locale::Fr => &fr::MESSAGES,
        }
    }

    /// The language of a BCP 47 tag (`es`, `es-MX`, `FR-ca`): its primary subtag, compared
    /// case-insensitively (RFC 4647 §3.4 lookup, down to the primary subtag).
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Locale::ALL.iter().copied().find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The first language of a preference list this server speaks, if any.
    fn first_of<'a>(tags: impl IntoIterator<Item = &'a str>) -> Option<Locale> {
        tags.into_iter().find_map(Locale::parse)
    }
}

/// The tags of every language, space-separated (discovery's `ui_locales_supported`).
pub fn supported_tags() -> Vec<&'static str> {
    Locale::ALL.iter().map(|l| l.tag()).collect()
}

/// Where a language preference can come from, in the order they count (docs/i18n.md): what
/// the app asked for (OIDC Core §3.1.2.1 `ui_locales`, space-separated, most preferred
/// first), the person's saved choice (the account's, or the switcher's on this browser),
/// the browser's `Accept-Language` (RFC 9110 §12.5.4), the deployment's `DEFAULT_LOCALE`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preferences<'a> {
    pub ui_locales: Option<&'a str>,
    pub saved: Option<&'a str>,
    pub accept_language: Option<&'a str>,
}

/// The language a person gets: the first source of [`Preferences`] that names a language
/// this server speaks, else `default`.
pub fn negotiate(preferences: Preferences<'_>, default: Locale) -> Locale {
    preferences
        .ui_locales
        .and_then(|tags| Locale::first_of(tags.split_whitespace()))
        .or_else(|| preferences.saved.and_then(Locale::parse))
        .or_else(|| preferences.accept_language.and_then(from_accept_language))
        .unwrap_or(default)
}

/// The most preferred language of an `Accept-Language` value this server speaks: ranges
/// by descending `q` (RFC 9110 §12.4.2), in the order given among equals; `q=0` is "not
/// this one"; `*` names none in particular.
fn from_accept_language(value: &str) -> Option<Locale> {
    let mut ranges: Vec<(u16, usize, &str)> = value
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .next()
                .map_or(Some(1000), quality)?;
            (q > 0 && !range.is_empty() && range != "*").then_some((q, i, range))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Locale::first_of(ranges.into_iter().map(|(_, _, range)| range))
}

/// A `qvalue` (RFC 9110 §12.4.2: `0` to `1` with up to three decimals) in thousandths.
fn quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl Messages {
    /// A password rule as the checklist says it (`shared::password`).
    pub fn rule(&self, rule: crate::password::Rule) -> String {
        use crate::password::Rule;
        match rule {
            Rule::MinLength(n) => fill(self.rule_min_length, &[("n", &n.to_string())]),
            Rule::MaxLength(n) => fill(self.rule_max_length, &[("n", &n.to_string())]),
            Rule::Uppercase => self.rule_uppercase.into(),
            Rule::Lowercase => self.rule_lowercase.into(),
            Rule::Number => self.rule_number.into(),
            Rule::Special => self.rule_special.into(),
        }
    }

    /// What the server said, in this language: a refusal by its code, or any sentence the
    /// server takes from the English catalogue, found by its English text. `None`: the
    /// pages show the server's own words.
    pub fn from_server(&self, code: &str, description: Option<&str>) -> Option<&'static str> {
        if code == crate::codes::RATE_LIMIT_EXCEEDED {
            return Some(self.too_many_attempts);
        }
        let said = description?;
        ENGLISH
            .entries()
            .into_iter()
            .zip(self.entries())
            .find(|((key, english), _)| SERVER_SENTENCES.contains(key) && *english == said)
            .map(|(_, (_, mine))| mine)
    }
}

/// The English catalogue: the worker's answers take their sentences from it, so the pages
/// can say them in another language ([`Messages::from_server`]).
pub const ENGLISH: &Messages = &en::MESSAGES;

/// The keys of the sentences the server answers with.
const SERVER_SENTENCES: &[&str] = &[
    "wrong_email_or_password",
    "email_not_verified",
    "account_locked",
    "challenge_expired",
    "password_challenge_expired",
    "wrong_code",
    "code_shape",
    "other_accounts_passkey",
    "link_invalid",
    "email_taken",
    "email_verified",
    "reset_link_sent",
    "verification_link_sent",
];

/// `text` with each `{name}` replaced by its value (a catalogue message's placeholders).
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests;
