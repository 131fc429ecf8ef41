//! The admin API on settings (docs/configuration.md; docs/api.md, "Admin and account API"):
//! `GET /api/settings` shows every setting's effective value (secrets only as set) and
//! where it comes from; `PATCH /api/settings` changes the run-time ones
//! ([`RUNTIME_SETTINGS`]), stored in D1's `settings` table (migrations/0012) where they
//! override the vars. A change is checked by loading the whole configuration with it,
//! by the very rules the vars obey, so a value that would break the deployment is a 422
//! naming it and changes nothing. Only a super_admin changes settings (they can weaken
//! lockout and rate limits); the change and its audit entry are one batch.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::json;
use shared::admin::Setting;
use shared::api::FieldError;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::admin::users::roles::Acting;
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::config::ClientRateLimits;
use crate::engine::platform::config::{
    Config, Overlay, Secret, VarSource, OPTIONAL_VARIABLES, RUNTIME_SETTINGS, SECRETS, VARIABLES,
};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{int, SqlRunner};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::clients;
use crate::engine::tables::settings::{self as table, OverrideRow};

/// The stored overrides, as [`Overlay`] takes them: a secret's value opened (it is kept
/// sealed under `SECRET_KEY`, [`Purpose::Setting`]); one that does not open (the key
/// changed) is left out, and the deployment's value applies.
pub fn as_overrides(rows: &[OverrideRow], vars: &impl VarSource) -> Vec<(String, String)> {
    let key = Secret::secret_key_of(vars);
    rows.iter()
        .filter_map(|r| {
            if !SECRETS.contains(&r.name.as_str()) {
                return Some((r.name.clone(), r.value.clone()));
            }
            let opened = sealed::open(key.as_ref()?, Purpose::Setting, r.name.as_bytes(), &r.value).ok()?;
            Some((r.name.clone(), String::from_utf8(opened).ok()?))
        })
        .collect()
}

/// Every override stored (one small read; the edge caches it per isolate).
pub async fn load_overrides(store: &impl SqlRunner) -> Result<Vec<OverrideRow>, InternalError> {
    store.select(table::all()).await?.into_iter().map(|r| crate::engine::platform::json::row(r, "settings")).collect()
}

/// What the edge keeps per isolate beside the vars: every override, and each client's own
/// token rate limit (docs/api.md, "Client rate limits"), in one round trip.
pub async fn load_runtime(store: &impl SqlRunner) -> Result<(Vec<OverrideRow>, ClientRateLimits), InternalError> {
    #[derive(serde::Deserialize)]
    struct Limited {
        client_id: String,
        rate_limits: String,
    }
    let mut results = store.query_batch(&[table::all(), clients::rate_limited()]).await?.into_iter();
    let (rows, limited) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
    let overrides =
        rows.into_iter().map(|r| crate::engine::platform::json::row(r, "settings")).collect::<Result<_, _>>()?;
    let mut limits = Vec::new();
    for row in limited {
        let row: Limited = crate::engine::platform::json::row(row, "clients")?;
        // A value that does not parse limits nothing: the global limit applies.
        if let Ok(shared::clients::ClientRateLimits { token: Some(token) }) = serde_json::from_str(&row.rate_limits) {
            limits.push((row.client_id, token));
        }
    }
    Ok((overrides, limits))
}

/// Everything one admin request on settings needs; `vars` are the deployment's own.
pub struct SettingsAdmin<'a, P: Platform, V: VarSource> {
    pub rc: RequestContext<'a, P>,
    /// The environment's vars (each setting's value when no override is stored).
    pub vars: &'a V,
    pub admin: &'a AdminPrincipal,
}

/// The body field of `PATCH /api/settings` that confirms an `ADMIN_ALLOWED_IPS` leaving
/// the caller's own address out: that address.
pub const CONFIRM_LOCKOUT: &str = "confirm_lockout";

impl<'a, P: Platform, V: VarSource> std::ops::Deref for SettingsAdmin<'a, P, V> {
    type Target = RequestContext<'a, P>;

    fn deref(&self) -> &Self::Target {
        &self.rc
    }
}

