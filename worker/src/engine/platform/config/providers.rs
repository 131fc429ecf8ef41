//! `OIDC_PROVIDERS` (a secret: it holds client secrets): the OpenID providers people may
//! sign in with, as JSON — `[{"name": "corp", "display_name": "Corp SSO", "issuer":
//! "https://idp.example.com", "client_id": "...", "client_secret": "...", "scopes":
//! "openid email profile"}]`. Each is found through its discovery document (OpenID
//! Connect Discovery 1.0), which covers Okta, Entra ID, Auth0, Keycloak or another
//! Authority.

use serde::Deserialize;

use super::vars::{err, Vars};
use super::{ConfigError, Secret, VarSource};

/// One configured OpenID provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The path segment of `/auth/{name}`: lower-case letters, digits and hyphens.
    pub name: String,
    pub display_name: String,
    /// The issuer (`iss`); its discovery document is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    issuer: String,
    client_id: String,
    client_secret: String,
    #[serde(default)]
    scopes: Option<String>,
}

const VARIABLE: &str = "OIDC_PROVIDERS";

/// The providers that speak OpenID Connect under a fixed issuer, switched on by the
/// product docs' settings (`GOOGLE_OAUTH_ENABLED`, `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`;
/// the same for `LINKEDIN_`): name, button text, issuer, settings.
const PRESETS: &[(&str, &str, &str, [&str; 3])] = &[
    (
        "google",
        "Google",
        "https://accounts.google.com",
        ["GOOGLE_OAUTH_ENABLED", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"],
    ),
    (
        "linkedin",
        "LinkedIn",
        "https://www.linkedin.com/oauth",
        ["LINKEDIN_OAUTH_ENABLED", "LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET"],
    ),
];

/// `SOCIAL_PROVIDER_ISSUERS`: for local and test configurations only, a JSON map from a
/// preset's name to another issuer (a fake provider); production leaves it unset.
const OVERRIDES: &str = "SOCIAL_PROVIDER_ISSUERS";

/// Every provider: the enabled presets, then `OIDC_PROVIDERS`.
pub(super) fn load<S: VarSource>(v: &Vars<'_, S>) -> Result<Vec<ProviderConfig>, ConfigError> {
    let overrides: std::collections::HashMap<String, String> = match v.optional_text(OVERRIDES) {
        Some(text) if !text.trim().is_empty() => {
            serde_json::from_str(&text).map_err(|e| err(OVERRIDES, format!("must be a JSON object of issuers: {e}")))?
        }
        _ => std::collections::HashMap::new(),
    };
    let mut providers = Vec::new();
    for (name, display_name, issuer, [enabled, id, secret]) in PRESETS {
        if !v.flag(enabled)? {
            continue;
        }
        // The provider chose the secret's form (LinkedIn's are 16 characters): no length rule.
        let (Some(client_id), Some(client_secret)) = (v.optional_text(id), v.optional_text(secret).map(Secret)) else {
            return Err(err(enabled, format!("needs {id} and {secret}")));
        };
        let issuer = overrides.get(*name).cloned().unwrap_or_else(|| (*issuer).to_owned());
        providers.push(ProviderConfig {
            name: (*name).to_owned(),
            display_name: (*display_name).to_owned(),
            issuer,
            client_id,
            client_secret,
            scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
        });
    }
    for provider in parse(v.optional_text(VARIABLE))? {
        if providers.iter().any(|p| p.name == provider.name) {
            return Err(err(
                VARIABLE,
                format!("provider `{}` is configured by its own settings already", provider.name),
            ));
        }
        providers.push(provider);
    }
    Ok(providers)
}

/// The providers `value` lists (unset or empty: none).
pub fn parse(value: Option<String>) -> Result<Vec<ProviderConfig>, ConfigError> {
    let Some(text) = value.filter(|v| !v.trim().is_empty()) else { return Ok(Vec::new()) };
    let entries: Vec<Entry> =
        serde_json::from_str(&text).map_err(|e| err(VARIABLE, format!("must be a JSON list of providers: {e}")))?;
    let mut providers: Vec<ProviderConfig> = Vec::new();
    for entry in entries {
        let slug = !entry.name.is_empty()
            && entry.name.len() <= 32
            && entry.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug {
            return Err(err(VARIABLE, format!("provider name `{}` must be 1-32 of a-z, 0-9 and -", entry.name)));
        }
        if providers.iter().any(|p| p.name == entry.name) {
            return Err(err(VARIABLE, format!("provider `{}` is listed twice", entry.name)));
        }
        let issuer = url::Url::parse(&entry.issuer).ok().filter(|u| {
            u.scheme() == "https"
                || (u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
        });
        if issuer.is_none() || entry.issuer.ends_with('/') {
            return Err(err(
                VARIABLE,
                format!("provider `{}`: issuer must be an https URL without a trailing /", entry.name),
            ));
        }
        if entry.client_id.trim().is_empty() || entry.client_secret.is_empty() {
            return Err(err(VARIABLE, format!("provider `{}`: client_id and client_secret are required", entry.name)));
        }
        let scopes: Vec<String> = entry
            .scopes
            .as_deref()
            .unwrap_or("openid email profile")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(err(VARIABLE, format!("provider `{}`: scopes must include openid", entry.name)));
        }
        providers.push(ProviderConfig {
            display_name: entry.display_name.unwrap_or_else(|| entry.name.clone()),
            name: entry.name,
            issuer: entry.issuer,
            client_id: entry.client_id,
            client_secret: Secret(entry.client_secret),
            scopes,
        });
    }
    Ok(providers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_by_slug_with_an_https_issuer_and_openid() {
        let ok = parse(Some(
            r#"[{"name":"corp","issuer":"https://idp.example.com","client_id":"a","client_secret":"b"}]"#.into(),
        ))
        .unwrap();
        assert_eq!(ok[0].display_name, "corp");
        assert_eq!(ok[0].scopes, vec!["openid", "email", "profile"]);
        assert!(parse(None).unwrap().is_empty());
        let google = crate::engine::test_support::fixtures::config_with(|v| {
            v.insert("GOOGLE_OAUTH_ENABLED", "true".into());
            v.insert("GOOGLE_CLIENT_ID", "g-id".into());
            v.insert("GOOGLE_CLIENT_SECRET", "g-secret".into());
        });
        assert_eq!(google.providers[0].issuer, "https://accounts.google.com");
        assert_eq!(google.providers[0].display_name, "Google");
        for bad in [
            r#"[{"name":"Corp","issuer":"https://idp.example.com","client_id":"a","client_secret":"b"}]"#,
            r#"[{"name":"corp","issuer":"http://idp.example.com","client_id":"a","client_secret":"b"}]"#,
            r#"[{"name":"corp","issuer":"https://idp.example.com/","client_id":"a","client_secret":"b"}]"#,
            r#"[{"name":"corp","issuer":"https://idp.example.com","client_id":"a","client_secret":"b","scopes":"email"}]"#,
            r#"[{"name":"corp","issuer":"https://idp.example.com","client_id":"","client_secret":"b"}]"#,
            r#"{"name":"corp"}"#,
        ] {
            assert!(parse(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
