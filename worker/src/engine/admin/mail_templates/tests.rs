//! Mail templates over the admin API, natively: a super_admin's edit is checked, saved and
//! used by the next message of its kind and language; an unknown placeholder is refused
//! with a sentence; an admin may read and preview but not change; a reset brings the
//! built-in one back; each change audited.

use pollster::block_on;

use super::*;
use crate::engine::identity::mail::MailStore;
use crate::engine::identity::users::Role;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::{alice, context_of, NativePlatform, DEFAULT_CONFIG, NO_KV};
use crate::native::SqliteStore;

const NOW: UnixTime = 1_800_000_000;

fn admin(role: Role) -> AdminPrincipal {
    let mut user = alice();
    user.role = role;
    AdminPrincipal::user(user)
}

fn templates<'a>(
    store: &'a SqliteStore,
    admin: &'a AdminPrincipal,
    meta: &'a RequestMeta,
) -> MailTemplateAdmin<'a, NativePlatform> {
    MailTemplateAdmin { rc: context_of(&DEFAULT_CONFIG, store, &NO_KV, meta, NOW), admin }
}

fn edit(subject: &str) -> MailTemplateEdit {
    MailTemplateEdit {
        subject: subject.into(),
        text: "Hola {{ user.name }}: {{ url }} ({{ expires_in }})".into(),
        html: "<p>Hola {{ user.name }}</p>{{ button(url, 'Restablecer') }}".into(),
    }
}

#[test]
fn every_template_in_every_language_is_listed_built_in() {
    let (store, meta, root) = (SqliteStore::open_in_memory().unwrap(), RequestMeta::default(), admin(Role::Admin));
    let all = block_on(templates(&store, &root, &meta).list()).unwrap();
    assert_eq!(all.len(), NAMES.len() * Locale::ALL.len());
    assert!(all.iter().all(|t| !t.customized));
    let reset_fr = all.iter().find(|t| t.name == "password-reset" && t.locale == "fr").unwrap();
    assert_eq!(reset_fr.subject, "Réinitialisez votre mot de passe");
    assert!(reset_fr.placeholders.contains(&"reset_url".to_owned()));
    assert!(reset_fr.placeholders.contains(&"button(url, label)".to_owned()));
}

#[test]
fn a_saved_template_is_what_the_next_mail_of_its_kind_and_language_says_until_reset() {
    let (store, meta, root) = (SqliteStore::open_in_memory().unwrap(), RequestMeta::default(), admin(Role::SuperAdmin));
    let admin = templates(&store, &root, &meta);
    let saved = block_on(admin.save("password-reset", "es", edit("Nueva contraseña para {{ app_name }}"))).unwrap();
    assert!(saved.customized);
    let content = MailContent::PasswordReset { url: "https://id.example/r?token=T".into(), valid_minutes: 30 };
    let spanish = Recipient { email: "ana@example.com", name: Some("Ana"), locale: Some("es") };
    block_on(mail::send(&admin.rc, &spanish, &content)).unwrap();
    let english = Recipient { locale: Some("en"), ..spanish };
    block_on(mail::send(&admin.rc, &english, &content)).unwrap();
    let (sent, _) = block_on(store.outbox(10, 0)).unwrap();
    let subjects: Vec<&str> = sent.iter().map(|m| m.subject.as_str()).collect();
    assert!(subjects.contains(&"Nueva contraseña para Authority"), "{subjects:?}");
    assert!(subjects.contains(&"Reset your password"), "another language keeps its built-in template");
    let mine = sent.iter().find(|m| m.subject.starts_with("Nueva")).unwrap();
    assert!(mine.text.starts_with("Hola Ana: https://id.example/r?token=T (30 minutos)"), "{}", mine.text);

    let back = block_on(admin.reset("password-reset", "es")).unwrap();
    assert!(!back.customized);
    assert_eq!(back.subject, "Restablece tu contraseña");
    let events: Vec<String> =
        store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert!(events.contains(&"mail_template.updated".into()) && events.contains(&"mail_template.reset".into()));
}

#[test]
fn an_unknown_placeholder_or_template_is_refused_and_changes_nothing() {
    let (store, meta, root) = (SqliteStore::open_in_memory().unwrap(), RequestMeta::default(), admin(Role::SuperAdmin));
    let admin = templates(&store, &root, &meta);
    let e = block_on(admin.save("password-reset", "fr", edit("{{ user.nmae }}"))).unwrap_err();
    assert_eq!((e.status(), e.code()), (400, "invalid_template"));
    assert!(e.description().unwrap_or_default().contains("{{ user.nmae }}"), "{:?}", e.description());
    assert_eq!(block_on(admin.save("goodbye", "fr", edit("x"))).unwrap_err().status(), 404);
    assert_eq!(block_on(admin.save("welcome", "de", edit("x"))).unwrap_err().status(), 404);
    assert!(block_on(admin.list()).unwrap().iter().all(|t| !t.customized));
}

#[test]
fn an_admin_reads_and_previews_but_only_a_super_admin_changes() {
    let (store, meta, plain) = (SqliteStore::open_in_memory().unwrap(), RequestMeta::default(), admin(Role::Admin));
    let admin = templates(&store, &plain, &meta);
    assert_eq!(block_on(admin.save("welcome", "en", edit("x"))).unwrap_err().status(), 403);
    assert_eq!(block_on(admin.reset("welcome", "en")).unwrap_err().status(), 403);
    let preview = block_on(admin.preview("password-reset", "es", edit("Para {{ user.email }}"))).unwrap();
    assert_eq!(preview.subject, "Para ada@example.com");
    assert!(preview.html.contains(r#"<html lang="es">"#) && preview.html.contains("Restablecer"));
    assert!(preview.text.contains("reset-password?token=SAMPLE"));
}
