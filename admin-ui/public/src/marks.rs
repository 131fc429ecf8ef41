//! The providers' marks on the "Continue with …" buttons: small inline SVGs drawn for this
//! project in each brand's colours (no remote images: the pages' CSP allows none, and a
//! sign-in page should not call other sites). Providers of `OIDC_PROVIDERS` get a generic
//! person mark.

const GOOGLE: &str = r##"<svg viewBox="0 0 24 24" fill="none" stroke-width="3.6"><path d="M17.66 6.34A8 8 0 0 0 5.07 8" stroke="#EA4335"/><path d="M5.07 8A8 8 0 0 0 5.07 16" stroke="#FBBC05"/><path d="M5.07 16A8 8 0 0 0 17.66 17.66" stroke="#34A853"/><path d="M17.66 17.66A8 8 0 0 0 20 12H12" stroke="#4285F4"/></svg>"##;

const GITHUB: &str = r##"<svg viewBox="0 0 24 24"><circle cx="12" cy="12" r="12" fill="#181717"/><path d="M6.6 10.6 7.2 5.2l3.4 2.6h2.8l3.4-2.6.6 5.4c.6.9.9 1.8.9 2.7 0 3-2.8 5.2-6.3 5.2s-6.3-2.2-6.3-5.2c0-.9.3-1.8.9-2.7Z" fill="#fff"/><circle cx="9.6" cy="13" r="1" fill="#181717"/><circle cx="14.4" cy="13" r="1" fill="#181717"/></svg>"##;

const FACEBOOK: &str = r##"<svg viewBox="0 0 24 24"><circle cx="12" cy="12" r="12" fill="#1877F2"/><path d="M13.6 24v-8.9h3l.5-3.5h-3.5V9.4c0-1 .3-1.7 1.8-1.7h1.9V4.6c-.3 0-1.4-.2-2.7-.2-2.7 0-4.5 1.6-4.5 4.6v2.6H7.1v3.5h3V24Z" fill="#fff"/></svg>"##;

const LINKEDIN: &str = r##"<svg viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#0A66C2"/><circle cx="6.6" cy="6.4" r="1.9" fill="#fff"/><path d="M5 9.4h3.2V19H5Zm5.3 0h3v1.4c.5-.9 1.6-1.7 3.3-1.7 3.2 0 3.8 2 3.8 4.7V19h-3.1v-4.6c0-1.2-.1-2.6-1.7-2.6s-2 1.2-2 2.5V19h-3.2Z" fill="#fff"/></svg>"##;

const APPLE: &str = r##"<svg viewBox="0 0 24 24" fill="currentColor"><mask id="authority-apple-bite"><rect width="24" height="24" fill="#fff"/><circle cx="21" cy="11.5" r="3.2" fill="#000"/></mask><g mask="url(#authority-apple-bite)"><ellipse cx="9.3" cy="14.3" rx="5.6" ry="7"/><ellipse cx="14.7" cy="14.3" rx="5.6" ry="7"/></g><ellipse cx="14" cy="4.2" rx="1.5" ry="3" transform="rotate(40 14 4.2)"/></svg>"##;

const GENERIC: &str = r##"<svg viewBox="0 0 24 24" fill="currentColor"><circle cx="12" cy="12" r="11" fill="none" stroke="currentColor" stroke-width="1.6"/><circle cx="12" cy="9.4" r="3.6"/><path d="M5.6 18.6c1.4-2.8 3.7-4.3 6.4-4.3s5 1.5 6.4 4.3a8.9 8.9 0 0 1-12.8 0Z"/></svg>"##;

/// The mark for `brand` (`ProviderInfo::brand`), as SVG markup.
pub fn mark(brand: Option<&str>) -> &'static str {
    match brand {
        Some("google") => GOOGLE,
        Some("github") => GITHUB,
        Some("facebook") => FACEBOOK,
        Some("linkedin") => LINKEDIN,
        Some("apple") => APPLE,
        _ => GENERIC,
    }
}
