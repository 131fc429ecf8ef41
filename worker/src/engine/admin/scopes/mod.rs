//! The admin API on scopes (docs/api.md, "Admin and account API"): list, create,
//! change, delete. System scopes (`shared::scopes::SYSTEM_SCOPES`) keep their names and
//! claims and are never deleted; a scope clients may request is deleted only with
//! `force`, which takes it out of their lists in the same transaction. A rename follows
//! into every client's list, so no client is left holding a name the server no longer
//! knows. Every change is audited in the batch that makes it.
//!
//! New scopes take effect at once: `/authorize`, client registration, `client_credentials`
//! and discovery read the `scopes` table and the clients' lists, never a copy.

#[cfg(test)]
mod tests;

use serde_json::{json, Value};
use shared::account::Page;
use shared::api::FieldError;
use shared::codes;
use shared::scopes::{is_system, requires_problems, scope_problems, NewScope, Scope, ScopePatch};

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, whole, SqlRunner};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::clients;
use crate::engine::tables::scopes::{self as table, ScopeFields, ScopeRow};

/// Everything one admin request on scopes needs.
pub struct ScopeAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

request_context_view!(ScopeAdmin);

fn not_found() -> ApiError {
    ApiError::not_found(codes::NOT_FOUND, "no scope with this id")
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(codes::SCOPE_EXISTS, format!("a scope named `{name}` exists"))
}

