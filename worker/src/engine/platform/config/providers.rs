//! The identity providers people may sign in with (docs/api.md, "Endpoints").
//!
//! - The presets (docs/configuration.md), each switched on by `{NAME}_OAUTH_ENABLED` with
//!   `{NAME}_CLIENT_ID` and `{NAME}_CLIENT_SECRET`: Google and LinkedIn (OpenID Connect),
//!   GitHub (OAuth 2.0 and its REST API), Facebook (OAuth 2.0 and the Graph API); Apple
//!   (OpenID Connect with `form_post`, its client secret an ES256 JWT signed here from
//!   `APPLE_TEAM_ID`, `APPLE_KEY_ID` and `APPLE_PRIVATE_KEY`).
//! - `OIDC_PROVIDERS` (a secret: it holds client secrets): any OpenID provider by issuer, as
//!   JSON — `[{"name": "corp", "display_name": "Corp SSO", "issuer":
//!   "https://idp.example.com", "client_id": "...", "client_secret": "...", "scopes":
//!   "openid email profile"}]`, found through its discovery document (OpenID Connect
//!   Discovery 1.0): Okta, Entra ID, Auth0, Keycloak or another Authority.

use serde::Deserialize;

use super::vars::{err, Vars};
use super::{ConfigError, Secret, VarSource};

/// How this server talks to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// OpenID Connect, endpoints from `{issuer}/.well-known/openid-configuration`.
    OpenId { issuer: String },
    /// GitHub's OAuth web flow at `web`, the person from the REST API at `api`.
    GitHub { web: String, api: String },
    /// Facebook Login's dialog at `web`, token and person from the Graph API at `graph`.
    Facebook { web: String, graph: String },
    /// Sign in with Apple at `base` (also the ID tokens' issuer and the client secret's
    /// audience).
    Apple(AppleKey),
}

/// What Apple's client secret JWT is made from (its developer account's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppleKey {
    pub base: String,
    pub team_id: String,
    pub key_id: String,
    /// The `.p8` key: PKCS #8 DER of a P-256 private key.
    pub private_key: SecretBytes,
}

/// Key bytes that are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(pub Vec<u8>);

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBytes(…)")
    }
}

/// One configured provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The path segment of `/auth/{name}`: lower-case letters, digits and hyphens.
    pub name: String,
    pub display_name: String,
    pub protocol: Protocol,
    pub client_id: String,
    /// Empty for Apple, whose secret is a JWT made per request.
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    /// One of the presets (its name picks the brand mark on the buttons),
    /// not an entry of `OIDC_PROVIDERS`.
    pub preset: bool,
}

impl ProviderConfig {
    /// Where the provider lives, for the console.
    pub fn location(&self) -> &str {
        match &self.protocol {
            Protocol::OpenId { issuer } => issuer,
            Protocol::GitHub { web, .. } | Protocol::Facebook { web, .. } => web,
            Protocol::Apple(key) => &key.base,
        }
    }

    /// The protocol's name, for the console.
    pub fn protocol_name(&self) -> &'static str {
        match self.protocol {
            Protocol::OpenId { .. } => "openid_connect",
            Protocol::GitHub { .. } => "github",
            Protocol::Facebook { .. } => "facebook",
            Protocol::Apple(_) => "apple",
        }
    }
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

/// A preset: its name, button text, protocol's kind, default base URLs, and scopes.
struct Preset {
    name: &'static str,
    display_name: &'static str,
    kind: Kind,
    enabled: &'static str,
    client_id: &'static str,
    client_secret: &'static str,
    scopes: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    OpenId(&'static str),
    GitHub,
    Facebook,
    Apple,
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "google",
        display_name: "Google",
        kind: Kind::OpenId("https://accounts.google.com"),
        enabled: "GOOGLE_OAUTH_ENABLED",
        client_id: "GOOGLE_CLIENT_ID",
        client_secret: "GOOGLE_CLIENT_SECRET",
        scopes: "openid email profile",
    },
    Preset {
        name: "linkedin",
        display_name: "LinkedIn",
        kind: Kind::OpenId("https://www.linkedin.com/oauth"),
        enabled: "LINKEDIN_OAUTH_ENABLED",
        client_id: "LINKEDIN_CLIENT_ID",
        client_secret: "LINKEDIN_CLIENT_SECRET",
        scopes: "openid email profile",
    },
    // GitHub's scopes: the profile, and the addresses with their verification (`/user/emails`).
    Preset {
        name: "github",
        display_name: "GitHub",
        kind: Kind::GitHub,
        enabled: "GITHUB_OAUTH_ENABLED",
        client_id: "GITHUB_CLIENT_ID",
        client_secret: "GITHUB_CLIENT_SECRET",
        scopes: "read:user user:email",
    },
    Preset {
        name: "facebook",
        display_name: "Facebook",
        kind: Kind::Facebook,
        enabled: "FACEBOOK_OAUTH_ENABLED",
        client_id: "FACEBOOK_CLIENT_ID",
        client_secret: "FACEBOOK_CLIENT_SECRET",
        scopes: "email public_profile",
    },
    Preset {
        name: "apple",
        display_name: "Apple",
        kind: Kind::Apple,
        enabled: "APPLE_OAUTH_ENABLED",
        client_id: "APPLE_CLIENT_ID",
        client_secret: "",
        scopes: "name email",
    },
];

