//! The enumerated values of an authorization request: `response_type` (RFC 6749 §3.1.1,
//! OAuth 2.0 Multiple Response Types), `response_mode` and OIDC Core's `prompt`.

use serde::{Deserialize, Serialize};

/// The response types of RFC 6749 §3.1.1 and OAuth 2.0 Multiple Response Types §3–5:
/// a non-empty set of `code`, `token`, `id_token` (order does not matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub token: bool,
    pub id_token: bool,
}

impl ResponseType {
    pub fn parse(value: &str) -> Option<ResponseType> {
        let mut parsed = ResponseType { code: false, token: false, id_token: false };
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            let slot = match part {
                "code" => &mut parsed.code,
                "token" => &mut parsed.token,
                "id_token" => &mut parsed.id_token,
                _ => return None,
            };
            if *slot {
                return None; // the same value twice
            }
            *slot = true;
        }
        (parsed.code || parsed.token || parsed.id_token).then_some(parsed)
    }

    /// Whether anything but a code comes back through the browser.
    pub fn returns_tokens(self) -> bool {
        self.token || self.id_token
    }

    /// Multiple Response Types §2.1 and §5: `query` for `code`, `fragment` for every type
    /// that returns a token from this endpoint.
    pub fn default_mode(self) -> ResponseMode {
        if self.returns_tokens() {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }

    /// The canonical spelling, as discovery lists it.
    pub fn as_str(self) -> &'static str {
        match (self.code, self.id_token, self.token) {
            (true, false, false) => "code",
            (false, false, true) => "token",
            (false, true, false) => "id_token",
            (true, true, false) => "code id_token",
            (true, false, true) => "code token",
            (false, true, true) => "id_token token",
            _ => "code id_token token",
        }
    }
}

/// Every response type `/authorize` serves (discovery's `response_types_supported`).
pub const RESPONSE_MODES_SUPPORTED: &[&str] = &["query", "fragment", "form_post"];

/// How the response travels back (OAuth 2.0 Multiple Response Types §2.1, Form Post
/// Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub(super) fn parse(value: &str) -> Option<ResponseMode> {
        match value {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            _ => None,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
        }
    }
}

/// OIDC Core §3.1.2.1 `prompt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

impl Prompt {
    /// The values as `prompt` carries them; `None` when none was asked for.
    pub(super) fn as_string(self) -> Option<String> {
        let values = [
            (self.none, "none"),
            (self.login, "login"),
            (self.consent, "consent"),
            (self.select_account, "select_account"),
        ];
        let set: Vec<&str> = values.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        (!set.is_empty()).then(|| set.join(" "))
    }

    pub(super) fn parse(value: &str) -> Option<Prompt> {
        let mut prompt = Prompt::default();
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            match part {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => return None,
            }
        }
        Some(prompt)
    }
}
