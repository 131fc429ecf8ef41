//! Scopes as the admin API manages them (docs/api.md, "Admin and account API"): the
//! wire types, the system scopes the server itself gives meaning to, the user claims a
//! scope may release (OIDC Core §5.1, §5.4), and the rules a new or changed scope must
//! keep — one set of rules for the console's live validation and the server.

use serde::{Deserialize, Serialize};

use crate::api::FieldError;

/// Scopes the server gives meaning to: OIDC Core §5.4 and §11, the admin API's `admin`,
/// and `introspection` (RFC 7662 §4 access to other clients' tokens). They cannot be
/// deleted or renamed, and the claims they release are fixed.
pub const SYSTEM_SCOPES: &[&str] =
    &["openid", "profile", "email", "address", "phone", "offline_access", "admin", "introspection"];

/// The user claims this server holds (OIDC Core §5.1), which a custom scope may release
/// from UserInfo and the ID token.
pub const RELEASABLE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "picture",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
];

/// The claims a system scope releases (OIDC Core §5.4); none for the others.
pub fn standard_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["name", "given_name", "family_name", "picture", "locale", "updated_at"],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number", "phone_number_verified"],
        "address" => &["address"],
        _ => &[],
    }
}

pub fn is_system(scope: &str) -> bool {
    SYSTEM_SCOPES.contains(&scope)
}

/// The longest scope name and description the API takes.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// A scope as `GET /api/scopes` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub id: String,
    pub name: String,
    /// The sentence the consent screen shows.
    pub description: String,
    /// Granted when a request names no scope (with `DEFAULT_SCOPES`).
    pub default: bool,
    /// The user claims it releases (a system scope's are fixed by OIDC Core §5.4).
    pub claims: Vec<String>,
    /// Scopes granted with it wherever it is granted (docs/api.md, "Scopes").
    #[serde(default)]
    pub requires: Vec<String>,
    pub system: bool,
    /// How many clients may request it.
    pub clients: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: i64,
}

/// `POST /api/scopes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScope {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub default: bool,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
}

/// `PATCH /api/scopes/{id}`: present fields change, absent ones stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<Vec<String>>,
}

/// The most scopes one scope may require.
pub const MAX_REQUIRES: usize = 20;

/// What is wrong with `name`'s `requires` on its own (the server also checks that each
/// names a scope it knows): scope-tokens, not `name` itself, at most [`MAX_REQUIRES`].
pub fn requires_problems(name: &str, requires: &[String]) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut problem = |message: String| out.push(FieldError { field: "requires".into(), message });
    if requires.len() > MAX_REQUIRES {
        problem(format!("a scope requires at most {MAX_REQUIRES} others"));
    }
    for r in requires {
        if !is_scope_token(r) {
            problem(format!("`{r}` is not a scope name"));
        } else if r == name {
            problem("a scope cannot require itself".into());
        }
    }
    out
}

/// RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Every rule a scope's fields break (empty: valid). `system`: the scope is (or is named
/// as) a system scope, whose claims cannot be chosen.
pub fn scope_problems(name: &str, description: &str, claims: &[String], system: bool) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut problem = |field: &str, message: String| out.push(FieldError { field: field.into(), message });
    if !is_scope_token(name) {
        problem(
            "name",
            "a scope name is one RFC 6749 scope-token: printable ASCII without spaces, `\"` or `\\`".into(),
        );
    } else if name.chars().count() > MAX_NAME_CHARS {
        problem("name", format!("a scope name is at most {MAX_NAME_CHARS} characters"));
    }
    let description_chars = description.trim().chars().count();
    if description_chars == 0 || description_chars > MAX_DESCRIPTION_CHARS || description.chars().any(char::is_control)
    {
        problem("description", format!("a description is one line of 1 to {MAX_DESCRIPTION_CHARS} characters"));
    }
    if system && !claims.is_empty() {
        problem("claims", "a system scope's claims are fixed by OpenID Connect".into());
    }
    for claim in claims.iter().filter(|c| !RELEASABLE_CLAIMS.contains(&c.as_str())) {
        problem("claims", format!("`{claim}` is not one of {}", RELEASABLE_CLAIMS.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_3_3_names_and_the_claims_a_scope_may_release() {
        assert!(scope_problems("documents:read", "Read your documents", &[], false).is_empty());
        assert!(scope_problems("api:v1/read", "x", &["email".into()], false).is_empty());
        let fields = |p: Vec<FieldError>| p.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(fields(scope_problems("two words", "x", &[], false)), ["name"]);
        assert_eq!(fields(scope_problems("quo\"te", "x", &[], false)), ["name"]);
        assert_eq!(fields(scope_problems("", "x", &[], false)), ["name"]);
        assert_eq!(fields(scope_problems(&"a".repeat(101), "x", &[], false)), ["name"]);
        assert_eq!(fields(scope_problems("a", " ", &[], false)), ["description"]);
        assert_eq!(fields(scope_problems("a", "two\nlines", &[], false)), ["description"]);
        assert_eq!(fields(scope_problems("a", "x", &["password_hash".into()], false)), ["claims"]);
        assert_eq!(fields(scope_problems("profile", "x", &["email".into()], true)), ["claims"]);
    }

    #[test]
    fn oidc_core_5_4_standard_claims_by_scope() {
        assert_eq!(standard_claims("email"), ["email", "email_verified"]);
        assert!(standard_claims("openid").is_empty());
        assert!(SYSTEM_SCOPES.iter().flat_map(|s| standard_claims(s)).all(|c| RELEASABLE_CLAIMS.contains(c)));
    }
}
