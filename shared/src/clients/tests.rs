use super::*;

fn known() -> Vec<String> {
    ["openid", "profile", "email", "offline_access", "read", "write", "admin"].map(String::from).to_vec()
}

fn seed_request() -> ClientMetadata {
    serde_json::from_str(
        r#"{"client_name":"My Application","redirect_uris":["https://app.example.com/callback"],
        "grant_types":["authorization_code","refresh_token"],"response_types":["code"],
        "token_endpoint_auth_method":"client_secret_basic","scope":"openid profile email",
        "logo_uri":"https://app.example.com/logo.png","client_uri":"https://app.example.com",
        "tos_uri":"https://app.example.com/tos","policy_uri":"https://app.example.com/privacy",
        "contacts":["admin@example.com"]}"#,
    )
    .unwrap()
}

fn problems(change: impl FnOnce(&mut ClientMetadata)) -> Vec<(&'static str, &'static str)> {
    let mut request = seed_request();
    change(&mut request);
    ClientSettings::new(&request, "openid").problems(Some(&known())).iter().map(|p| (p.error, p.field)).collect()
}

#[test]
fn the_documented_registration_is_valid_and_round_trips() {
    let settings = ClientSettings::new(&seed_request(), "openid");
    assert!(settings.problems(Some(&known())).is_empty());
    let json = serde_json::to_value(&settings).unwrap();
    assert_eq!(json["scope"], "openid profile email");
    assert_eq!(json["contacts"][0], "admin@example.com");
    let back: ClientSettings = serde_json::from_value(json).unwrap();
    assert_eq!(back, settings);
}

#[test]
fn the_documented_good_redirect_uris_pass_and_the_bad_ones_fail() {
    for good in [
        "https://myapp.com/callback",
        "https://myapp.com/auth/callback",
        "https://staging.myapp.com/callback",
        "http://localhost:3000/callback",
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
    ] {
        assert_eq!(redirect_uri_problem(good, false), None, "{good}");
        assert_eq!(redirect_uri_problem(good, true), None, "{good} (native)");
    }
    for bad in [
        "https://myapp.com/*",
        "https://*.myapp.com/callback",
        "http://myapp.com/callback",
        "https://myapp.com/callback#frag",
        "/callback",
        "myapp.com/callback",
        "https://user:pw@myapp.com/cb",
        "javascript:alert(1)",
        "ftp://myapp.com/cb",
    ] {
        assert!(redirect_uri_problem(bad, false).is_some(), "{bad}");
        assert!(redirect_uri_problem(bad, true).is_some(), "{bad} (native)");
    }
}

#[test]
fn an_internationalised_host_is_registered_in_its_punycode_form() {
    // IDNA (RFC 5891): bücher.example is xn--bcher-kva.example on the wire.
    assert_eq!(redirect_uri_problem("https://xn--bcher-kva.example/cb", false), None);
    let unicode = redirect_uri_problem("https://bücher.example/cb", false);
    assert!(unicode.is_some_and(|m| m.contains("punycode")), "{unicode:?}");
    assert!(https_problem("https://bücher.example/logo.png").is_some_and(|m| m.contains("punycode")));
    // Non-ASCII in the path is percent-encoded as the URL standard says, not refused.
    assert_eq!(redirect_uri_problem("https://example.com/über", false), None);
}

#[test]
fn rfc8252_7_1_native_apps_register_reverse_domain_private_use_schemes() {
    for good in ["com.example.app:/callback", "com.example.app://oauth2redirect", "io.my-app.ios:/cb"] {
        assert_eq!(redirect_uri_problem(good, true), None, "{good}");
        assert!(redirect_uri_problem(good, false).is_some(), "{good} is not for web clients");
    }
    for bad in [
        "myapp:/callback",
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        ".com.x:/cb",
        "com..x:/cb",
        "com.example.app:/cb#f",
    ] {
        assert!(redirect_uri_problem(bad, true).is_some(), "{bad}");
    }
    // Only public clients: a secret in a native app is not a secret (RFC 8252 §8.5).
    let native = |auth: &str| {
        problems(|r| {
            r.application_type = Some("native".into());
            r.token_endpoint_auth_method = Some(auth.into());
            r.redirect_uris = Some(vec!["com.example.app:/callback".into()]);
        })
    };
    assert_eq!(native("none"), []);
    assert_eq!(native("client_secret_basic"), [("invalid_redirect_uri", "redirect_uris")]);
    assert_eq!(
        problems(|r| r.application_type = Some("desktop".into())),
        [("invalid_client_metadata", "application_type")]
    );
}

