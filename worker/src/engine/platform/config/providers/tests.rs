use super::*;
use crate::engine::test_support::fixtures::config_with;

/// A fresh P-256 key as the PEM of Apple's `.p8` file, on one line with `\n` escapes (the
/// way a secret is often stored).
pub(crate) fn apple_p8() -> String {
    use base64::Engine;
    use p256::pkcs8::EncodePrivateKey;
    let key = p256::SecretKey::random(&mut rand_core::OsRng);
    let der = key.to_pkcs8_der().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
    format!("-----BEGIN PRIVATE KEY-----\\n{b64}\\n-----END PRIVATE KEY-----\\n")
}

#[test]
fn providers_are_named_by_slug_with_an_https_issuer_and_openid() {
    let ok = parse(Some(
        r#"[{"name":"corp","issuer":"https://idp.example.com","client_id":"a","client_secret":"b"}]"#.into(),
    ))
    .unwrap();
    assert_eq!(ok[0].display_name, "corp");
    assert_eq!(ok[0].scopes, vec!["openid", "email", "profile"]);
    assert!(!ok[0].preset);
    assert!(parse(None).unwrap().is_empty());
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

#[test]
fn each_preset_speaks_its_providers_protocol_at_its_public_hosts() {
    let config = config_with(|v| {
        for name in ["GOOGLE", "GITHUB", "FACEBOOK", "LINKEDIN"] {
            v.insert(Box::leak(format!("{name}_OAUTH_ENABLED").into_boxed_str()), "true".into());
            v.insert(Box::leak(format!("{name}_CLIENT_ID").into_boxed_str()), format!("{name}-id"));
            v.insert(Box::leak(format!("{name}_CLIENT_SECRET").into_boxed_str()), format!("{name}-secret"));
        }
        v.insert("APPLE_OAUTH_ENABLED", "true".into());
        v.insert("APPLE_CLIENT_ID", "com.example.web".into());
        v.insert("APPLE_TEAM_ID", "TEAM123456".into());
        v.insert("APPLE_KEY_ID", "KEY1234567".into());
        v.insert("APPLE_PRIVATE_KEY", apple_p8());
    });
    let by_name = |n: &str| config.providers.iter().find(|p| p.name == n).unwrap();
    assert_eq!(by_name("google").protocol, Protocol::OpenId { issuer: "https://accounts.google.com".into() });
    assert_eq!(
        by_name("github").protocol,
        Protocol::GitHub { web: "https://github.com".into(), api: "https://api.github.com".into() }
    );
    assert_eq!(by_name("github").scopes, ["read:user", "user:email"]);
    assert_eq!(
        by_name("facebook").protocol,
        Protocol::Facebook { web: "https://www.facebook.com".into(), graph: "https://graph.facebook.com".into() }
    );
    let Protocol::Apple(apple) = &by_name("apple").protocol else { panic!("apple") };
    assert_eq!((apple.base.as_str(), apple.team_id.as_str()), ("https://appleid.apple.com", "TEAM123456"));
    assert_eq!(apple.private_key.0.first(), Some(&0x30));
    assert!(format!("{apple:?}").contains("SecretBytes(…)"), "the key is never printed");
    assert!(config.providers.iter().all(|p| p.preset));
}

#[test]
fn a_preset_needs_its_settings_and_the_test_override_is_loopback_only() {
    let missing = crate::engine::test_support::fixtures::try_config_with(|v| {
        v.insert("GITHUB_OAUTH_ENABLED", "true".into());
        v.insert("GITHUB_CLIENT_ID", "id".into());
    });
    assert!(missing.unwrap_err().to_string().contains("GITHUB_CLIENT_SECRET"));
    let bad_key = crate::engine::test_support::fixtures::try_config_with(|v| {
        v.insert("APPLE_OAUTH_ENABLED", "true".into());
        v.insert("APPLE_CLIENT_ID", "id".into());
        v.insert("APPLE_TEAM_ID", "t".into());
        v.insert("APPLE_KEY_ID", "k".into());
        v.insert("APPLE_PRIVATE_KEY", "not a key".into());
    });
    assert!(bad_key.unwrap_err().to_string().contains("APPLE_PRIVATE_KEY"));
    for (value, ok) in [
        (r#"{"github":"http://127.0.0.1:9000"}"#, true),
        (r#"{"github":"https://evil.example.com"}"#, false),
        (r#"{"nope":"http://127.0.0.1:9000"}"#, false),
    ] {
        let loaded = crate::engine::test_support::fixtures::try_config_with(|v| {
            v.insert("GITHUB_OAUTH_ENABLED", "true".into());
            v.insert("GITHUB_CLIENT_ID", "id".into());
            v.insert("GITHUB_CLIENT_SECRET", "secret".into());
            v.insert("SOCIAL_PROVIDER_BASE_URLS", value.into());
        });
        assert_eq!(loaded.is_ok(), ok, "{value}");
        if let Ok(config) = loaded {
            let base = "http://127.0.0.1:9000".to_owned();
            assert_eq!(config.providers[0].protocol, Protocol::GitHub { web: base.clone(), api: base });
        }
    }
}