fn check(name: &str, description: &str, claims: &[String], system: bool) -> Result<(), ApiError> {
    let problems = scope_problems(name, description, claims, system);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

fn claims_json(claims: &[String]) -> String {
    Value::from(claims).to_string()
}

impl<P: Platform> ScopeAdmin<'_, P> {
    fn event(&self, event: &'static str, id: &str, metadata: Value) -> Result<AuditEvent, InternalError> {
        let (actor_type, actor_id) = self.admin.actor();
        Ok(AuditEvent::new(event, self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("scope", id)
            .metadata(metadata))
    }

    async fn row(&self, id: &str) -> Result<ScopeRow, ApiError> {
        first_row::<ScopeRow>(self.store.select(table::by_id(id)).await?)?.ok_or_else(not_found)
    }

    /// `requires` as stored: each a scope this server knows, not `name` itself, repeats
    /// dropped; else 422 naming the field.
    async fn checked_requires(&self, name: &str, requires: &[String]) -> Result<String, ApiError> {
        let mut unique: Vec<String> = Vec::new();
        for r in requires.iter().map(|r| r.trim()) {
            if !unique.iter().any(|u| u == r) {
                unique.push(r.to_owned());
            }
        }
        let problems = requires_problems(name, &unique);
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let json = Value::from(unique.clone()).to_string();
        if !unique.is_empty() && count(self.store.select(table::known(json.clone())).await?)? != unique.len() as u64 {
            return Err(ApiError::Validation(vec![FieldError {
                field: "requires".into(),
                message: "every scope it requires must exist here (GET /api/scopes)".into(),
            }]));
        }
        Ok(json)
    }

    async fn name_taken(&self, name: &str, id: &str) -> Result<bool, ApiError> {
        Ok(count(self.store.select(table::name_taken(name, id)).await?)? > 0)
    }

    /// `GET /api/scopes`: system scopes first, then by name; the page and the total in one
    /// round trip.
    pub async fn list(&self, limit: u32, offset: u32) -> Result<Page<Scope>, ApiError> {
        let mut results = self.store.query_batch(&table::page(limit, offset)).await?.into_iter();
        let (rows, totals) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
        let data = rows
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<ScopeRow>(r, "scope").and_then(ScopeRow::view))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }

    pub async fn get(&self, id: &str) -> Result<Scope, ApiError> {
        Ok(self.row(id).await?.view()?)
    }

    /// `POST /api/scopes`: a new scope, audited `scope.created`. A system scope's name is
    /// taken by definition.
    pub async fn create(&self, new: &NewScope) -> Result<Scope, ApiError> {
        let (name, description) = (new.name.trim(), new.description.trim());
        check(name, description, &new.claims, false)?;
        let requires_json = self.checked_requires(name, &new.requires).await?;
        if is_system(name) || self.name_taken(name, "").await? {
            return Err(name_taken(name));
        }
        let id = new_uuid(self.rng)?;
        let fields = ScopeFields {
            name,
            description,
            default: new.default,
            claims_json: claims_json(&new.claims),
            requires_json,
        };
        let metadata = json!({ "name": name, "default": new.default, "requires": new.requires });
        let audit = self.event("scope.created", &id, metadata)?.statement();
        let changed = self.store.batch(&[table::insert(&id, &fields, self.now), audit]).await?;
        if changed.first().copied() != Some(1) {
            return Err(name_taken(name));
        }
        self.get(&id).await
    }

    /// `PATCH /api/scopes/{id}`: name (not a system scope's), description, default flag,
    /// claims (not a system scope's). A rename follows into the clients' lists. Audited
    /// `scope.updated` with the fields changed.
    pub async fn update(&self, id: &str, patch: &ScopePatch) -> Result<Scope, ApiError> {
        let row = self.row(id).await?;
        let system = row.is_system();
        let name = patch.name.as_deref().map(str::trim).unwrap_or(&row.name).to_owned();
        let renamed = name != row.name;
        if system && renamed {
            return Err(ApiError::conflict(
                codes::SYSTEM_SCOPE,
                format!("`{}` is a system scope and keeps its name", row.name),
            ));
        }
        let description = patch.description.as_deref().map(str::trim).unwrap_or(&row.description).to_owned();
        let stored_claims: Vec<String> =
            serde_json::from_str(&row.claims).map_err(|e| InternalError::new(format!("scope claims: {e}")))?;
        let claims = patch.claims.clone().unwrap_or(stored_claims);
        check(&name, &description, if system { patch.claims.as_deref().unwrap_or_default() } else { &claims }, system)?;
        if renamed && (is_system(&name) || self.name_taken(&name, id).await?) {
            return Err(name_taken(&name));
        }
        let requires_json = match &patch.requires {
            Some(requires) => self.checked_requires(&name, requires).await?,
            None => row.requires.clone().unwrap_or_else(|| "[]".into()),
        };
        let default = patch.default.unwrap_or(row.is_default != 0.0);
        let fields: Vec<&str> = [
            ("name", renamed),
            ("description", patch.description.is_some()),
            ("default", patch.default.is_some()),
            ("claims", patch.claims.is_some()),
            ("requires", patch.requires.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect();
        let metadata = json!({ "fields": fields, "name": name, "previous_name": row.name });
        let fields = ScopeFields {
            name: &name,
            description: &description,
            default,
            claims_json: claims_json(if system { &[] } else { &claims }),
            requires_json,
        };
        let mut statements = vec![table::update(id, &fields, self.now)];
        if renamed {
            statements.push(clients::rename_scope(&row.name, &name, self.now));
            statements.push(table::rename_required(&row.name, &name, self.now));
        }
        statements.push(self.event("scope.updated", id, metadata)?.statement());
        let changed = self.store.batch(&statements).await?;
        if changed.first().copied() != Some(1) {
            return Err(name_taken(&name));
        }
        self.get(id).await
    }

    /// `DELETE /api/scopes/{id}`: never a system scope; one clients may request only with
    /// `force`, which takes it out of their lists. Tokens already issued keep it until
    /// they expire. Audited `scope.deleted` with the clients it was taken from.
    pub async fn delete(&self, id: &str, force: bool) -> Result<(), ApiError> {
        let row = self.row(id).await?;
        if row.is_system() {
            return Err(ApiError::conflict(
                codes::SYSTEM_SCOPE,
                format!("`{}` is a system scope and cannot be deleted", row.name),
            ));
        }
        let clients = whole(row.clients);
        if clients > 0 && !force {
            return Err(ApiError::conflict(
                codes::SCOPE_IN_USE,
                format!(
                    "{clients} client(s) may request `{}`; delete with ?force=true to remove it from them",
                    row.name
                ),
            ));
        }
        let metadata = json!({ "name": row.name, "removed_from_clients": clients });
        let statements = [
            clients::remove_scope(&row.name, self.now),
            table::delete(id),
            table::remove_required(&row.name, self.now),
            self.event("scope.deleted", id, metadata)?.statement(),
        ];
        let changed = self.store.batch(&statements).await?;
        if changed.get(1).copied() != Some(1) {
            return Err(not_found());
        }
        Ok(())
    }
}
