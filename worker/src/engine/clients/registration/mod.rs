//! Client registration and management (RFC 7591, RFC 7592 semantics behind an admin
//! token), secret rotation, token revocation per client, and the clients list.
//!
//! Secrets are 256 random bits, shown once, stored as SHA-256. Several may be live at
//! once (zero-downtime rotation: add, deploy, retire); `renew_secret` replaces them all.
//! `CLIENT_SECRET_LIFETIME_DAYS` (0 = never) dates each new secret.

use serde_json::json;
use shared::account::Page;
use shared::clients::{
    ClientInformation, ClientMetadata, ClientSettings, ClientSummary, MetadataProblem, NewSecret, SecretInfo,
};
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::clients::bootstrap::{is_bootstrap_client, ADMIN_UI_CLIENT_ID};
use crate::engine::clients::store::{
    json_list, settings_args, ClientRow, SecretRow, CLIENT_COLUMNS, INSERT_CLIENT_SQL, UPDATE_CLIENT_SQL,
};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::crypto::tokens::random_token;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, SqlArg, SqlRunner, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};

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
}

const SECRETS_SQL: &str =
    "SELECT secret_id, created_at, expires_at FROM client_secrets WHERE client_id = ?1 ORDER BY created_at, secret_id";
const INSERT_SECRET_SQL: &str =
    "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
/// Adds a secret only while fewer than ?6 live ones exist (one statement: no race).
/// The client may have been deleted since it was read: then no row (not a foreign-key error).
const ADD_SECRET_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at) \
SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2) \
AND (SELECT COUNT(*) FROM client_secrets WHERE client_id = ?2 AND (expires_at IS NULL OR expires_at > ?4)) < ?6";
/// A renewed secret, only while the client exists (it may be deleted meanwhile).
const RENEW_SECRET_SQL: &str = "INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, \
expires_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?2)";
const DELETE_SECRETS_SQL: &str = "DELETE FROM client_secrets WHERE client_id = ?1";
/// Retires one secret unless it is the client's last.
const REMOVE_SECRET_SQL: &str = "DELETE FROM client_secrets WHERE client_id = ?1 AND secret_id = ?2 \
AND (SELECT COUNT(*) FROM client_secrets WHERE client_id = ?1) > 1";
const REVOKE_REFRESH_SQL: &str = "UPDATE refresh_tokens SET revoked_at = ?2, successor_sealed = NULL \
WHERE client_id = ?1 AND revoked_at IS NULL";
/// Access tokens are JWTs: issued at or before the cut-off they are refused by
/// introspection and UserInfo (`oauth/store.rs` ACCESS_TOKEN_STATE_SQL). ?2 seconds, ?3
/// the same instant in milliseconds, which the comparison uses.
const CUTOFF_SQL: &str = "INSERT INTO client_token_cutoffs (client_id, revoked_before, revoked_before_ms) \
VALUES (?1, ?2, ?3) ON CONFLICT (client_id) DO UPDATE SET revoked_before = excluded.revoked_before, \
revoked_before_ms = excluded.revoked_before_ms";
const DELETE_CONSENTS_SQL: &str = "DELETE FROM consents WHERE client_id = ?1";
const DELETE_CLIENT_SQL: &str = "DELETE FROM clients WHERE client_id = ?1";
/// ?1 search (text in the name or id, ASCII case ignored, or NULL; `instr`, not LIKE, so
/// `%` and `_` are literal and D1's short LIKE-pattern limit does not apply),
/// ?2 secret_expires_before (or NULL), ?3 limit, ?4 offset.
const LIST_WHERE: &str =
    "WHERE (?1 IS NULL OR instr(lower(c.client_name), lower(?1)) > 0 OR instr(lower(c.client_id), lower(?1)) > 0) \
AND (?2 IS NULL OR EXISTS (SELECT 1 FROM client_secrets s WHERE s.client_id = c.client_id \
AND s.expires_at IS NOT NULL AND s.expires_at < ?2))";

#[derive(serde::Deserialize)]
struct SummaryRow {
    client_id: String,
    client_name: String,
    token_endpoint_auth_method: String,
    grant_types: String,
    created_at: f64,
    secret_expires_at: Option<f64>,
}

/// A new secret for a client: the plaintext (shown once) and its row.
struct Minted {
    plaintext: String,
    secret_id: String,
    hash: String,
    expires_at: Option<UnixTime>,
}

/// One admin request on clients: a view of the request's context and the admin making it.
pub struct Registrar<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

crate::engine::platform::request::request_context_view!(Registrar);

fn not_found() -> ApiError {
    ApiError::Request { status: 404, code: codes::NOT_FOUND, description: "no client with this client_id".into() }
}