/// `SOCIAL_PROVIDER_BASE_URLS`: for local and test configurations only, a JSON map from a
/// preset's name to a loopback base URL that stands in for every host of that provider (a
/// fake provider). Loopback only, so no deployment can send its sign-ins elsewhere by it.
const OVERRIDES: &str = "SOCIAL_PROVIDER_BASE_URLS";

fn loopback(value: &str) -> bool {
    url::Url::parse(value)
        .is_ok_and(|u| u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
        && !value.ends_with('/')
}

/// The `.p8` file's PEM (`-----BEGIN PRIVATE KEY-----`), with real or `\n`-escaped line
/// breaks (secrets are often stored on one line), as DER.
fn pkcs8_pem(value: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = value.replace("\\n", "\n");
    let body = text.trim().strip_prefix("-----BEGIN PRIVATE KEY-----")?.strip_suffix("-----END PRIVATE KEY-----")?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    // A DER SEQUENCE (PKCS #8 PrivateKeyInfo, RFC 5208 §5); WebCrypto checks the rest.
    (der.first() == Some(&0x30) && der.len() > 32).then_some(der)
}

fn preset<S: VarSource>(
    v: &Vars<'_, S>,
    preset: &Preset,
    base: Option<&String>,
) -> Result<Option<ProviderConfig>, ConfigError> {
    if !v.flag(preset.enabled)? {
        return Ok(None);
    }
    let Some(client_id) = v.optional_text(preset.client_id) else {
        return Err(err(preset.enabled, format!("needs {}", preset.client_id)));
    };
    let at = |default: &str| base.cloned().unwrap_or_else(|| default.to_owned());
    let protocol = match preset.kind {
        Kind::OpenId(issuer) => Protocol::OpenId { issuer: at(issuer) },
        Kind::GitHub => Protocol::GitHub { web: at("https://github.com"), api: at("https://api.github.com") },
        Kind::Facebook => {
            Protocol::Facebook { web: at("https://www.facebook.com"), graph: at("https://graph.facebook.com") }
        }
        Kind::Apple => {
            let (Some(team_id), Some(key_id), Some(pem)) = (
                v.optional_text("APPLE_TEAM_ID"),
                v.optional_text("APPLE_KEY_ID"),
                v.optional_text("APPLE_PRIVATE_KEY"),
            ) else {
                return Err(err(
                    preset.enabled,
                    "needs APPLE_CLIENT_ID, APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY",
                ));
            };
            let Some(der) = pkcs8_pem(&pem) else {
                return Err(err("APPLE_PRIVATE_KEY", "must be the .p8 key's PEM (-----BEGIN PRIVATE KEY-----)"));
            };
            Protocol::Apple(AppleKey {
                base: at("https://appleid.apple.com"),
                team_id,
                key_id,
                private_key: SecretBytes(der),
            })
        }
    };
    let client_secret = if matches!(preset.kind, Kind::Apple) {
        Secret(String::new())
    } else {
        // The provider chose the secret's form (LinkedIn's are 16 characters): no length rule.
        match v.optional_text(preset.client_secret) {
            Some(secret) => Secret(secret),
            None => return Err(err(preset.enabled, format!("needs {}", preset.client_secret))),
        }
    };
    Ok(Some(ProviderConfig {
        name: preset.name.to_owned(),
        display_name: preset.display_name.to_owned(),
        protocol,
        client_id,
        client_secret,
        scopes: preset.scopes.split(' ').map(str::to_owned).collect(),
        preset: true,
    }))
}

/// Every provider: the enabled presets, then `OIDC_PROVIDERS`.
pub(super) fn load<S: VarSource>(v: &Vars<'_, S>) -> Result<Vec<ProviderConfig>, ConfigError> {
    let overrides: std::collections::HashMap<String, String> = match v.optional_text(OVERRIDES) {
        Some(text) if !text.trim().is_empty() => serde_json::from_str(&text)
            .map_err(|e| err(OVERRIDES, format!("must be a JSON object of base URLs: {e}")))?,
        _ => std::collections::HashMap::new(),
    };
    for (name, base) in &overrides {
        if !PRESETS.iter().any(|p| p.name == name) || !loopback(base) {
            return Err(err(OVERRIDES, format!("`{name}`: only a preset, at an http://127.0.0.1 or localhost URL")));
        }
    }
    let mut providers = Vec::new();
    for p in PRESETS {
        if let Some(provider) = preset(v, p, overrides.get(p.name))? {
            providers.push(provider);
        }
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
        let issuer = url::Url::parse(&entry.issuer).ok().filter(|u| u.scheme() == "https");
        if (issuer.is_none() && !loopback(&entry.issuer)) || entry.issuer.ends_with('/') {
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
            protocol: Protocol::OpenId { issuer: entry.issuer },
            client_id: entry.client_id,
            client_secret: Secret(entry.client_secret),
            scopes,
            preset: false,
        });
    }
    Ok(providers)
}

#[cfg(test)]
mod tests;