#[test]
fn rfc7591_3_2_2_each_rule_names_its_error_and_field() {
    assert_eq!(
        problems(|r| r.redirect_uris = Some(vec!["http://myapp.com/cb".into()])),
        [("invalid_redirect_uri", "redirect_uris")]
    );
    assert_eq!(problems(|r| r.redirect_uris = Some(vec![])), [("invalid_redirect_uri", "redirect_uris")]);
    assert_eq!(problems(|r| r.client_name = Some(" ".into())), [("invalid_client_metadata", "client_name")]);
    assert_eq!(problems(|r| r.scope = Some("openid superpowers".into())), [("invalid_client_metadata", "scope")]);
    assert_eq!(
        problems(|r| r.logo_uri = Some("http://app.example.com/logo.png".into())),
        [("invalid_client_metadata", "logo_uri")]
    );
    assert_eq!(problems(|r| r.tos_uri = Some("not a url".into())), [("invalid_client_metadata", "tos_uri")]);
    assert_eq!(problems(|r| r.contacts = Some(vec!["nobody".into()])), [("invalid_client_metadata", "contacts")]);
    assert_eq!(
        problems(|r| r.token_endpoint_auth_method = Some("tls_client_auth".into())),
        [("invalid_client_metadata", "token_endpoint_auth_method")]
    );
    // RFC 7523 private_key_jwt needs the client's public keys, and only public ones.
    assert_eq!(
        problems(|r| r.token_endpoint_auth_method = Some("private_key_jwt".into())),
        [("invalid_client_metadata", "jwks")]
    );
    let key = serde_json::json!({ "kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ" });
    assert!(problems(|r| {
        r.token_endpoint_auth_method = Some("private_key_jwt".into());
        r.jwks = Some(serde_json::json!({ "keys": [key] }));
    })
    .is_empty());
    let mut private = key.clone();
    private["d"] = serde_json::json!("secret");
    assert_eq!(
        problems(|r| {
            r.token_endpoint_auth_method = Some("private_key_jwt".into());
            r.jwks = Some(serde_json::json!({ "keys": [private] }));
        }),
        [("invalid_client_metadata", "jwks")]
    );
    assert_eq!(
        problems(|r| r.jwks_uri = Some("https://app.example.com/jwks.json".into())),
        [("invalid_client_metadata", "jwks")],
        "keys are for private_key_jwt"
    );
    assert_eq!(
        problems(|r| r.grant_types = Some(vec!["magic".into()])),
        [("invalid_client_metadata", "grant_types"), ("invalid_client_metadata", "grant_types"),],
        "unknown, and code without authorization_code"
    );
    assert_eq!(problems(|r| r.access_token_ttl = Some(10)), [("invalid_client_metadata", "access_token_ttl")]);
    assert_eq!(
        problems(|r| r.refresh_token_ttl = Some(REFRESH_TTL_MAX + 1)),
        [("invalid_client_metadata", "refresh_token_ttl")]
    );
}

#[test]
fn rfc7591_2_1_grant_and_response_types_must_agree() {
    assert_eq!(
        problems(|r| r.response_types = Some(vec![])),
        [("invalid_client_metadata", "response_types")],
        "code grant needs `code`"
    );
    assert_eq!(
        problems(|r| r.response_types = Some(vec!["code".into(), "id_token".into()])),
        [("invalid_client_metadata", "grant_types")],
        "id_token needs implicit"
    );
    assert!(problems(|r| {
        r.grant_types = Some(vec!["authorization_code".into(), "implicit".into()]);
        r.response_types = Some(vec!["code id_token".into()]);
    })
    .is_empty());
    assert_eq!(
        problems(|r| {
            r.token_endpoint_auth_method = Some("none".into());
            r.grant_types = Some(vec!["authorization_code".into(), "client_credentials".into()]);
        }),
        [("invalid_client_metadata", "grant_types")],
        "public clients cannot use client_credentials"
    );
}

#[test]
fn a_service_account_needs_no_redirect_uri_or_response_type() {
    let request = ClientMetadata {
        client_name: Some("Backend".into()),
        grant_types: Some(vec!["client_credentials".into()]),
        scope: Some("read write".into()),
        ..Default::default()
    };
    let settings = ClientSettings::new(&request, "openid");
    assert!(settings.response_types.is_empty());
    let unscoped = ClientMetadata { scope: None, ..request.clone() };
    assert_eq!(ClientSettings::new(&unscoped, "openid").scope, "", "no user scopes by default");
    assert!(settings.problems(Some(&known())).is_empty(), "{:?}", settings.problems(Some(&known())));
}

#[test]
fn patches_replace_present_fields_and_clear_uris_with_empty_strings() {
    let mut settings = ClientSettings::new(&seed_request(), "openid");
    let patch = ClientMetadata {
        redirect_uris: Some(vec!["https://myapp.com/new".into()]),
        logo_uri: Some(String::new()),
        ..Default::default()
    };
    settings.apply(&patch);
    assert_eq!(settings.redirect_uris, ["https://myapp.com/new"]);
    assert_eq!(settings.logo_uri, None);
    assert_eq!(settings.client_name, "My Application", "absent: unchanged");
}

