use std::collections::HashMap;

use super::*;
use crate::engine::test_support::dev_vars;

fn load_with(change: impl FnOnce(&mut HashMap<&'static str, String>)) -> Result<Config, ConfigError> {
    let mut vars = dev_vars();
    change(&mut vars);
    Config::load(&|name: &'static str| vars.get(name).cloned())
}

#[test]
fn the_origin_csrf_checks_compare_is_the_issuers_without_its_path() {
    let config = load_with(|v| {
        v.insert("ISSUER", "https://id.example.com/auth".into());
    })
    .unwrap();
    assert_eq!(config.origin(), "https://id.example.com");
    assert_eq!(load_with(|_| {}).unwrap().origin(), "http://127.0.0.1:8787");
}

#[test]
fn wrangler_toml_defines_every_variable_and_they_parse() {
    let vars = dev_vars();
    for name in VARIABLES {
        assert!(vars.contains_key(name), "{name} is missing from [vars] in wrangler.toml");
    }
    let config = load_with(|_| {}).unwrap();
    assert_eq!(config.issuer, "http://127.0.0.1:8787");
    assert_eq!(config.tokens.access_token_ttl, 3600);
    assert_eq!(config.tokens.code_ttl, 600);
    assert_eq!(config.tokens.device_code_ttl, 300);
    assert_eq!(config.branding.theme, Theme::Dark);
    assert_eq!(config.branding.primary_color, "#7c3aed");
}

#[test]
fn email_provider_http_needs_an_https_api_url_and_a_key() {
    let http = |url: &str, key: Option<&str>| {
        load_with(|v| {
            v.insert("EMAIL_PROVIDER", "http".into());
            v.insert("EMAIL_API_URL", url.into());
            if let Some(key) = key {
                v.insert("EMAIL_API_KEY", key.into());
            }
        })
    };
    assert_eq!(load_with(|_| {}).unwrap().mail.provider, MailProvider::Log, "the shipped default");
    let ok = http("https://api.resend.com/emails", Some("re_123")).unwrap();
    assert!(matches!(ok.mail.provider, MailProvider::Http { ref url, .. } if url == "https://api.resend.com/emails"));
    assert!(http("http://127.0.0.1:9000/emails", Some("k")).is_ok(), "a local relay");
    assert_eq!(http("http://mail.example.com/emails", Some("k")).unwrap_err().variable, "EMAIL_API_URL");
    assert_eq!(http("", Some("k")).unwrap_err().variable, "EMAIL_API_URL");
    assert_eq!(http("https://api.resend.com/emails", None).unwrap_err().variable, "EMAIL_API_KEY");
    let smtp = |vars: &[(&'static str, &str)]| {
        load_with(|v| {
            v.insert("EMAIL_PROVIDER", "smtp".into());
            for (name, value) in vars {
                v.insert(name, (*value).into());
            }
        })
    };
    assert_eq!(smtp(&[]).unwrap_err().variable, "SMTP_HOST");
    let server = match smtp(&[("SMTP_HOST", "smtp.example.com")]).unwrap().mail.provider {
        MailProvider::Smtp(server) => server,
        other => panic!("{other:?}"),
    };
    assert_eq!((server.port, server.tls), (587, crate::engine::delivery::smtp::SmtpTls::StartTls), "the defaults");
    assert_eq!(smtp(&[("SMTP_HOST", "smtp.example.com"), ("SMTP_TLS", "none")]).unwrap_err().variable, "SMTP_TLS");
    assert!(smtp(&[("SMTP_HOST", "127.0.0.1"), ("SMTP_TLS", "none")]).is_ok(), "plain only to this machine");
    assert_eq!(smtp(&[("SMTP_HOST", "smtp.example.com"), ("SMTP_TLS", "ssl")]).unwrap_err().variable, "SMTP_TLS");
    assert_eq!(smtp(&[("SMTP_HOST", "smtp.example.com"), ("SMTP_PORT", "0")]).unwrap_err().variable, "SMTP_PORT");
    assert_eq!(smtp(&[("SMTP_HOST", "smtp.example.com"), ("SMTP_USER", "u")]).unwrap_err().variable, "SMTP_USER");
    assert_eq!(
        load_with(|v| {
            v.insert("EMAIL_PROVIDER", "sendmail".into());
        })
        .unwrap_err()
        .variable,
        "EMAIL_PROVIDER"
    );
    let from = load_with(|v| {
        v.insert("SMTP_FROM", "not an address".into());
    });
    assert_eq!(from.unwrap_err().variable, "SMTP_FROM");
}

#[test]
fn the_password_policy_comes_from_the_documented_variables() {
    let config = load_with(|v| {
        v.insert("PASSWORD_MIN_LENGTH", "16".into());
        v.insert("REQUIRE_NUMBERS", "true".into());
    })
    .unwrap();
    let policy = &config.security.password_policy;
    assert_eq!((policy.min_length, policy.require_numbers, policy.require_uppercase), (16, true, false));
    assert_eq!(
        load_with(|v| {
            v.insert("REQUIRE_SPECIAL", "yes".into());
        })
        .unwrap_err()
        .variable,
        "REQUIRE_SPECIAL"
    );
}

#[test]
fn a_missing_variable_is_named() {
    let e = load_with(|v| {
        v.remove("CODE_TTL");
    })
    .unwrap_err();
    assert_eq!(e.variable, "CODE_TTL");
    assert!(e.to_string().contains("CODE_TTL is not set"), "{e}");
}

#[test]
fn malformed_numbers_and_flags_are_refused_not_defaulted() {
    for (name, bad) in [
        ("ACCESS_TOKEN_TTL", "abc"),
        ("ACCESS_TOKEN_TTL", "0"),
        ("ACCESS_TOKEN_TTL", "-5"),
        ("REFRESH_TOKEN_ROTATION", "ture"),
        ("REFRESH_TOKEN_ROTATION", "1"),
        ("THEME", "blue"),
        ("PRIMARY_COLOR", "purple"),
        ("LOGO_URL", "javascript:alert(1)"),
        ("LOGO_URL", "//evil.example/logo.png"),
        ("APP_NAME", "   "),
    ] {
        let e = load_with(|v| {
            v.insert(name, bad.into());
        })
        .unwrap_err();
        assert_eq!(e.variable, name, "{name}={bad} gave {e}");
    }
}

#[test]
fn refresh_token_ttl_zero_disables_refresh_tokens() {
    let config = load_with(|v| {
        v.insert("REFRESH_TOKEN_TTL", "0".into());
    })
    .unwrap();
    assert_eq!(config.tokens.refresh_token_ttl, 0);
}

#[test]
fn issuer_must_be_https_except_on_loopback_and_exactly_comparable() {
    for good in
        ["https://auth.example.com", "https://example.com/tenant", "http://localhost:8787", "http://127.0.0.1:8787"]
    {
        assert_eq!(
            load_with(|v| {
                v.insert("ISSUER", good.into());
            })
            .unwrap()
            .issuer,
            good
        );
    }
    for bad in [
        "http://auth.example.com",
        "https://auth.example.com/",
        "https://auth.example.com?x=1",
        "auth.example.com",
        "https://u:p@auth.example.com",
        "",
    ] {
        let e = load_with(|v| {
            v.insert("ISSUER", bad.into());
        })
        .unwrap_err();
        assert_eq!(e.variable, "ISSUER", "{bad}");
    }
}

#[test]
fn secret_key_must_be_long_and_is_never_echoed() {
    let e = load_with(|v| {
        v.insert("SECRET_KEY", "short-secret".into());
    })
    .unwrap_err();
    assert_eq!(e.variable, "SECRET_KEY");
    assert!(!e.to_string().contains("short-secret"));
    let e = load_with(|v| {
        v.remove("SECRET_KEY");
    })
    .unwrap_err();
    assert_eq!(e.variable, "SECRET_KEY");
    let config = load_with(|_| {}).unwrap();
    assert_eq!(format!("{:?}", config.secret_key), "Secret(..)");
}

#[test]
fn bootstrap_secrets_are_optional_but_come_in_pairs_and_must_be_strong() {
    let config = load_with(|_| {}).unwrap();
    assert_eq!(config.bootstrap, Bootstrap::default());
    let long = "0123456789abcdef0123456789abcdef";
    let config = load_with(|v| {
        v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
        v.insert("ADMIN_CLIENT_SECRET", long.into());
        v.insert("DEMO_CLIENT_SECRET", long.into());
    })
    .unwrap();
    assert_eq!(config.bootstrap.admin_client.map(|(id, _)| id).as_deref(), Some("admin-cli"));
    assert!(config.bootstrap.demo_client_secret.is_some());
    let e = load_with(|v| {
        v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
    })
    .unwrap_err();
    assert_eq!(e.variable, "ADMIN_CLIENT_SECRET");
    let e = load_with(|v| {
        v.insert("ADMIN_CLIENT_SECRET", long.into());
    })
    .unwrap_err();
    assert_eq!(e.variable, "ADMIN_CLIENT_ID");
    let e = load_with(|v| {
        v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
        v.insert("ADMIN_CLIENT_SECRET", "short".into());
    })
    .unwrap_err();
    assert_eq!(e.variable, "ADMIN_CLIENT_SECRET");
    assert!(!e.to_string().contains("short"));
}

#[test]
fn admin_user_needs_both_values_a_real_email_and_a_policy_password() {
    let ok = load_with(|v| {
        v.insert("ADMIN_EMAIL", "admin@example.com".into());
        v.insert("ADMIN_PASSWORD", "long-enough-password".into());
    })
    .unwrap();
    assert_eq!(ok.bootstrap.admin_user.map(|(e, _)| e).as_deref(), Some("admin@example.com"));
    for (email, password, variable) in [
        (Some("admin@example.com"), None, "ADMIN_PASSWORD"),
        (None, Some("long-enough-password"), "ADMIN_EMAIL"),
        (Some("admin"), Some("long-enough-password"), "ADMIN_EMAIL"),
        (Some("admin@example.com"), Some("short"), "ADMIN_PASSWORD"),
    ] {
        let e = load_with(|v| {
            if let Some(email) = email {
                v.insert("ADMIN_EMAIL", email.into());
            }
            if let Some(password) = password {
                v.insert("ADMIN_PASSWORD", password.into());
            }
        })
        .unwrap_err();
        assert_eq!(e.variable, variable);
        assert!(!e.to_string().contains("long-enough-password"));
    }
}

#[test]
fn lists_split_and_trim() {
    let config = load_with(|v| {
        v.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", " trusted-app-1, trusted-app-2 ,".into());
        v.insert("DEFAULT_SCOPES", "openid  profile email".into());
    })
    .unwrap();
    assert_eq!(config.security.password_grant_allowed_clients, vec!["trusted-app-1", "trusted-app-2"]);
    assert_eq!(config.default_scopes, vec!["openid", "profile", "email"]);
}

#[test]
fn every_secret_looking_variable_is_hidden_from_the_settings_api() {
    let secret_like =
        |n: &str| ["SECRET", "PASSWORD", "PRIVATE_KEY", "API_KEY", "TOKEN"].iter().any(|s| n.ends_with(s));
    for name in super::VARIABLES.iter().chain(super::OPTIONAL_VARIABLES) {
        if (secret_like(name) && *name != "SECRET_KEY") || *name == "OIDC_PROVIDERS" {
            assert!(super::SECRETS.contains(name), "{name} must be in SECRETS");
        }
    }
    assert!(super::SECRETS.contains(&"SECRET_KEY"));
}

#[test]
fn settings_have_sane_bounds_and_audit_retention_a_floor() {
    for (name, bad) in [
        ("AUDIT_LOG_RETENTION_DAYS", "1"),
        ("AUDIT_LOG_RETENTION_DAYS", "29"),
        ("ACCESS_TOKEN_TTL", "31536000"),
        ("CODE_TTL", "86400"),
        ("SESSION_DURATION_DAYS", "3650"),
        ("LOCKOUT_THRESHOLD", "1000000"),
        ("RATE_LIMIT_LOGIN_MAX", "4000000000"),
        ("REAUTHENTICATION_MAX_AGE", "0"),
    ] {
        let e = load_with(|v| {
            v.insert(name, bad.into());
        })
        .unwrap_err();
        assert_eq!(e.variable, name, "{name}={bad}");
        assert!(e.to_string().contains("from"), "the range is named: {e}");
    }
    let floor = load_with(|v| {
        v.insert("AUDIT_LOG_RETENTION_DAYS", "30".into());
    })
    .unwrap();
    assert_eq!(floor.retention.audit_days, 30);
}

#[test]
fn an_old_name_is_read_in_its_new_ones_place_and_a_run_time_change_wins_over_both() {
    let mut vars = dev_vars();
    vars.insert("CRYSTAL_LOG_LEVEL", "DEBUG".into());
    vars.insert("PASSWORD_RESET_RATE_LIMIT", "7".into());
    let source = |name: &'static str| vars.get(name).cloned();
    let config = Config::load(&Overlay { vars: &source, overrides: &[] }).unwrap();
    assert_eq!(config.log_level, log::LevelFilter::Debug, "over LOG_LEVEL=info of wrangler.toml");
    assert_eq!(config.rate_limits.password_reset.0, 7);
    let changed = [("LOG_LEVEL".to_owned(), "warn".to_owned())];
    let config = Config::load(&Overlay { vars: &source, overrides: &changed }).unwrap();
    assert_eq!(config.log_level, log::LevelFilter::Warn);
    assert!(config.unread.is_empty(), "an old name is read, not reported");
}

#[test]
fn log_level_takes_the_crystal_servers_levels_and_refuses_others() {
    for (value, level) in [
        ("error", log::LevelFilter::Error),
        ("WARN", log::LevelFilter::Warn),
        ("notice", log::LevelFilter::Info),
        ("trace", log::LevelFilter::Debug),
        ("none", log::LevelFilter::Off),
    ] {
        assert_eq!(
            load_with(|v| {
                v.insert("LOG_LEVEL", value.into());
            })
            .unwrap()
            .log_level,
            level,
            "{value}"
        );
    }
    let err = load_with(|v| {
        v.insert("LOG_LEVEL", "loud".into());
    })
    .unwrap_err();
    assert_eq!(err.variable, "LOG_LEVEL");
}
