//! Scope values (RFC 6749 §3.3) as every endpoint parses them, and the `scopes` table
//! (migrations/0002) that names and describes them.

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::tables::scopes;

/// Scopes that describe a person (OIDC Core §5.4, §11): meaningless without one.
pub const USER_SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

/// A scope parameter that is not a list of RFC 6749 §3.3 scope-tokens; the message says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedScope(pub String);

/// RFC 6749 §3.3: space-delimited scope-tokens of `%x21 / %x23-5B / %x5D-7E`; repeated
/// tokens collapse, order is kept.
pub fn parse_scope(value: &str) -> Result<Vec<String>, MalformedScope> {
    let mut scopes: Vec<String> = Vec::new();
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        if !shared::scopes::is_scope_token(token) {
            return Err(MalformedScope(format!("`{token}` is not a valid scope token (RFC 6749 §3.3)")));
        }
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    Ok(scopes)
}

/// The scopes the server knows (the `scopes` table).
#[allow(async_fn_in_trait)]
pub trait ScopeStore {
    async fn scope_names(&self) -> Result<Vec<String>, InternalError>;
    /// Every scope with the sentence the consent screen shows for it.
    async fn scope_descriptions(&self) -> Result<Vec<(String, String)>, InternalError>;
    /// The user claims `scopes` release (UserInfo, ID token): the system scopes' by OIDC
    /// Core §5.4, custom scopes' as an admin chose. Reads the table only when a custom
    /// scope is among them, so a standard token costs no round trip here.
    async fn released_claims(&self, scopes: &[&str]) -> Result<Vec<String>, InternalError>;
}

/// Scopes as the consent screens show them: each with the `scopes` table's sentence, or
/// its own name when the table has none.
pub fn describe_scopes<'a>(
    names: impl IntoIterator<Item = &'a str>,
    described: &[(String, String)],
) -> Vec<shared::session::ScopeInfo> {
    names
        .into_iter()
        .map(|name| shared::session::ScopeInfo {
            name: name.to_owned(),
            description: described.iter().find(|(n, _)| n == name).map_or_else(|| name.to_owned(), |(_, d)| d.clone()),
        })
        .collect()
}

impl<T: SqlRunner> ScopeStore for T {
    async fn scope_names(&self) -> Result<Vec<String>, InternalError> {
        Ok(self.scope_descriptions().await?.into_iter().map(|(name, _)| name).collect())
    }

    async fn scope_descriptions(&self) -> Result<Vec<(String, String)>, InternalError> {
        #[derive(serde::Deserialize)]
        struct ScopeRow {
            name: String,
            description: String,
        }
        self.select(scopes::descriptions())
            .await?
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<ScopeRow>(r, "scope").map(|r| (r.name, r.description)))
            .collect()
    }

    async fn released_claims(&self, scopes: &[&str]) -> Result<Vec<String>, InternalError> {
        let mut claims: Vec<String> = Vec::new();
        let mut add = |claim: &str| {
            if !claims.iter().any(|c| c == claim) {
                claims.push(claim.to_owned());
            }
        };
        scopes.iter().flat_map(|s| shared::scopes::standard_claims(s)).for_each(|c| add(c));
        let custom: Vec<&str> = scopes.iter().copied().filter(|s| !shared::scopes::is_system(s)).collect();
        if !custom.is_empty() {
            let names = serde_json::Value::from(custom).to_string();
            for row in self.select(scopes::custom_claims(names)).await? {
                let listed = row.get("claims").and_then(serde_json::Value::as_str).unwrap_or("[]");
                let listed: Vec<String> =
                    serde_json::from_str(listed).map_err(|e| InternalError::new(format!("scope claims: {e}")))?;
                listed.iter().for_each(|c| add(c));
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_scope;

    #[test]
    fn rfc6749_3_3_scope_tokens_are_space_delimited_and_deduplicated() {
        assert_eq!(parse_scope("a b  c a").unwrap(), vec!["a", "b", "c"]);
        assert!(parse_scope("a\tb").is_err());
        assert!(parse_scope("é").is_err());
        assert_eq!(parse_scope("").unwrap(), Vec::<String>::new());
    }
}