/// RFC 7591 §3.2.2: the first problem's code, every problem's sentence.
fn rejected(problems: &[MetadataProblem]) -> ApiError {
    let code = if problems.iter().any(|p| p.error == "invalid_redirect_uri") {
        "invalid_redirect_uri"
    } else {
        "invalid_client_metadata"
    };
    let description = problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; ");
    ApiError::Request { status: 400, code, description }
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

    fn mint(&self) -> Result<Minted, InternalError> {
        let plaintext = random_token(self.rng)?;
        let days = self.config.client_secret_lifetime_days;
        Ok(Minted {
            hash: hash_token(&plaintext),
            plaintext,
            secret_id: new_uuid(self.rng)?,
            expires_at: (days > 0).then(|| self.now + i64::from(days) * 86_400),
        })
    }

    fn secret_args(&self, client_id: &str, m: &Minted) -> Vec<SqlArg> {
        vec![
            (&m.secret_id).into(),
            client_id.into(),
            (&m.hash).into(),
            SqlArg::Int(self.now),
            m.expires_at.map(SqlArg::Int).unwrap_or(SqlArg::Null),
        ]
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
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = ?1");
        let Some(row) = first_row::<ClientRow>(self.store.query(&sql, &[client_id.into()]).await?)? else {
            return Ok(None);
        };
        let secrets = self
            .store
            .query(SECRETS_SQL, &[client_id.into()])
            .await?
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<SecretRow>(r, "secret").map(SecretRow::into_info))
            .collect::<Result<Vec<_>, InternalError>>()?;
        let first_party = row.first_party != 0.0;
        let (client_id, settings, created_at) = row.into_settings()?;
        let protected = first_party || is_bootstrap_client(self.config, &client_id);
        Ok(Some(Registration { client_id, settings, created_at, secrets, protected }))
    }

    /// The registration of `client_id`, if this admin may change it: first-party and
    /// bootstrap clients only by a super_admin (an `admin`, or a leaked service-account
    /// secret, could otherwise point the console's redirect URI at itself).
    async fn changeable(&self, client_id: &str) -> Result<Registration, ApiError> {
        let registration = self.find(client_id).await?.ok_or_else(not_found)?;
        if registration.protected && !self.admin.is_super_admin() {
            return Err(ApiError::Request {
                status: 403,
                code: codes::PROTECTED_CLIENT,
                description: "only a super_admin may change a first-party or bootstrap client".into(),
            });
        }
        Ok(registration)
    }

    fn information(&self, r: Registration, secret: Option<&Minted>) -> ClientInformation {
        let expires = if r.settings.is_public() {
            None
        } else {
            // The soonest live secret's expiry; 0 when none expires (RFC 7591 §3.2.1).
            let soonest = r.secrets.iter().map(|s| s.expires_at).filter(|t| *t > 0).min();
            Some(secret.map(|m| m.expires_at.unwrap_or(0)).unwrap_or(soonest.unwrap_or(0)))
        };
        ClientInformation {
            client_id: r.client_id,
            client_secret: secret.map(|m| m.plaintext.clone()),
            client_id_issued_at: r.created_at,
            client_secret_expires_at: expires,
            settings: r.settings,
            secrets: r.secrets,
        }
    }

    /// `POST /register` (RFC 7591 §3.1): 201 with the client_id and, for a confidential
    /// client, its secret (shown this once). Audited `client.created`.
    pub async fn register(&self, request: &ClientMetadata) -> Result<ClientInformation, ApiError> {
        let default_scope = self.config.default_scopes.join(" ");
        let settings = ClientSettings::new(request, &default_scope);
        self.validate(&settings).await?;
        let client_id = new_uuid(self.rng)?;
        let mut insert = vec![SqlArg::from(&client_id)];
        insert.extend(settings_args(&settings));
        insert.push(false.into());
        insert.push(SqlArg::Int(self.now));
        let secret = if settings.is_public() { None } else { Some(self.mint()?) };
        let mut statements = vec![(INSERT_CLIENT_SQL, insert)];
        if let Some(m) = &secret {
            statements.push((INSERT_SECRET_SQL, self.secret_args(&client_id, m)));
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
        if before.is_public() != registration.settings.is_public() {
            return Err(ApiError::bad_request(
                "invalid_client_metadata",
                "token_endpoint_auth_method cannot switch between public (none) and confidential; register a new client",
            ));
        }
        let mut args = vec![SqlArg::from(client_id)];
        args.extend(settings_args(&registration.settings));
        args.push(SqlArg::Int(self.now));
        if self.store.execute(UPDATE_CLIENT_SQL, &args).await? != 1 {
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
            return Err(ApiError::Request {
                status: 409,
                code: codes::PROTECTED_CLIENT,
                description: "the admin console's own client cannot be deleted".into(),
            });
        }
        self.changeable(client_id).await?;
        let changes = self
            .store
            .batch(&[
                (REVOKE_REFRESH_SQL, vec![client_id.into(), SqlArg::Int(self.now)]),
                (CUTOFF_SQL, vec![client_id.into(), SqlArg::Int(self.now), SqlArg::Int(self.now_ms)]),
                (DELETE_CONSENTS_SQL, vec![client_id.into()]),
                (DELETE_SECRETS_SQL, vec![client_id.into()]),
                (DELETE_CLIENT_SQL, vec![client_id.into()]),
            ])
            .await?;
        if changes.last() != Some(&1) {
            // Nothing was there: the batch changed nothing that mattered but the cut-off,
            // which is harmless for a client that does not exist.
            return Err(not_found());
        }
        self.audit("client.deleted", client_id, json!({ "revoked_refresh_tokens": changes.first() })).await
    }

    async fn confidential(&self, client_id: &str) -> Result<Registration, ApiError> {
        let registration = self.changeable(client_id).await?;
        if registration.settings.is_public() {
            return Err(ApiError::bad_request("invalid_request", "a public client has no secret"));
        }
        Ok(registration)
    }

    /// `POST /register/{id}/renew_secret`: a new secret; every old one stops working at
    /// once. `client.secret_rotated`.
    pub async fn renew_secret(&self, client_id: &str) -> Result<NewSecret, ApiError> {
        self.confidential(client_id).await?;
        let m = self.mint()?;
        let changes = self
            .store
            .batch(&[(DELETE_SECRETS_SQL, vec![client_id.into()]), (RENEW_SECRET_SQL, self.secret_args(client_id, &m))])
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
        self.confidential(client_id).await?;
        let m = self.mint()?;
        let mut args = self.secret_args(client_id, &m);
        args.push(SqlArg::Int(MAX_LIVE_SECRETS));
        if self.store.execute(ADD_SECRET_SQL, &args).await? != 1 {
            // Deleted meanwhile: 404 (the read says so); otherwise the client holds enough.
            self.confidential(client_id).await?;
            return Err(ApiError::Request {
                status: 409,
                code: codes::TOO_MANY_SECRETS,
                description: format!("a client holds at most {MAX_LIVE_SECRETS} live secrets; retire one first"),
            });
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
            return Err(ApiError::Request {
                status: 404,
                code: codes::NOT_FOUND,
                description: "no such secret".into(),
            });
        }
        if self.store.execute(REMOVE_SECRET_SQL, &[client_id.into(), secret_id.into()]).await? != 1 {
            return Err(ApiError::Request {
                status: 409,
                code: codes::LAST_SECRET,
                description: "this is the client's only secret; renew it instead".into(),
            });
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
                (REVOKE_REFRESH_SQL, vec![client_id.into(), SqlArg::Int(self.now)]),
                (CUTOFF_SQL, vec![client_id.into(), SqlArg::Int(self.now), SqlArg::Int(self.now_ms)]),
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
        let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map_or(SqlArg::Null, SqlArg::from);
        let before = secret_expires_before.map(SqlArg::Int).unwrap_or(SqlArg::Null);
        let sql = format!(
            "SELECT c.client_id, c.client_name, c.token_endpoint_auth_method, c.grant_types, c.created_at, \
             (SELECT MIN(s.expires_at) FROM client_secrets s WHERE s.client_id = c.client_id) AS secret_expires_at \
             FROM clients c {LIST_WHERE} ORDER BY c.created_at DESC, c.client_id LIMIT ?3 OFFSET ?4"
        );
        let args = [pattern.clone(), before.clone(), SqlArg::Int(limit.into()), SqlArg::Int(offset.into())];
        let rows = self.store.query(&sql, &args).await?;
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
                })
            })
            .collect::<Result<Vec<_>, InternalError>>()?;
        let count_sql = format!("SELECT COUNT(*) AS total FROM clients c {LIST_WHERE}");
        let total = count(self.store.query(&count_sql, &[pattern, before]).await?)?;
        Ok(Page { data, total, limit, offset })
    }
}

/// `secret_expires_before`: unix seconds or a date `YYYY-MM-DD` (docs/api.md, "Admin and account API").
pub fn time_param(value: &str) -> Result<UnixTime, ApiError> {
    crate::engine::platform::time::parse_instant(value)
        .ok_or_else(|| ApiError::invalid("secret_expires_before", "must be unix seconds or a date like 2024-04-01"))
}

#[cfg(test)]
mod tests;
