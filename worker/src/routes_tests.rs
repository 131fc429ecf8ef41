//! The route table's promises: one operation per path and method, the `Allow` values,
//! CORS preflights, and `tests/e2e/routes.json` written from the table itself.

use super::*;

/// `tests/e2e/routes.json`: the route table as data for the JavaScript suites (the
/// OpenAPI document is checked against it, the fuzz corpus covers it), written from
/// [`ROUTES`] itself rather than read out of this file's text. Stale, this test fails;
/// `UPDATE_ROUTES=1 cargo test -p authority-worker routes_json` writes it again.
#[test]
fn tests_e2e_routes_json_is_the_route_table() {
    let mut patterns: Vec<&Route> = Vec::new();
    for route in ROUTES {
        if !patterns.iter().any(|r| r.pattern == route.pattern) {
            patterns.push(route);
        }
    }
    let rows: Vec<serde_json::Value> = patterns
        .iter()
        .map(|r| {
            serde_json::json!({
                "pattern": r.pattern,
                "methods": allow(r.pattern).split(", ").collect::<Vec<_>>(),
                "kind": format!("{:?}", r.kind).to_lowercase(),
                "cors": format!("{:?}", r.cors).to_lowercase(),
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&rows).unwrap() + "\n";
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/routes.json");
    if std::env::var_os("UPDATE_ROUTES").is_some() {
        std::fs::write(&file, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        stored == text,
        "tests/e2e/routes.json is stale: UPDATE_ROUTES=1 cargo test -p authority-worker routes_json"
    );
}

#[test]
fn every_documented_path_resolves_to_its_endpoint() {
    for (path, endpoint) in [
        ("/token", E::Token),
        ("/oauth/introspect", E::Introspect),
        ("/oauth2/userinfo", E::UserInfo),
        ("/device/code", E::DeviceAuthorization),
        ("/register", E::Register),
        ("/register/abc", E::RegisteredClient),
        ("/register/abc/secrets/s1", E::Secret),
        ("/api/clients/abc/revoke_tokens", E::RevokeTokens),
        ("/api/account/consents/demo-app", E::AccountConsent),
    ] {
        assert_eq!(resolve(path).map(|m| m.route.endpoint), Some(endpoint), "{path}");
    }
}

#[test]
fn path_parameters_are_one_decoded_segment() {
    let m = resolve("/register/a%20b/secrets/s%2F1").unwrap();
    assert_eq!(m.params, vec!["a b", "s/1"]);
    assert!(resolve("/register/").is_none());
    assert!(resolve("/register/a/b/c/d").is_none());
    assert!(resolve("/api/clients/abc/other").is_none());
    // Not valid UTF-8 once decoded: no route, so a JSON 404.
    assert!(resolve("/register/%FF").is_none());
}

fn operation(path: &str, method: &str) -> Option<Endpoint> {
    match resolve_operation(path, method) {
        Resolved::Operation(m) => Some(m.route.endpoint),
        _ => None,
    }
}

#[test]
fn rfc9110_allow_lists_the_methods_of_every_operation_on_a_path() {
    assert_eq!(allow("/token"), "POST, OPTIONS");
    assert_eq!(allow("/register/{client_id}"), "GET, HEAD, PATCH, DELETE");
    assert_eq!(allow(paths::SESSION), "GET, HEAD, POST, DELETE");
    match resolve_operation("/token", "GET") {
        Resolved::WrongMethod { allow } => assert_eq!(allow, "POST, OPTIONS"),
        other => panic!("GET /token: {other:?}"),
    }
}

#[test]
fn each_method_on_a_path_is_its_own_operation() {
    assert_eq!(operation("/register/x", "GET"), Some(E::RegisteredClient));
    assert_eq!(operation("/register/x", "HEAD"), Some(E::RegisteredClient));
    assert_eq!(operation("/register/x", "PATCH"), Some(E::UpdateClient));
    assert_eq!(operation("/register/x", "DELETE"), Some(E::DeleteClient));
    assert_eq!(operation("/api/session", "POST"), Some(E::SignIn));
    assert_eq!(operation("/api/session", "DELETE"), Some(E::SignOut));
    assert_eq!(operation("/authorize", "POST"), Some(E::Authorize));
    assert_eq!(operation("/register/x", "POST"), None);
    assert!(matches!(resolve_operation("/token", "OPTIONS"), Resolved::Preflight { cors: Cors::Client, .. }));
    assert!(matches!(resolve_operation("/api/session", "OPTIONS"), Resolved::WrongMethod { .. }));
    assert!(matches!(resolve_operation("/nowhere", "GET"), Resolved::Unknown));
}

#[test]
fn contract_browser_apps_the_client_bound_endpoints_and_public_documents_answer_preflights() {
    for path in ["/token", "/token/revoke", "/device", "/userinfo", "/oauth/revoke", "/oauth2/userinfo"] {
        let route = resolve(path).unwrap().route;
        assert_eq!(route.cors, Cors::Client, "{path}");
        assert!(matches!(resolve_operation(path, "OPTIONS"), Resolved::Preflight { .. }), "{path}");
    }
    for path in ["/.well-known/openid-configuration", "/.well-known/jwks.json"] {
        assert_eq!(resolve(path).unwrap().route.cors, Cors::AnyOrigin, "{path}");
    }
    // A path answers OPTIONS exactly when it has a CORS policy; no row names OPTIONS.
    for route in ROUTES {
        assert_eq!(allow(route.pattern).ends_with("OPTIONS"), route.cors != Cors::None, "{}", route.pattern);
        assert!(!route.accepts("OPTIONS"), "{}", route.pattern);
    }
    assert_eq!(resolve("/token/introspect").unwrap().route.cors, Cors::None);
    assert_eq!(resolve("/api/session").unwrap().route.cors, Cors::None);
}

#[test]
fn unknown_program_paths_get_json_and_pages_go_to_the_spa() {
    assert!(resolve("/api/nothing").is_none() && is_api_path("/api/nothing"));
    assert!(is_api_path("/.well-known/other"));
    assert!(!is_api_path("/signin") && !is_api_path("/admin/clients"));
}

#[test]
fn templated_paths_extend_the_shared_ones() {
    for (pattern, base) in [
        ("/register/{client_id}", paths::REGISTER),
        ("/api/clients/{client_id}/revoke_tokens", paths::CLIENTS),
        ("/api/account/sessions/{id}", paths::ACCOUNT_SESSIONS),
        ("/api/account/consents/{client_id}", paths::ACCOUNT_CONSENTS),
        ("/api/users/{id}/unlock", paths::USERS),
        ("/api/audit-logs/{id}", paths::AUDIT_LOGS),
    ] {
        assert!(pattern.starts_with(&format!("{base}/")), "{pattern}");
        assert!(ROUTES.iter().any(|r| r.pattern == pattern), "{pattern} is not routed");
    }
}

#[test]
fn one_operation_per_path_and_method_and_one_kind_and_policy_per_path() {
    for (i, a) in ROUTES.iter().enumerate() {
        assert!(a.pattern.starts_with('/'), "{}", a.pattern);
        assert!(!a.methods.is_empty());
        for b in ROUTES.iter().skip(i + 1).filter(|b| b.pattern == a.pattern) {
            assert!(a.methods.split(", ").all(|m| !b.accepts(m)), "{} {} twice", a.methods, a.pattern);
            assert_eq!((a.kind, a.cors), (b.kind, b.cors), "{}", a.pattern);
        }
    }
}
