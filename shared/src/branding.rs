//! Branding settings (docs/configuration.md): parsed the same way by the worker,
//! which validates the `THEME`/`PRIMARY_COLOR` vars, and by the SPA, which applies them.

use serde::{Deserialize, Serialize};

/// The branding settings (docs/configuration.md) (`APP_NAME`, `APP_TAGLINE`, `THEME`, `PRIMARY_COLOR`,
/// `LOGO_URL`, `TERMS_URL`, `PRIVACY_URL`, `SUPPORT_URL`, `COMPANY_NAME`, `COMPANY_ADDRESS`,
/// `FAVICON_URL`, `DEFAULT_LOCALE`), validated by the worker's config
/// loader and sent to the SPA as part of [`crate::api::UiConfig`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    pub app_name: String,
    pub app_tagline: String,
    pub theme: Theme,
    /// A validated `#rrggbb` colour (see [`parse_hex_color`]).
    pub primary_color: String,
    pub logo_url: Option<String>,
    pub terms_url: Option<String>,
    pub privacy_url: Option<String>,
    pub support_url: Option<String>,
    /// `COMPANY_NAME` and `COMPANY_ADDRESS`: the footer of pages and mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_address: Option<String>,
    /// `FAVICON_URL`: the pages' icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favicon_url: Option<String>,
    /// `DEFAULT_LOCALE` (docs/i18n.md): the language of whoever states no other.
    #[serde(default = "default_locale")]
    pub default_locale: String,
}

fn default_locale() -> String {
    String::from("en")
}

/// `THEME`: two themes. Dark is the default;
/// light is the `.theme-light` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub fn parse(value: &str) -> Result<Theme, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "dark" => Ok(Theme::Dark),
            "light" => Ok(Theme::Light),
            _ => Err(format!("must be `dark` or `light`, got `{value}`")),
        }
    }

    /// The CSS class the SPA puts on `<html>`; dark needs none.
    pub fn css_class(self) -> &'static str {
        match self {
            Theme::Dark => "",
            Theme::Light => "theme-light",
        }
    }
}

/// Accepts `#rgb` or `#rrggbb` and returns the lower-case `#rrggbb` form.
///
/// The colour ends up inside a CSS custom property, so anything but hex digits is refused:
/// a value like `red;}body{display:none` must never reach a stylesheet.
pub fn parse_hex_color(value: &str) -> Result<String, String> {
    let hex = value.trim().strip_prefix('#').ok_or_else(|| format!("must look like #7c3aed, got `{value}`"))?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("must look like #7c3aed, got `{value}`"));
    }
    match hex.len() {
        6 => Ok(format!("#{}", hex.to_ascii_lowercase())),
        3 => Ok(hex.chars().fold(String::from("#"), |mut out, c| {
            out.push(c.to_ascii_lowercase());
            out.push(c.to_ascii_lowercase());
            out
        })),
        _ => Err(format!("must look like #7c3aed, got `{value}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_accepts_the_two_documented_values_only() {
        assert_eq!(Theme::parse("dark"), Ok(Theme::Dark));
        assert_eq!(Theme::parse(" Light "), Ok(Theme::Light));
        assert!(Theme::parse("blue").is_err());
        assert!(Theme::parse("").is_err());
    }

    #[test]
    fn primary_color_is_normalised_and_css_injection_is_refused() {
        assert_eq!(parse_hex_color("#7C3AED").as_deref(), Ok("#7c3aed"));
        assert_eq!(parse_hex_color("#fa0").as_deref(), Ok("#ffaa00"));
        assert!(parse_hex_color("7c3aed").is_err());
        assert!(parse_hex_color("#7c3aed;}body{display:none").is_err());
        assert!(parse_hex_color("#12345").is_err());
        assert!(parse_hex_color("#ggg").is_err());
    }
}
