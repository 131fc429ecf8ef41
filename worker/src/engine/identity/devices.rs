//! What a person sees of a session's browser and place (docs/security.md, "Sessions"):
//! `Chrome on macOS` from the User-Agent, `San Francisco, CA` from where Cloudflare
//! placed the request's address. Shown in session lists and the new-sign-in mail, never
//! used to decide anything: both come from the client or a geolocation database.
//!
//! The browser and system are read from the User-Agent's product tokens rather than by a
//! user-agent database: woothee 0.13, the maintained Rust port of such a parser, weighs
//! 345 KB gzip in wasm (its regex engine and patterns), more than a third of the worker,
//! for the one line a person reads (measured 2026-12-07, docs/architecture.md).

/// `(token in the User-Agent, browser)`, the first match wins: browsers built on Chrome
/// also say `Chrome/`, and Chrome says `Safari/`, so the specific ones come first.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("YaBrowser/", "Yandex Browser"),
    ("Vivaldi/", "Vivaldi"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),
];

/// `(token, system)`, the first match wins (an iPhone's agent says `like Mac OS X`).
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// `Chrome on macOS`, `Firefox on Windows`, `curl`; `None` for an empty agent.
pub fn device_name(user_agent: &str) -> Option<String> {
    let agent = user_agent.trim();
    let find = |table: &[(&str, &'static str)]| table.iter().find(|(token, _)| agent.contains(token)).map(|t| t.1);
    let system = find(SYSTEMS);
    let browser = match find(BROWSERS) {
        Some(browser) => Some(browser.to_owned()),
        // Not a browser (`curl/8.5.0`, `okhttp/4.12`, `python-requests/2.31`): its product.
        None if !agent.starts_with("Mozilla/") => {
            agent.split('/').next().map(str::trim).filter(|p| !p.is_empty()).map(|p| p.chars().take(40).collect())
        }
        None => None,
    };
    match (browser, system) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(browser), None) => Some(browser),
        (None, Some(system)) => Some(system.to_owned()),
        (None, None) => None,
    }
}

/// `San Francisco, CA` (a US state's code), `Paris, FR` (else the country), or what there
/// is of the two; `None` when Cloudflare placed nothing (Miniflare, under `make dev`,
/// places every request in Austin, TX).
pub fn location_name(city: Option<&str>, region_code: Option<&str>, country: Option<&str>) -> Option<String> {
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let (city, region_code, country) = (nonempty(city), nonempty(region_code), nonempty(country));
    let area = match (country, region_code) {
        (Some("US"), Some(state)) => Some(state),
        _ => country,
    };
    let parts: Vec<&str> = [city, area].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(", ").chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_and_systems_people_recognise() {
        let cases = [
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome on macOS"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge on Windows"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Linux"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome on iOS"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera on Windows"),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.31.0", "python-requests"),
            ("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)", "Dalvik on Android"),
            ("Carol kiosk", "Carol kiosk"),
        ];
        for (agent, name) in cases {
            assert_eq!(device_name(agent).as_deref(), Some(name), "{agent}");
        }
        assert_eq!(device_name("  "), None);
        assert_eq!(device_name("Mozilla/5.0 (compatible)"), None);
    }

    #[test]
    fn a_us_city_with_its_state_elsewhere_with_its_country() {
        assert_eq!(location_name(Some("San Francisco"), Some("CA"), Some("US")).as_deref(), Some("San Francisco, CA"));
        assert_eq!(location_name(Some("Paris"), Some("IDF"), Some("FR")).as_deref(), Some("Paris, FR"));
        assert_eq!(location_name(None, None, Some("DE")).as_deref(), Some("DE"));
        assert_eq!(location_name(Some(""), None, None), None);
    }
}