#[test]
fn oidc_registration_2_id_token_signed_response_alg_is_one_the_server_signs_with() {
    for alg in ID_TOKEN_SIGNING_ALGS {
        assert_eq!(problems(|r| r.id_token_signed_response_alg = Some((*alg).into())), [], "{alg}");
    }
    for unsigned_or_unknown in ["none", "HS256", "rs256"] {
        assert_eq!(
            problems(|r| r.id_token_signed_response_alg = Some(unsigned_or_unknown.into())),
            [("invalid_client_metadata", "id_token_signed_response_alg")],
            "{unsigned_or_unknown}"
        );
    }
    // PATCH with an empty string goes back to the default.
    let mut settings = ClientSettings::new(&seed_request(), "openid");
    settings.apply(&ClientMetadata { id_token_signed_response_alg: Some("ES256".into()), ..ClientMetadata::default() });
    assert_eq!(settings.id_token_signed_response_alg.as_deref(), Some("ES256"));
    settings.apply(&ClientMetadata { id_token_signed_response_alg: Some(String::new()), ..ClientMetadata::default() });
    assert_eq!(settings.id_token_signed_response_alg, None);
}

#[test]
fn oidc_backchannel_logout_2_2_the_uri_is_absolute_https_without_a_fragment() {
    for good in ["https://rp.example/logout", "http://127.0.0.1:3000/backchannel?x=1"] {
        assert_eq!(problems(|r| r.backchannel_logout_uri = Some(good.into())), [], "{good}");
    }
    for bad in ["https://rp.example/logout#f", "/logout", "http://rp.example/logout", "com.example.app:/logout"] {
        assert_eq!(
            problems(|r| r.backchannel_logout_uri = Some(bad.into())),
            [("invalid_client_metadata", "backchannel_logout_uri")],
            "{bad}"
        );
    }
    let mut settings = ClientSettings::new(&seed_request(), "openid");
    settings.apply(&ClientMetadata {
        backchannel_logout_uri: Some("https://rp.example/logout".into()),
        backchannel_logout_session_required: Some(true),
        ..ClientMetadata::default()
    });
    assert!(settings.backchannel_logout_session_required);
    settings.apply(&ClientMetadata { backchannel_logout_uri: Some(String::new()), ..ClientMetadata::default() });
    assert_eq!(settings.backchannel_logout_uri, None, "an empty string clears it");
}

fn fapi2_request() -> ClientMetadata {
    let mut request = seed_request();
    request.token_endpoint_auth_method = Some("private_key_jwt".into());
    request.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "eA", "y": "eQ"}]}));
    request.id_token_signed_response_alg = Some("ES256".into());
    request.security_profile = Some(FAPI2.into());
    request
}

#[test]
fn fapi2_choosing_the_profile_turns_on_par_and_dpop_and_its_rules_are_named() {
    let settings = ClientSettings::new(&fapi2_request(), "openid");
    assert!(settings.require_pushed_authorization_requests && settings.dpop_bound_access_tokens);
    assert_eq!(settings.problems(Some(&known())), vec![]);
    let broken = |change: fn(&mut ClientMetadata)| {
        let mut request = fapi2_request();
        change(&mut request);
        let found = ClientSettings::new(&request, "openid").problems(Some(&known()));
        found.iter().map(|p| (p.field, p.message.starts_with("FAPI 2.0 §"))).collect::<Vec<_>>()
    };
    assert_eq!(
        broken(|r| {
            r.token_endpoint_auth_method = Some("client_secret_basic".into());
            r.jwks = None;
        }),
        vec![("token_endpoint_auth_method", true)]
    );
    assert_eq!(broken(|r| r.dpop_bound_access_tokens = Some(false)), vec![("dpop_bound_access_tokens", true)]);
    assert_eq!(
        broken(|r| r.require_pushed_authorization_requests = Some(false)),
        vec![("require_pushed_authorization_requests", true)]
    );
    assert_eq!(broken(|r| r.id_token_signed_response_alg = None), vec![("id_token_signed_response_alg", true)]);
    assert_eq!(
        broken(|r| {
            r.grant_types = Some(vec!["authorization_code".into(), "implicit".into()]);
            r.response_types = Some(vec!["code".into(), "code id_token".into()]);
        }),
        vec![("response_types", true), ("grant_types", true)]
    );
    assert_eq!(broken(|r| r.security_profile = Some("fapi1".into())), vec![("security_profile", false)]);
}

#[test]
fn rfc9101_request_object_signing_alg_is_asymmetric_and_needs_the_clients_keys() {
    assert_eq!(
        problems(|r| r.request_object_signing_alg = Some("ES256".into())),
        vec![("invalid_client_metadata", "request_object_signing_alg")]
    );
    assert_eq!(
        problems(|r| r.request_object_signing_alg = Some("none".into())),
        vec![("invalid_client_metadata", "request_object_signing_alg")]
    );
    let mut request = fapi2_request();
    request.request_object_signing_alg = Some("ES256".into());
    assert!(ClientSettings::new(&request, "openid").problems(Some(&known())).is_empty());
}
