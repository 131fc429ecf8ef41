//! A scope's `requires` (docs/api.md, "Scopes"): granting a scope grants what it
//! requires, and a client may be granted a scope only when it may be granted those too.

use super::Client;

impl Client {
    /// `scope` with what its scopes require, transitively (docs/api.md, "Scopes"): each
    /// requirement follows the scope that needs it; repeats collapse; order is kept.
    pub fn with_required(&self, scope: Vec<String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(scope.len());
        let mut pending: Vec<String> = scope.into_iter().rev().collect();
        while let Some(name) = pending.pop() {
            if out.contains(&name) {
                continue;
            }
            if let Some((_, required)) = self.scope_requires.iter().find(|(n, _)| *n == name) {
                pending.extend(required.iter().rev().cloned());
            }
            out.push(name);
        }
        out
    }

    /// The first of `scope` (expanded by [`Self::with_required`] from `requested`) the
    /// client may not be granted, with the sentence `invalid_scope` says.
    pub fn scope_refusal(&self, requested: &[String], scope: &[String]) -> Option<String> {
        let unknown = scope.iter().find(|s| !self.scopes.contains(s))?;
        if requested.contains(unknown) {
            return Some(format!("scope `{unknown}` is not allowed for this client"));
        }
        let by = self.scope_requires.iter().find(|(n, r)| r.contains(unknown) && scope.contains(n)).map(|(n, _)| n);
        Some(format!(
            "scope `{}` requires `{unknown}`, which is not allowed for this client",
            by.map_or("requested", String::as_str)
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::test_support::fixtures::web_app;

    #[test]
    fn a_scope_brings_what_it_requires_transitively_and_a_client_needs_them_all() {
        let mut c = web_app();
        c.scopes = ["openid", "admin", "read", "write", "audit"].map(String::from).to_vec();
        c.scope_requires = vec![
            ("admin".into(), vec!["read".into(), "write".into()]),
            ("write".into(), vec!["read".into(), "audit".into()]),
            ("read".into(), vec!["admin".into()]),
        ];
        let requested = vec!["openid".to_owned(), "admin".to_owned()];
        let scope = c.with_required(requested.clone());
        assert_eq!(scope, ["openid", "admin", "read", "write", "audit"], "a cycle ends; repeats collapse");
        assert_eq!(c.scope_refusal(&requested, &scope), None);
        c.scopes.retain(|s| s != "audit");
        assert_eq!(
            c.scope_refusal(&requested, &scope).as_deref(),
            Some("scope `write` requires `audit`, which is not allowed for this client")
        );
        let direct = vec!["audit".to_owned()];
        assert_eq!(c.scope_refusal(&direct, &direct).as_deref(), Some("scope `audit` is not allowed for this client"));
    }
}
