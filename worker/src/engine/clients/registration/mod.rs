//! Client registration and management (RFC 7591, RFC 7592 semantics behind an admin
//! token), secret rotation, token revocation per client, and the clients list.
//!
//! Secrets are 256 random bits, shown once, stored as SHA-256. Several may be live at
//! once (zero-downtime rotation: add, deploy, retire); `renew_secret` replaces them all.
//! `CLIENT_SECRET_LIFETIME_DAYS` (0 = never) dates each new secret.

pub mod open;

use serde_json::json;
use shared::account::Page;
use shared::clients::{
    ClientInformation, ClientMetadata, ClientSettings, ClientSummary, MetadataProblem, NewSecret, SecretInfo,
};
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::clients::bootstrap::{is_bootstrap_client, ADMIN_UI_CLIENT_ID};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::crypto::tokens::random_token;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, SqlArg, SqlRunner, Statement, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::client_secrets::{self, SecretRow};
use crate::engine::tables::clients::{self, json_list, ClientRow};
use crate::engine::tables::{client_token_cutoffs, consents, refresh_tokens};

/// Live secrets a client may hold at once: the current one and its successor.
pub const MAX_LIVE_SECRETS: i64 = 2;

/// A stored registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub client_id: String,
    pub settings: ClientSettings,
    pub created_at: UnixTime,
    pub secrets: Vec<SecretInfo>,
    /// First-party (the admin console) or bootstrapped from the environment: only a
    /// super_admin may change it.
    pub protected: bool,
    /// Registered by itself (open registration, `open.rs`).
    pub self_registered: bool,
    /// The SHA-256 of its registration access token (RFC 7592 §3), if it has one.
    pub registration_token_hash: Option<String>,
}

#[derive(serde::Deserialize)]
struct SummaryRow {
    client_id: String,
    client_name: String,
    token_endpoint_auth_method: String,
    grant_types: String,
    created_at: f64,
    secret_expires_at: Option<f64>,
    #[serde(default)]
    self_registered: f64,
}

/// A new secret for a client: the plaintext (shown once) and its row.
struct Minted {
    plaintext: String,
    secret_id: String,
    hash: String,
    expires_at: Option<UnixTime>,
    sealed: Option<String>,
}

/// One admin request on clients: a view of the request's context and the admin making it.
pub struct Registrar<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

crate::engine::platform::request::request_context_view!(Registrar);

fn not_found() -> ApiError {
    ApiError::not_found(codes::NOT_FOUND, "no client with this client_id")
}

/// RFC 7591 §3.2.2: the first problem's code, every problem's sentence.
pub(super) fn rejected(problems: &[MetadataProblem]) -> ApiError {
    let code = if problems.iter().any(|p| p.error == "invalid_redirect_uri") {
        "invalid_redirect_uri"
    } else {
        "invalid_client_metadata"
    };
    let description = problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; ");
    ApiError::bad_request(code, description)
}

