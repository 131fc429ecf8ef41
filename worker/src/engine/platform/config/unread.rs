//! Settings of the server this one re-builds that this server does not read
//! (docs/configuration.md, "Settings this server does not read"), each
//! with what takes its place here, or why nothing does. One set in a deployment changes
//! nothing, so it is reported loudly: `/health`, the console's settings screen
//! (`GET /api/settings`) and a log line whenever an isolate loads its configuration.

pub use shared::api::UnreadSetting;

use super::{OLD_NAMES, OPTIONAL_VARIABLES, SECRETS, VARIABLES};

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

/// Of the variables `names` the deployment sets, those no list knows: neither read here
/// ([`VARIABLES`], [`OPTIONAL_VARIABLES`], [`SECRETS`]), nor an old name read in a new
/// one's place ([`OLD_NAMES`]), nor one of [`UNREAD`] (reported with what replaces it). A
/// typo is the likely cause, so each comes with the nearest known name when one is close.
pub fn unknown(names: &[String]) -> Vec<UnreadSetting> {
    let known = || {
        VARIABLES
            .iter()
            .chain(OPTIONAL_VARIABLES)
            .chain(SECRETS)
            .chain(UNREAD.iter().map(|(n, _)| n))
            .copied()
            .chain(OLD_NAMES.iter().map(|(old, _)| *old))
    };
    let mut unknown: Vec<UnreadSetting> = names
        .iter()
        .filter(|name| !known().any(|k| k == name.as_str()))
        .map(|name| {
            let nearest = known()
                .filter(|k| !UNREAD.iter().any(|(n, _)| n == k))
                .map(|k| (strsim::levenshtein(name, k), k))
                .min();
            // Within a third of the name's length: a typo, not another program's variable.
            let instead = match nearest {
                Some((distance, known)) if distance * 3 <= name.len() => {
                    format!("not a setting of this server; did you mean {known}?")
                }
                _ => "not a setting of this server (docs/configuration.md lists them)".to_owned(),
            };
            UnreadSetting { name: name.clone(), instead }
        })
        .collect();
    unknown.sort_by(|a, b| a.name.cmp(&b.name));
    unknown.dedup();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn an_unknown_name_is_reported_with_the_nearest_known_one_when_it_is_a_likely_typo() {
        let names = ["ACCES_TOKEN_TTL", "ISSUER", "CRYSTAL_LOG_LEVEL", "BASE_URL", "MY_OTHER_APP_FLAG", "LOG_LEVL"]
            .map(String::from);
        let found = unknown(&names);
        assert_eq!(
            found,
            [
                UnreadSetting {
                    name: "ACCES_TOKEN_TTL".into(),
                    instead: "not a setting of this server; did you mean ACCESS_TOKEN_TTL?".into()
                },
                UnreadSetting {
                    name: "LOG_LEVL".into(),
                    instead: "not a setting of this server; did you mean LOG_LEVEL?".into()
                },
                UnreadSetting {
                    name: "MY_OTHER_APP_FLAG".into(),
                    instead: "not a setting of this server (docs/configuration.md lists them)".into()
                },
            ],
            "known, old and unread names are not unknown"
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

    #[test]
    fn docs_configuration_lists_every_old_name() {
        let docs = include_str!("../../../../../docs/configuration.md");
        for (old, new) in crate::engine::platform::config::OLD_NAMES {
            assert!(docs.contains(&format!("| `{old}` | `{new}` |")), "docs/configuration.md lacks {old}");
        }
    }
}