impl<P: Platform, V: VarSource> SettingsAdmin<'_, P, V> {
    /// `GET /api/settings`: every variable, in the documented order.
    pub async fn list(&self) -> Result<Vec<Setting>, ApiError> {
        let rows = load_overrides(self.store).await?;
        Ok(VARIABLES
            .iter()
            .chain(OPTIONAL_VARIABLES)
            .map(|&name| {
                let stored = rows.iter().find(|r| r.name == name && RUNTIME_SETTINGS.contains(&name));
                let value = stored.map(|r| r.value.clone()).or_else(|| self.vars.var(name));
                let secret = SECRETS.contains(&name);
                Setting {
                    name: name.to_owned(),
                    source: match (stored, &value) {
                        (Some(_), _) => "database",
                        (None, Some(_)) => "environment",
                        (None, None) => "unset",
                    }
                    .to_owned(),
                    value: if secret { value.map(|_| "set".to_owned()) } else { value },
                    secret,
                    runtime: RUNTIME_SETTINGS.contains(&name),
                    updated_at: stored.map(|r| int(r.updated_at)),
                    updated_by: stored.and_then(|r| r.updated_by.clone()),
                    instead: None,
                }
            })
            .chain(self.config.unread.iter().map(|u| Setting {
                name: u.name.clone(),
                value: Some("set".into()),
                secret: true,
                source: "unread".into(),
                runtime: false,
                updated_at: None,
                updated_by: None,
                instead: Some(u.instead.clone()),
            }))
            .collect())
    }

    /// `PATCH /api/settings` with `{"NAME": "value" | null}` (null: back to the var).
    /// Returns the new overrides, for the caller's configuration cache.
    pub async fn update(&self, body: &BTreeMap<String, Option<String>>) -> Result<Vec<(String, String)>, ApiError> {
        if Acting::of(self.admin) != Acting::SuperAdmin {
            return Err(ApiError::forbidden(
                shared::codes::SUPER_ADMIN_REQUIRED,
                "only a super_admin changes settings",
            ));
        }
        // `confirm_lockout` is no setting: the caller's address, confirming an
        // ADMIN_ALLOWED_IPS that leaves it out.
        let confirm = body.get(CONFIRM_LOCKOUT).cloned().flatten();
        let changes: BTreeMap<String, Option<String>> = body
            .iter()
            .filter(|(name, _)| name.as_str() != CONFIRM_LOCKOUT)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let changes = &changes;
        let unknown: Vec<FieldError> = changes
            .keys()
            .filter(|name| !RUNTIME_SETTINGS.contains(&name.as_str()))
            .map(|name| FieldError {
                field: name.clone(),
                message: if VARIABLES.contains(&name.as_str()) || OPTIONAL_VARIABLES.contains(&name.as_str()) {
                    format!("{name} is set in the deployment's configuration, not at run time")
                } else {
                    format!("{name} is not a setting")
                },
            })
            .collect();
        if changes.is_empty() {
            return Err(ApiError::invalid("settings", "name at least one setting to change"));
        }
        if !unknown.is_empty() {
            return Err(ApiError::Validation(unknown));
        }
        let rows = load_overrides(self.store).await?;
        let mut overrides = as_overrides(&rows, self.vars);
        for (name, value) in changes {
            overrides.retain(|(n, _)| n != name);
            if let Some(value) = value {
                overrides.push((name.clone(), value.trim().to_owned()));
            }
        }
        // The same rules as the vars: the whole configuration must load with the change.
        let next = Config::load(&Overlay { vars: self.vars, overrides: &overrides }).map_err(|e| {
            let message = format!("{} {}", e.variable, e.problem);
            ApiError::Validation(vec![FieldError { field: e.variable.into(), message }])
        })?;
        // docs/security.md, "The admin API": no super_admin shuts themselves out unawares.
        let caller = self.meta.ip_address.as_deref();
        if changes.contains_key("ADMIN_ALLOWED_IPS") && !crate::engine::admin::auth::address_allowed(&next, caller) {
            let shown = caller.unwrap_or("unknown");
            if confirm.as_deref() != Some(shown) {
                return Err(ApiError::conflict(
                    shared::codes::LOCKOUT_CONFIRMATION_REQUIRED,
                    format!(
                        "ADMIN_ALLOWED_IPS would not include your address {shown}: your next admin call would be \
                         refused. To apply it anyway, send \"{CONFIRM_LOCKOUT}\": \"{shown}\" with it."
                    ),
                ));
            }
        }
        let (actor_type, actor_id) = self.admin.actor();
        let before = |name: &str| {
            rows.iter()
                .find(|r| r.name == name)
                .map(|r| r.value.clone())
                .or_else(|| RUNTIME_SETTINGS.iter().find(|n| **n == name).and_then(|n| self.vars.var(n)))
        };
        // A secret's values never reach the audit log: only whether it was set.
        let shown = |name: &str, value: Option<&str>| match value {
            Some(_) if SECRETS.contains(&name) => Some("set".to_owned()),
            other => other.map(str::to_owned),
        };
        let changed: BTreeMap<&str, serde_json::Value> = changes
            .iter()
            .map(|(name, to)| {
                let from = shown(name, before(name).as_deref());
                (name.as_str(), json!({ "from": from, "to": shown(name, to.as_deref().map(str::trim)) }))
            })
            .collect();
        let mut statements = Vec::new();
        for (name, value) in changes {
            statements.push(match value {
                Some(value) if SECRETS.contains(&name.as_str()) => {
                    let sealed = sealed::seal(
                        &self.config.secret_key,
                        Purpose::Setting,
                        name.as_bytes(),
                        value.trim().as_bytes(),
                        self.rng,
                    )?;
                    table::upsert(name, &sealed, self.now, actor_id)
                }
                Some(value) => table::upsert(name, value.trim(), self.now, actor_id),
                None => table::delete(name),
            });
        }
        let event = AuditEvent::new("settings.updated", self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("settings", "runtime")
            .metadata(json!({ "changed": changed }));
        statements.push(event.statement());
        self.store.batch(&statements).await?;
        Ok(overrides)
    }
}