impl<P: Platform> Registrar<'_, P> {
    async fn audit(&self, name: &'static str, client_id: &str, metadata: serde_json::Value) -> Result<(), ApiError> {
        let (actor_type, actor_id) = self.admin.actor();
        let event = AuditEvent::new(name, self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("client", client_id)
            .metadata(metadata);
        Ok(self.store.record(&event).await?)
    }

    /// A new secret; for a `client_secret_jwt` client (`for_jwt`) also sealed, since an
    /// HMAC needs the secret itself (docs/api.md, "Client authentication").
    fn mint(&self, for_jwt: bool) -> Result<Minted, InternalError> {
        let plaintext = random_token(self.rng)?;
        let days = self.config.client_secret_lifetime_days;
        let secret_id = new_uuid(self.rng)?;
        let sealed = for_jwt
            .then(|| {
                sealed::seal(
                    &self.config.secret_key,
                    Purpose::ClientSecret,
                    secret_id.as_bytes(),
                    plaintext.as_bytes(),
                    self.rng,
                )
            })
            .transpose()?;
        Ok(Minted {
            hash: hash_token(&plaintext),
            plaintext,
            secret_id,
            expires_at: (days > 0).then(|| self.now + i64::from(days) * 86_400),
            sealed,
        })
    }

    fn secret_args(&self, client_id: &str, m: &Minted) -> Vec<SqlArg> {
        client_secrets::columns(&m.secret_id, client_id, &m.hash, self.now, m.expires_at, m.sealed.as_deref())
    }

    async fn validate(&self, settings: &ClientSettings) -> Result<(), ApiError> {
        let known = self.store.scope_names().await?;
        let problems = settings.problems(Some(&known));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(rejected(&problems))
        }
    }

    /// A stored registration, or `None`.
    pub async fn find(&self, client_id: &str) -> Result<Option<Registration>, InternalError> {
        find(&self.rc, client_id).await
    }

    /// The registration of `client_id`, if this admin may change it: first-party and
    /// bootstrap clients only by a super_admin (an `admin`, or a leaked service-account
    /// secret, could otherwise point the console's redirect URI at itself).
    async fn changeable(&self, client_id: &str) -> Result<Registration, ApiError> {
        let registration = self.find(client_id).await?.ok_or_else(not_found)?;
        if registration.protected && !self.admin.is_super_admin() {
            return Err(ApiError::forbidden(
                codes::PROTECTED_CLIENT,
                "only a super_admin may change a first-party or bootstrap client",
            ));
        }
        Ok(registration)
    }

    fn information(&self, r: Registration, secret: Option<&Minted>) -> ClientInformation {
        information(r, secret.map(|m| (m.plaintext.as_str(), m.expires_at)))
    }

    /// `POST /register` (RFC 7591 §3.1): 201 with the client_id and, for a confidential
    /// client, its secret (shown this once). Audited `client.created`.
    pub async fn register(&self, request: &ClientMetadata) -> Result<ClientInformation, ApiError> {
        let default_scope = self.config.default_scopes.join(" ");
        let settings = ClientSettings::new(request, &default_scope);
        self.validate(&settings).await?;
        let client_id = new_uuid(self.rng)?;
        let for_jwt = settings.token_endpoint_auth_method == "client_secret_jwt";
        let secret = if settings.uses_secret() { Some(self.mint(for_jwt)?) } else { None };
        let mut statements = vec![clients::insert(&client_id, &settings, false, self.now)];
        if let Some(m) = &secret {
            statements.push(client_secrets::insert(self.secret_args(&client_id, m)));
        }
        let changes = self.store.batch(&statements).await?;
        if changes.iter().any(|n| *n != 1) {
            return Err(InternalError::new(format!("client insert changed {changes:?} rows")).into());
        }
        self.audit("client.created", &client_id, json!({ "client_name": settings.client_name })).await?;
        let registration = self.find(&client_id).await?.ok_or_else(|| InternalError::new("client vanished"))?;
        Ok(self.information(registration, secret.as_ref()))
    }

    /// `GET /register/{id}` (RFC 7592 §2.1).
    pub async fn read(&self, client_id: &str) -> Result<ClientInformation, ApiError> {
        let registration = self.find(client_id).await?.ok_or_else(not_found)?;
        Ok(self.information(registration, None))
    }

    /// `PATCH /register/{id}`: present fields replace, then every rule of POST applies.
    /// Audited `client.updated` with the fields changed.
    pub async fn update(&self, client_id: &str, patch: &ClientMetadata) -> Result<ClientInformation, ApiError> {
        let mut registration = self.changeable(client_id).await?;
        let before = registration.settings.clone();
        registration.settings.apply(patch);
        self.validate(&registration.settings).await?;
        if before.is_public() != registration.settings.is_public()
            || before.uses_secret() != registration.settings.uses_secret()
            // A secret kept for client_secret_jwt is also sealed; the others' only hashed.
            || (before.token_endpoint_auth_method == "client_secret_jwt")
                != (registration.settings.token_endpoint_auth_method == "client_secret_jwt")
        {
            return Err(ApiError::bad_request(
                "invalid_client_metadata",
                "token_endpoint_auth_method cannot switch between none, a secret and private_key_jwt; register a new client",
            ));
        }
        if self.store.exec(clients::update(client_id, &registration.settings, self.now)).await? != 1 {
            return Err(not_found());
        }
        // The fields the request named (absent ones are not serialised).
        let changed: Vec<String> = match serde_json::to_value(patch) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let mut details = serde_json::Map::new();
        details.insert("fields".into(), json!(changed));
        // Where codes may be sent is the security-relevant part of a client: say both lists.
        for (field, old, new) in [
            ("redirect_uris", &before.redirect_uris, &registration.settings.redirect_uris),
            (
                "post_logout_redirect_uris",
                &before.post_logout_redirect_uris,
                &registration.settings.post_logout_redirect_uris,
            ),
        ] {
            if old != new {
                details.insert(field.into(), json!({ "before": old, "after": new }));
            }
        }
        self.audit("client.updated", client_id, serde_json::Value::Object(details)).await?;
        Ok(self.information(registration, None))
    }

    /// `DELETE /register/{id}`: the client, its secrets and consents go; its refresh
    /// tokens are revoked and its access tokens refused from now on. `client.deleted`.
    pub async fn delete(&self, client_id: &str) -> Result<(), ApiError> {
        if client_id == ADMIN_UI_CLIENT_ID {
            return Err(ApiError::conflict(
                codes::PROTECTED_CLIENT,
                "the admin console's own client cannot be deleted",
            ));
        }
        if is_bootstrap_client(self.config, client_id) {
            // It would come back with its environment secret at the next request.
            return Err(ApiError::conflict(
                codes::PROTECTED_CLIENT,
                "this client is made from the server's environment (ADMIN_CLIENT_ID/ADMIN_CLIENT_SECRET, \
                 DEMO_CLIENT_SECRET) and would come back: remove those variables to retire it, or revoke its tokens \
                 (POST /api/clients/{client_id}/revoke_tokens)",
            ));
        }
        self.changeable(client_id).await?;
        let changes = self.store.batch(&deletion(&self.rc, client_id)).await?;
        if changes.last() != Some(&1) {
            // Nothing was there: the batch changed nothing that mattered but the cut-off,
            // which is harmless for a client that does not exist.
            return Err(not_found());
        }
        self.audit("client.deleted", client_id, json!({ "revoked_refresh_tokens": changes.first() })).await
    }

    async fn confidential(&self, client_id: &str) -> Result<Registration, ApiError> {
        let registration = self.changeable(client_id).await?;
        if !registration.settings.uses_secret() {
            return Err(ApiError::bad_request(
                "invalid_request",
                "this client has no secret (it is public, or authenticates with private_key_jwt)",
            ));
        }
        Ok(registration)
    }

    /// `POST /register/{id}/renew_secret`: a new secret; every old one stops working at
    /// once. `client.secret_rotated`.
    pub async fn renew_secret(&self, client_id: &str) -> Result<NewSecret, ApiError> {
        let registration = self.confidential(client_id).await?;
        let m = self.mint(registration.settings.token_endpoint_auth_method == "client_secret_jwt")?;
        let changes = self
            .store
            .batch(&[
                client_secrets::delete_of_client(client_id),
                client_secrets::renew(self.secret_args(client_id, &m)),
            ])
            .await?;
        if changes.get(1) != Some(&1) {
            // Deleted since it was read (a concurrent DELETE /register/{id}).
            return Err(not_found());
        }
        self.audit("client.secret_rotated", client_id, json!({ "secret_id": m.secret_id, "retired": changes.first() }))
            .await?;
        Ok(NewSecret {
            client_id: client_id.into(),
            secret_id: m.secret_id,
            client_secret: m.plaintext,
            client_secret_expires_at: m.expires_at.unwrap_or(0),
        })
    }

    /// `POST /register/{id}/secrets {"action":"add"}`: a second live secret for a
    /// zero-downtime rotation (at most [`MAX_LIVE_SECRETS`]). `client.secret_added`.
    pub async fn add_secret(&self, client_id: &str) -> Result<NewSecret, ApiError> {
        let registration = self.confidential(client_id).await?;
        let m = self.mint(registration.settings.token_endpoint_auth_method == "client_secret_jwt")?;
        if self.store.exec(client_secrets::add_below(self.secret_args(client_id, &m), MAX_LIVE_SECRETS)).await? != 1 {
            // Deleted meanwhile: 404 (the read says so); otherwise the client holds enough.
            self.confidential(client_id).await?;
            return Err(ApiError::conflict(
                codes::TOO_MANY_SECRETS,
                format!("a client holds at most {MAX_LIVE_SECRETS} live secrets; retire one first"),
            ));
        }
        self.audit("client.secret_added", client_id, json!({ "secret_id": m.secret_id })).await?;
        Ok(NewSecret {
            client_id: client_id.into(),
            secret_id: m.secret_id,
            client_secret: m.plaintext,
            client_secret_expires_at: m.expires_at.unwrap_or(0),
        })
    }

    /// `DELETE /register/{id}/secrets/{secret_id}`: retires one secret, never the last
    /// (use renew_secret for that). `client.secret_removed`.
    pub async fn remove_secret(&self, client_id: &str, secret_id: &str) -> Result<(), ApiError> {
        let registration = self.confidential(client_id).await?;
        if !registration.secrets.iter().any(|s| s.secret_id == secret_id) {
            return Err(ApiError::not_found(codes::NOT_FOUND, "no such secret"));
        }
        if self.store.exec(client_secrets::remove(client_id, secret_id)).await? != 1 {
            return Err(ApiError::conflict(codes::LAST_SECRET, "this is the client's only secret; renew it instead"));
        }
        self.audit("client.secret_removed", client_id, json!({ "secret_id": secret_id })).await
    }

    /// `POST /api/clients/{id}/revoke_tokens`: every refresh token of the client revoked,
    /// every access token issued until now refused. `client.tokens_revoked`.
    pub async fn revoke_tokens(&self, client_id: &str) -> Result<u64, ApiError> {
        self.find(client_id).await?.ok_or_else(not_found)?;
        let changes = self
            .store
            .batch(&[
                refresh_tokens::revoke_of_client(client_id, self.now),
                client_token_cutoffs::cut(client_id, self.now, self.now_ms),
            ])
            .await?;
        let revoked = changes.first().copied().unwrap_or(0);
        self.audit("client.tokens_revoked", client_id, json!({ "revoked_refresh_tokens": revoked })).await?;
        Ok(revoked)
    }

    /// `GET /api/clients`: by name (or id) containing `search`, and/or with a secret
    /// expiring before `secret_expires_before`; newest first.
    pub async fn list(
        &self,
        search: Option<&str>,
        secret_expires_before: Option<UnixTime>,
        limit: u32,
        offset: u32,
    ) -> Result<Page<ClientSummary>, ApiError> {
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        let mut results =
            self.store.query_batch(&clients::page(search, secret_expires_before, limit, offset)).await?.into_iter();
        let (rows, totals) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
        let data = rows
            .into_iter()
            .map(|row| {
                let r: SummaryRow = crate::engine::platform::json::row(row, "client summary")?;
                Ok(ClientSummary {
                    client_id: r.client_id,
                    client_name: r.client_name,
                    token_endpoint_auth_method: r.token_endpoint_auth_method,
                    grant_types: json_list(&r.grant_types)?,
                    created_at: r.created_at as UnixTime,
                    secret_expires_at: r.secret_expires_at.map_or(0, |t| t as UnixTime),
                    self_registered: r.self_registered != 0.0,
                })
            })
            .collect::<Result<Vec<_>, InternalError>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }
}

