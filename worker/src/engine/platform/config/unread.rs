//! Settings of the server this one re-builds that this server does not read
//! (docs/configuration.md, "Settings this server does not read"), each
//! with what takes its place here, or why nothing does. One set in a deployment changes
//! nothing, so it is reported loudly: `/health`, the console's settings screen
//! (`GET /api/settings`) and a log line whenever an isolate loads its configuration.

pub use shared::api::UnreadSetting;

/// `(name, what to use instead)`.
pub const UNREAD: &[(&str, &str)] = &[
    ("AUDIT_LOG_CLEANUP_SCHEDULE", "the hourly Cron Trigger ([triggers] in wrangler.toml) runs the cleanup"),
    ("AUDIT_LOG_FILE", "Workers have no files: GET /api/audit-logs, its CSV export, or Logpush and wrangler tail"),
    ("BASE_URL", "ISSUER"),
    ("HOST", "[dev] ip in wrangler.toml locally; Cloudflare routes in production"),
    ("PORT", "[dev] port in wrangler.toml locally; Cloudflare routes in production"),
    ("COMMON_PASSWORD_LIST", "CHECK_COMMON_PASSWORDS (the list is bundled in the worker)"),
    ("TEMPLATES_PATH", "Workers have no files: the console's Mail templates screen (PUT /api/mail-templates/{name}/{locale}) keeps edited templates in D1"),
    ("CRYSTAL_ENV", "wrangler environments ([env.*] in wrangler.toml)"),
    ("CRYSTAL_LOG_LEVEL", "not read yet: the worker logs errors and warnings; wrangler tail shows them"),
    ("CRYSTAL_WORKERS", "Workers scale by themselves"),
    ("DATABASE_URL", "the D1 binding DB in wrangler.toml"),
    ("DB_PASSWORD", "the D1 binding DB in wrangler.toml"),
    ("POSTGRES_DB", "the D1 binding DB in wrangler.toml"),
    ("POSTGRES_USER", "the D1 binding DB in wrangler.toml"),
    ("POSTGRES_PASSWORD", "the D1 binding DB in wrangler.toml"),
    ("REDIS_URL", "the KV binding KV in wrangler.toml"),
    ("REDIS_PASSWORD", "the KV binding KV in wrangler.toml"),
    ("RATE_LIMIT_STORE", "KV always (the KV binding)"),
    ("EMAIL_PREVIEW", "EMAIL_PROVIDER=log and the console's Outbox"),
    ("NOTIFY_NEW_SESSION", "not read yet: the new-sign-in mail is always sent"),
    ("PASSWORD_RESET_RATE_LIMIT", "RATE_LIMIT_PASSWORD_RESET_MAX"),
    ("PASSWORD_RESET_RATE_WINDOW", "RATE_LIMIT_PASSWORD_RESET_WINDOW"),
    ("SSL_CERT", "Cloudflare terminates TLS"),
    ("SSL_KEY", "Cloudflare terminates TLS"),
];

/// Of [`UNREAD`], those `is_set` says the deployment sets.
pub fn set_but_unread(is_set: impl Fn(&'static str) -> bool) -> Vec<UnreadSetting> {
    UNREAD
        .iter()
        .filter(|(name, _)| is_set(name))
        .map(|&(name, instead)| UnreadSetting { name: name.into(), instead: instead.into() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::config::{OPTIONAL_VARIABLES, VARIABLES};

    #[test]
    fn an_unread_name_is_never_one_this_server_reads() {
        for (name, _) in UNREAD {
            assert!(!VARIABLES.contains(name) && !OPTIONAL_VARIABLES.contains(name), "{name} is read");
        }
    }

    #[test]
    fn only_the_names_set_are_reported_with_their_replacement() {
        let found = set_but_unread(|name| matches!(name, "BASE_URL" | "REDIS_URL"));
        assert_eq!(
            found,
            [
                UnreadSetting { name: "BASE_URL".into(), instead: "ISSUER".into() },
                UnreadSetting { name: "REDIS_URL".into(), instead: "the KV binding KV in wrangler.toml".into() }
            ]
        );
    }
}

#[cfg(test)]
mod documented {
    #[test]
    fn docs_configuration_lists_every_unread_setting() {
        let docs = include_str!("../../../../../docs/configuration.md");
        for (name, instead) in super::UNREAD {
            assert!(docs.contains(&format!("| `{name}` | {instead} |")), "docs/configuration.md lacks {name}");
        }
    }
}
