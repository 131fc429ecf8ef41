//! The admin API on protected resources (docs/api.md, "Resources"): list, create,
//! change, delete. The identifier is fixed once made (tokens carry it as `aud`, clients'
//! lists name it); a resource a client's list names is not deleted (the list would come
//! to mean "any resource" or another one). Every change is audited in the batch that
//! makes it, and takes effect at once: token requests read the table, never a copy.

#[cfg(test)]
mod tests;

use serde_json::{json, Value};
use shared::account::Page;
use shared::codes;
use shared::resources::{resource_problems, NewResource, Resource, ResourcePatch};

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, SqlRunner};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::resources::{self as table, ResourceFields, ResourceRow};
use crate::engine::tables::{audit_log, scopes};

/// Everything one admin request on resources needs.
pub struct ResourceAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

request_context_view!(ResourceAdmin);

fn not_found() -> ApiError {
    ApiError::not_found(codes::NOT_FOUND, "no resource with this id")
}

fn identifier_taken(identifier: &str) -> ApiError {
    ApiError::conflict(codes::RESOURCE_EXISTS, format!("a resource with identifier `{identifier}` exists"))
}

impl<P: Platform> ResourceAdmin<'_, P> {
    fn event(&self, event: &'static str, id: &str, metadata: Value) -> Result<AuditEvent, InternalError> {
        let (actor_type, actor_id) = self.admin.actor();
        Ok(AuditEvent::new(event, self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("resource", id)
            .metadata(metadata))
    }

    async fn row(&self, id: &str) -> Result<ResourceRow, ApiError> {
        first_row::<ResourceRow>(self.store.select(table::by_id(id)).await?)?.ok_or_else(not_found)
    }

    /// The rules of `shared::resources`, and every scope named must be one the server has.
    async fn check(
        &self,
        identifier: &str,
        name: &str,
        scope_names: &[String],
        ttl: Option<u32>,
        alg: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut problems = resource_problems(identifier, name, scope_names, ttl, alg);
        if problems.is_empty() && !scope_names.is_empty() {
            #[derive(serde::Deserialize)]
            struct Named {
                name: String,
            }
            let rows = self.store.select(scopes::descriptions()).await?;
            let known: Vec<String> = rows
                .into_iter()
                .map(|r| crate::engine::platform::json::row::<Named>(r, "scope").map(|n| n.name))
                .collect::<Result<_, _>>()?;
            for unknown in scope_names.iter().filter(|s| !known.contains(s)) {
                problems.push(shared::api::FieldError {
                    field: "scopes".into(),
                    message: format!("`{unknown}` is not a scope of this server (create it under Scopes first)"),
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(problems))
        }
    }

    /// `GET /api/resources`: by name; the page and the total in one round trip.
    pub async fn list(&self, limit: u32, offset: u32) -> Result<Page<Resource>, ApiError> {
        let mut results = self.store.query_batch(&table::page(limit, offset)).await?.into_iter();
        let (rows, totals) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
        let data = rows
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<ResourceRow>(r, "resource").and_then(ResourceRow::view))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }

    pub async fn get(&self, id: &str) -> Result<Resource, ApiError> {
        Ok(self.row(id).await?.view()?)
    }

    /// `POST /api/resources`: audited `resource.created`.
    pub async fn create(&self, new: &NewResource) -> Result<Resource, ApiError> {
        let (identifier, name) = (new.identifier.trim(), new.name.trim());
        let alg = new.signing_alg.as_deref().map(str::trim).filter(|a| !a.is_empty());
        self.check(identifier, name, &new.scopes, new.access_token_ttl, alg).await?;
        let id = new_uuid(self.rng)?;
        let client_id = new.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let fields = ResourceFields {
            identifier,
            name,
            scopes: &new.scopes,
            access_token_ttl: new.access_token_ttl,
            signing_alg: alg,
            client_id,
        };
        let event = self.event("resource.created", &id, json!({ "identifier": identifier, "scopes": new.scopes }))?;
        let audit = audit_log::insert_if_resource(&event, &id, true);
        let changed = self.store.batch(&[table::insert(&id, &fields, self.now), audit]).await?;
        if changed.first().copied() != Some(1) {
            return Err(identifier_taken(identifier));
        }
        self.get(&id).await
    }

    /// `PATCH /api/resources/{id}`: name, scopes, lifetime, algorithm (`null` for the
    /// server's); audited `resource.updated` with the fields changed.
    pub async fn update(&self, id: &str, patch: &ResourcePatch) -> Result<Resource, ApiError> {
        let current = self.row(id).await?.view()?;
        let name = patch.name.as_deref().map(str::trim).unwrap_or(&current.name).to_owned();
        let scope_names = patch.scopes.clone().unwrap_or_else(|| current.scopes.clone());
        let ttl = patch.access_token_ttl.unwrap_or(current.access_token_ttl);
        let alg = match &patch.signing_alg {
            Some(value) => value.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned),
            None => current.signing_alg.clone(),
        };
        let client_id = match &patch.client_id {
            Some(value) => value.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned),
            None => current.client_id.clone(),
        };
        self.check(&current.identifier, &name, &scope_names, ttl, alg.as_deref()).await?;
        let fields: Vec<&str> = [
            ("name", patch.name.is_some()),
            ("scopes", patch.scopes.is_some()),
            ("access_token_ttl", patch.access_token_ttl.is_some()),
            ("signing_alg", patch.signing_alg.is_some()),
            ("client_id", patch.client_id.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect();
        let metadata = json!({ "fields": fields, "identifier": current.identifier });
        let row = ResourceFields {
            identifier: &current.identifier,
            name: &name,
            scopes: &scope_names,
            access_token_ttl: ttl,
            signing_alg: alg.as_deref(),
            client_id: client_id.as_deref(),
        };
        let statements = [table::update(id, &row, self.now), self.event("resource.updated", id, metadata)?.statement()];
        if self.store.batch(&statements).await?.first().copied() != Some(1) {
            return Err(not_found());
        }
        self.get(id).await
    }

    /// `DELETE /api/resources/{id}`: not while a client's list names it. Tokens already
    /// issued for it live until they expire; grants naming it can no longer be redeemed
    /// or refreshed (`invalid_target`). Audited `resource.deleted`.
    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        let row = self.row(id).await?.view()?;
        if row.clients > 0 {
            return Err(ApiError::conflict(
                codes::RESOURCE_IN_USE,
                format!(
                    "{} client(s) are limited to a list naming `{}`; take it out of their lists first",
                    row.clients, row.identifier
                ),
            ));
        }
        let metadata = json!({ "identifier": row.identifier, "name": row.name });
        let event = self.event("resource.deleted", id, metadata)?;
        let statements = [table::delete(id), audit_log::insert_if_resource(&event, id, false)];
        if self.store.batch(&statements).await?.first().copied() != Some(1) {
            // Deleted meanwhile, or a client's list came to name it.
            return Err(ApiError::conflict(codes::RESOURCE_IN_USE, "the resource changed meanwhile; look again"));
        }
        Ok(())
    }
}