/// The one batch that deletes a client (the last statement's count says whether it was
/// there): its refresh tokens revoked, its access tokens cut off, its consents, secrets and
/// row gone.
pub(super) fn deletion<P: Platform>(rc: &RequestContext<'_, P>, client_id: &str) -> Vec<Statement<'static>> {
    vec![
        refresh_tokens::revoke_of_client(client_id, rc.now),
        client_token_cutoffs::cut(client_id, rc.now, rc.now_ms),
        consents::delete_of_client(client_id),
        client_secrets::delete_of_client(client_id),
        clients::delete(client_id),
    ]
}

/// A stored registration, or `None`: the client's row and its secrets' ids and dates.
pub(super) async fn find<P: Platform>(
    rc: &RequestContext<'_, P>,
    client_id: &str,
) -> Result<Option<Registration>, InternalError> {
    let Some(row) = first_row::<ClientRow>(rc.store.select(clients::by_id(client_id)).await?)? else {
        return Ok(None);
    };
    let secrets = rc
        .store
        .select(client_secrets::of_client(client_id))
        .await?
        .into_iter()
        .map(|r| crate::engine::platform::json::row::<SecretRow>(r, "secret").map(SecretRow::into_info))
        .collect::<Result<Vec<_>, InternalError>>()?;
    let (first_party, self_registered) = (row.first_party != 0.0, row.self_registered != 0.0);
    let registration_token_hash = row.registration_token_hash.clone();
    let (client_id, settings, created_at) = row.into_settings()?;
    let protected = first_party || is_bootstrap_client(rc.config, &client_id);
    Ok(Some(Registration {
        client_id,
        settings,
        created_at,
        secrets,
        protected,
        self_registered,
        registration_token_hash,
    }))
}

/// RFC 7591 §3.2.1: the registration as answered, with a secret created now (its
/// plaintext, shown this once, and expiry).
pub(super) fn information(r: Registration, secret: Option<(&str, Option<UnixTime>)>) -> ClientInformation {
    let expires = if !r.settings.uses_secret() {
        None
    } else {
        // The soonest live secret's expiry; 0 when none expires (RFC 7591 §3.2.1).
        let soonest = r.secrets.iter().map(|s| s.expires_at).filter(|t| *t > 0).min();
        Some(secret.map(|(_, expires)| expires.unwrap_or(0)).unwrap_or(soonest.unwrap_or(0)))
    };
    ClientInformation {
        client_id: r.client_id,
        client_secret: secret.map(|(plaintext, _)| plaintext.to_owned()),
        client_id_issued_at: r.created_at,
        client_secret_expires_at: expires,
        settings: r.settings,
        secrets: r.secrets,
        self_registered: r.self_registered,
        registration_access_token: None,
        registration_client_uri: None,
    }
}

/// `secret_expires_before`: unix seconds or a date `YYYY-MM-DD` (docs/api.md, "Admin and account API").
pub fn time_param(value: &str) -> Result<UnixTime, ApiError> {
    crate::engine::platform::time::parse_instant(value)
        .ok_or_else(|| ApiError::invalid("secret_expires_before", "must be unix seconds or a date like 2024-04-01"))
}

#[cfg(test)]
mod open_tests;
#[cfg(test)]
mod tests;
