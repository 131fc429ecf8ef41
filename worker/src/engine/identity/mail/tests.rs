use super::*;
use crate::engine::platform::config::Config;
use crate::engine::test_support::dev_vars;

fn config() -> Config {
    let vars = dev_vars();
    Config::load(&|name: &'static str| vars.get(name).cloned()).unwrap()
}

fn rendered(config: &Config, to: &Recipient<'_>, content: &MailContent) -> (String, String, String) {
    render::render(config, to, content, &built_in(content, to.language(config)))
}

const ADA: Recipient<'static> = Recipient { email: "ada@example.com", name: Some("Ada"), locale: None };

#[test]
fn the_reset_mail_reads_as_documented() {
    let content = MailContent::PasswordReset {
        url: "https://auth.example.com/reset-password?token=abc123".into(),
        valid_minutes: 60,
    };
    let (subject, text, html) = rendered(&config(), &ADA, &content);
    assert_eq!(subject, "Reset your password");
    assert!(text.contains("Hi Ada,"), "{text}");
    assert!(text.contains(
        "Click the link below to reset your password:\nhttps://auth.example.com/reset-password?token=abc123"
    ));
    assert!(text.contains("This link expires in 60 minutes."));
    assert!(text.contains("If you didn't request this, ignore this email."));
    assert!(html.contains(r#"href="https://auth.example.com/reset-password?token=abc123""#));
    assert!(html.contains("background-color:#7c3aed"), "branded with PRIMARY_COLOR");
    assert!(html.contains(r#"<html lang="en">"#));
}

#[test]
fn values_in_html_mail_are_escaped() {
    let content = MailContent::NewLogin {
        when: "2026-12-07 10:00 UTC".into(),
        ip_address: None,
        device: Some("<script>alert('x')</script>".into()),
        location: None,
        account_url: "https://id.example.com/account?a=1&b=2".into(),
    };
    let (_, text, html) = rendered(&config(), &ADA, &content);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;"), "{html}");
    assert!(html.contains("account?a=1&amp;b=2"));
    assert!(text.contains("Browser: <script>"), "plain text stays as it is");
    assert!(text.contains("IP address: unknown"));
}

#[test]
fn a_mail_is_in_the_recipients_language_else_default_locale() {
    let content = MailContent::Verification { url: "https://id.example/verify-email?token=t".into(), valid_hours: 1 };
    let french = Recipient { locale: Some("fr-CA"), ..ADA };
    let (subject, text, html) = rendered(&config(), &french, &content);
    assert_eq!(subject, "Vérifiez votre adresse e-mail");
    assert!(text.contains("Bonjour Ada,") && text.contains("Ce lien expire dans 1 heure."), "{text}");
    assert!(html.contains(r#"<html lang="fr">"#) && html.contains("Vérifier l’adresse"));
    let mut spanish_default = config();
    spanish_default.branding.default_locale = "es".into();
    let (subject, ..) = rendered(&spanish_default, &Recipient { locale: Some("de"), ..ADA }, &content);
    assert_eq!(subject, "Verifica tu dirección de correo", "German is not spoken here: DEFAULT_LOCALE");
}

#[test]
fn the_company_and_logo_brand_the_layout() {
    let mut config = config();
    config.branding.company_name = Some("Acme & Co".into());
    config.branding.company_address = Some("1 Main St, Springfield".into());
    config.branding.logo_url = Some("/images/logo.png".into());
    let content = MailContent::Test { when: "2026-12-07 10:00 UTC".into(), sent_by: "root@example.com".into() };
    let (_, text, html) = rendered(&config, &Recipient::address("ops@example.com"), &content);
    assert!(html.contains(&format!(r#"<img src="{}/images/logo.png""#, config.issuer)), "an absolute logo URL");
    assert!(html.contains("© Acme &amp; Co. All rights reserved.") && html.contains("1 Main St, Springfield"));
    assert!(
        text.ends_with(
            "--\nThis email was sent by Authority.\n© Acme & Co. All rights reserved.\n1 Main St, Springfield\n"
        ),
        "{text}"
    );
    assert_eq!(
        render::values(&config, shared::i18n::Locale::En, &ADA, &content).get_attr("year").unwrap().to_string(),
        "2026"
    );
}

#[test]
fn an_edited_template_is_used_and_a_broken_one_falls_back_to_the_built_in() {
    let content = MailContent::PasswordReset { url: "https://id.example/r?token=t".into(), valid_minutes: 30 };
    let edited = crate::engine::identity::mail_templates::Sources {
        subject: "{{ app_name }}: new password for {{ user.email }}".into(),
        text: "Go to {{ reset_url }} within {{ expiry_minutes }} minutes.".into(),
        html: "<p>Go {{ button(url, 'here') }}</p>".into(),
    };
    let (subject, text, _) = render::render(&config(), &ADA, &content, &edited);
    assert_eq!(subject, "Authority: new password for ada@example.com");
    assert!(text.starts_with("Go to https://id.example/r?token=t within 30 minutes."));
    let broken = crate::engine::identity::mail_templates::Sources { subject: "{% if %}".into(), ..edited };
    let (subject, ..) = render::render(&config(), &ADA, &content, &broken);
    assert_eq!(subject, "Reset your password");
}

#[test]
fn every_template_has_its_name() {
    let names: Vec<&str> = [
        MailContent::Welcome { account_url: String::new() },
        MailContent::Verification { url: String::new(), valid_hours: 24 },
        MailContent::PasswordReset { url: String::new(), valid_minutes: 60 },
        MailContent::NewLogin {
            when: String::new(),
            ip_address: None,
            device: None,
            location: None,
            account_url: String::new(),
        },
        MailContent::MfaEnabled { when: String::new(), account_url: String::new() },
        MailContent::Test { when: String::new(), sent_by: String::new() },
        MailContent::SignInMethodChanged {
            change: MethodChange::PasswordChanged,
            when: String::new(),
            ip_address: None,
            account_url: String::new(),
        },
    ]
    .iter()
    .map(MailContent::template)
    .collect();
    assert_eq!(
        names,
        ["welcome", "verification", "password-reset", "new-login", "mfa-enabled", "test", "sign-in-method-changed"]
    );
    for name in names {
        assert!(shared::i18n::mail::NAMES.contains(&name));
    }
}

#[test]
fn the_change_of_a_sign_in_method_is_said_in_the_recipients_language() {
    let content = MailContent::SignInMethodChanged {
        change: MethodChange::RemovedAfterReset { passkeys: 1, providers: vec!["GitHub".into()] },
        when: "2026-12-07 10:00 UTC".into(),
        ip_address: None,
        account_url: "https://id.example/account".into(),
    };
    let (_, text, _) = rendered(&config(), &Recipient { locale: Some("es"), ..ADA }, &content);
    assert!(
        text.contains(
            "se eliminaron estas formas de iniciar sesión: una llave de acceso, el inicio de sesión con GitHub."
        ),
        "{text}"
    );
    let (_, text, _) = rendered(&config(), &ADA, &content);
    assert!(text.contains("these ways to sign in were removed: a passkey, sign-in with GitHub."), "{text}");
}
