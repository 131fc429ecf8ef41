//! The `clients` table (migrations/0002, 0006, 0036): its row type, every statement on it, and
//! [`ClientStore`] over the one SQL port (whose reads join `client_secrets`).

use serde::Deserialize;
use shared::clients::ClientSettings;

use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::{Client, ClientRecord, ClientSecret, ClientStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlArg, SqlRunner, Statement, UnixTime};
use crate::engine::tables::client_row::{client_settings, json_text};
pub use crate::engine::tables::client_row::{json_list, ClientRow};
use crate::engine::tables::client_secrets::{self, SecretRow};

/// The guard of a one-trip grant ([`ClientGate`], docs/storage.md "One trip per grant"):
/// true only for a registered client that `check_credentials` and the CORS rule accept and
/// that may use `$grant`, as SQL to put into the write's `WHERE`. Its parameters, in
/// [`gate_args`]' order: `$id`, `$method`, `$hash`, `$dpop`, `$origin`; `$now` is the
/// statement's. Never looser than Rust: a redirect URI matches the origin only by the
/// exact prefix `origin/`, a secret only while it lives.
macro_rules! client_gate {
    ($id:literal, $method:literal, $hash:literal, $dpop:literal, $origin:literal, $now:literal, $grant:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM clients c WHERE c.client_id = ",
            $id,
            " AND c.token_endpoint_auth_method = ",
            $method,
            " AND ((",
            $method,
            " = 'none' AND c.client_type = 'public') OR EXISTS (SELECT 1 FROM client_secrets s ",
            "WHERE s.client_id = c.client_id AND s.secret_hash = ",
            $hash,
            " AND (s.expires_at IS NULL OR s.expires_at > ",
            $now,
            "))) AND (c.dpop_bound_access_tokens = 0 OR ",
            $dpop,
            " = 1) ",
            "AND EXISTS (SELECT 1 FROM json_each(c.grant_types) g WHERE g.value = '",
            $grant,
            "') ",
            "AND (",
            $origin,
            " IS NULL OR EXISTS (SELECT 1 FROM json_each(c.redirect_uris) o ",
            "WHERE substr(o.value, 1, length(",
            $origin,
            ") + 1) = ",
            $origin,
            " || '/')))"
        )
    };
}
pub(crate) use client_gate;

/// The values of [`client_gate`]'s parameters, in order.
pub fn gate_args(gate: &ClientGate) -> Vec<SqlArg> {
    vec![
        (&gate.client_id).into(),
        gate.method.into(),
        gate.secret_hash.as_deref().into(),
        gate.dpop.into(),
        gate.origin.as_deref().into(),
    ]
}

/// Every column of `clients`, in [`ClientRow`]'s order, as a literal for `concat!`.
macro_rules! client_columns {
    () => {
        "client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris, \
post_logout_redirect_uris, grant_types, response_types, scopes, access_token_ttl, refresh_token_ttl, \
refresh_token_rotation, first_party, logo_uri, client_uri, tos_uri, policy_uri, contacts, created_at, \
application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required, \
allowed_resources, self_registered, jwks, jwks_uri, dpop_bound_access_tokens, \
require_pushed_authorization_requests, request_object_signing_alg, security_profile, rate_limits"
    };
}

const BY_ID_SQL: &str =
    concat!("SELECT ", client_columns!(), ", registration_token_hash FROM clients WHERE client_id = ?1");
const DELETE_SQL: &str = "DELETE FROM clients WHERE client_id = ?1";

/// The clients list's filter: ?1 search (text in the name or id, ASCII case ignored, or
/// NULL; `instr`, not LIKE, so `%` and `_` are literal and D1's short LIKE-pattern limit
/// does not apply), ?2 secret_expires_before (or NULL).
macro_rules! list_where {
    () => {
        "WHERE (?1 IS NULL OR instr(lower(c.client_name), lower(?1)) > 0 OR instr(lower(c.client_id), lower(?1)) > 0) \
AND (?2 IS NULL OR EXISTS (SELECT 1 FROM client_secrets s WHERE s.client_id = c.client_id \
AND s.expires_at IS NOT NULL AND s.expires_at < ?2))"
    };
}

/// A page of the clients list, newest first: the filter's ?1, ?2, then ?3 limit, ?4 offset.
const PAGE_SQL: &str = concat!(
    "SELECT c.client_id, c.client_name, c.token_endpoint_auth_method, c.grant_types, c.created_at, c.self_registered, ",
    "(SELECT MIN(s.expires_at) FROM client_secrets s WHERE s.client_id = c.client_id) AS secret_expires_at ",
    "FROM clients c ",
    list_where!(),
    " ORDER BY c.created_at DESC, c.client_id LIMIT ?3 OFFSET ?4"
);
const COUNT_SQL: &str = concat!("SELECT COUNT(*) AS total FROM clients c ", list_where!());

/// A client and its secrets: one row per secret, the secret as one JSON object (NULL for a
/// client without secrets), with the client's scopes that the scopes table flags default
/// (read here so that a request naming no scope costs no round trip). ?1 client_id.
const CLIENT_WITH_SECRETS_SQL: &str = "SELECT c.client_id, c.client_name, c.client_type, \
c.token_endpoint_auth_method, c.redirect_uris, c.post_logout_redirect_uris, c.grant_types, c.response_types, \
c.scopes, c.access_token_ttl, c.refresh_token_ttl, c.refresh_token_rotation, c.first_party, c.logo_uri, \
c.client_uri, c.tos_uri, c.policy_uri, c.contacts, c.created_at, c.application_type, \
c.id_token_signed_response_alg, c.backchannel_logout_uri, c.backchannel_logout_session_required, \
c.allowed_resources, c.self_registered, c.jwks, c.jwks_uri, c.dpop_bound_access_tokens, \
c.require_pushed_authorization_requests, c.request_object_signing_alg, c.security_profile, (SELECT json_group_array(d.name) FROM scopes d WHERE d.is_default = 1 \
AND d.name IN (SELECT value FROM json_each(c.scopes))) AS default_scopes, \
(SELECT json_group_array(json_array(r.name, json(r.requires))) FROM scopes r WHERE r.requires != '[]' \
AND r.name IN (SELECT value FROM json_each(c.scopes))) AS scope_requires, \
CASE WHEN s.secret_id IS NULL THEN NULL ELSE json_object('secret_id', s.secret_id, 'secret_hash', s.secret_hash, \
'created_at', s.created_at, 'expires_at', s.expires_at, 'secret_sealed', s.secret_sealed) END AS secret_json \
FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.client_id WHERE c.client_id = ?1";

/// Inserts a client unless one with this id exists (bootstrap: an admin's later edits win).
/// ?1 id, ?2..?29 as [`settings_args`], ?30 first_party, ?31 now.
const ENSURE_CLIENT_SQL: &str = "INSERT INTO clients (client_id, client_name, client_type, \
token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, response_types, scopes, \
access_token_ttl, refresh_token_ttl, refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, \
application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required, \
allowed_resources, jwks, jwks_uri, dpop_bound_access_tokens, require_pushed_authorization_requests, \
request_object_signing_alg, security_profile, rate_limits, first_party, created_at, updated_at) VALUES (?1, ?2, ?3, \
?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, \
?29, ?30, ?31, ?31) ON CONFLICT (client_id) DO NOTHING";

/// A first-party bootstrap client's URIs follow the issuer (the console's redirect URI is
/// `{ISSUER}/admin/callback`): a changed ISSUER must not lock admins out. ?1 id,
/// ?2 redirect URIs, ?3 post-logout URIs (JSON, as stored).
const FOLLOW_ISSUER_SQL: &str = "UPDATE clients SET redirect_uris = ?2, post_logout_redirect_uris = ?3 \
WHERE client_id = ?1 AND first_party = 1 AND (redirect_uris != ?2 OR post_logout_redirect_uris != ?3)";

/// A registered client (RFC 7591 §3.1). Same arguments as [`ENSURE_CLIENT_SQL`].
const INSERT_CLIENT_SQL: &str = "INSERT INTO clients (client_id, client_name, client_type, \
token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, response_types, scopes, \
access_token_ttl, refresh_token_ttl, refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, \
application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required, \
allowed_resources, jwks, jwks_uri, dpop_bound_access_tokens, require_pushed_authorization_requests, \
request_object_signing_alg, security_profile, rate_limits, first_party, created_at, updated_at) VALUES (?1, ?2, ?3, \
?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, \
?29, ?30, ?31, ?31)";

/// ?1 id, ?2..?29 as [`settings_args`], ?30 now.
const UPDATE_CLIENT_SQL: &str = "UPDATE clients SET client_name = ?2, client_type = ?3, \
token_endpoint_auth_method = ?4, redirect_uris = ?5, post_logout_redirect_uris = ?6, grant_types = ?7, \
response_types = ?8, scopes = ?9, access_token_ttl = ?10, refresh_token_ttl = ?11, refresh_token_rotation = ?12, \
logo_uri = ?13, client_uri = ?14, tos_uri = ?15, policy_uri = ?16, contacts = ?17, application_type = ?18, \
id_token_signed_response_alg = ?19, backchannel_logout_uri = ?20, backchannel_logout_session_required = ?21, \
allowed_resources = ?22, jwks = ?23, jwks_uri = ?24, dpop_bound_access_tokens = ?25, \
require_pushed_authorization_requests = ?26, request_object_signing_alg = ?27, security_profile = ?28, \
rate_limits = ?29, updated_at = ?30 \
WHERE client_id = ?1";

/// The settings columns ?2..?29 of INSERT/UPDATE/ENSURE_CLIENT_SQL, in order.
pub fn settings_args(s: &ClientSettings) -> Vec<SqlArg> {
    let scopes: Vec<String> = s.scope.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect();
    vec![
        (&s.client_name).into(),
        (if s.is_public() { "public" } else { "confidential" }).into(),
        (&s.token_endpoint_auth_method).into(),
        json_text(&s.redirect_uris),
        json_text(&s.post_logout_redirect_uris),
        json_text(&s.grant_types),
        json_text(&s.response_types),
        json_text(&scopes),
        s.access_token_ttl.map(i64::from).into(),
        s.refresh_token_ttl.map(i64::from).into(),
        s.refresh_token_rotation.map(i64::from).into(),
        s.logo_uri.as_deref().into(),
        s.client_uri.as_deref().into(),
        s.tos_uri.as_deref().into(),
        s.policy_uri.as_deref().into(),
        json_text(&s.contacts),
        (&s.application_type).into(),
        s.id_token_signed_response_alg.as_deref().into(),
        s.backchannel_logout_uri.as_deref().into(),
        i64::from(s.backchannel_logout_session_required).into(),
        json_text(&s.allowed_resources),
        s.jwks.as_ref().map(|j| j.to_string()).as_deref().into(),
        s.jwks_uri.as_deref().into(),
        i64::from(s.dpop_bound_access_tokens).into(),
        i64::from(s.require_pushed_authorization_requests).into(),
        s.request_object_signing_alg.as_deref().into(),
        s.security_profile.as_deref().into(),
        s.rate_limits.as_ref().and_then(|r| serde_json::to_string(r).ok()).as_deref().into(),
    ]
}

/// The [`CLIENT_WITH_SECRETS_SQL`] statement, for batching with another read.
pub fn client_statement(client_id: &str) -> Statement<'static> {
    (CLIENT_WITH_SECRETS_SQL, vec![client_id.into()])
}

/// The secret column of a [`CLIENT_WITH_SECRETS_SQL`] row (serde skips the others).
#[derive(Deserialize)]
struct JoinedSecret {
    secret_json: Option<String>,
}

/// Decodes the rows of [`CLIENT_WITH_SECRETS_SQL`]: the client from the first row (every
/// row repeats it), a secret from each row that has one.
pub fn client_from_rows(rows: Vec<serde_json::Value>) -> Result<Option<ClientRecord>, InternalError> {
    let row_err = |e: serde_json::Error| InternalError::new(format!("client row: {e}"));
    let Some(first) = rows.first() else { return Ok(None) };
    let client = ClientRow::deserialize(first).map_err(row_err)?.into_client()?;
    let mut secrets = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(text) = JoinedSecret::deserialize(row).map_err(row_err)?.secret_json {
            secrets.push(
                crate::engine::platform::json::parse::<SecretRow>(text.as_bytes()).map_err(row_err)?.into_secret(),
            );
        }
    }
    Ok(Some((client, secrets)))
}

impl<T: SqlRunner> ClientStore for T {
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<ClientRecord>, InternalError> {
        client_from_rows(self.select(client_statement(client_id)).await?)
    }

    async fn ensure_client(
        &self,
        client: &Client,
        secret: Option<&ClientSecret>,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let mut args = vec![SqlArg::from(&client.client_id)];
        args.extend(settings_args(&client_settings(client)));
        // The settings say public/confidential by auth method; the bootstrap client knows.
        if let Some(kind) = args.get_mut(2) {
            *kind = client.client_type.as_str().into();
        }
        args.push(client.first_party.into());
        args.push(now.into());
        let follow = match (client.first_party, args.get(4), args.get(5)) {
            (true, Some(redirect), Some(post_logout)) => {
                Some(vec![SqlArg::from(&client.client_id), redirect.clone(), post_logout.clone()])
            }
            _ => None,
        };
        let mut statements = vec![(ENSURE_CLIENT_SQL, args)];
        if let Some(follow) = follow {
            statements.push((FOLLOW_ISSUER_SQL, follow));
        }
        if let Some(s) = secret {
            let columns = client_secrets::columns(
                &s.secret_id,
                &client.client_id,
                &s.secret_hash,
                s.created_at,
                s.expires_at,
                s.sealed.as_deref(),
            );
            statements.push(client_secrets::seed(columns));
        }
        // One batch is one transaction: both rows or neither.
        self.batch(&statements).await.map(|_| ())
    }
}

/// One client's row ([`ClientRow`]) by id.
pub fn by_id(client_id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![client_id.into()])
}

/// A registered client (RFC 7591 §3.1).
pub fn insert(client_id: &str, settings: &ClientSettings, first_party: bool, now: UnixTime) -> Statement<'static> {
    let mut args = vec![SqlArg::from(client_id)];
    args.extend(settings_args(settings));
    args.push(first_party.into());
    args.push(now.into());
    (INSERT_CLIENT_SQL, args)
}

/// New metadata for a client (RFC 7592 §2.2).
pub fn update(client_id: &str, settings: &ClientSettings, now: UnixTime) -> Statement<'static> {
    let mut args = vec![SqlArg::from(client_id)];
    args.extend(settings_args(settings));
    args.push(now.into());
    (UPDATE_CLIENT_SQL, args)
}

pub fn delete(client_id: &str) -> Statement<'static> {
    (DELETE_SQL, vec![client_id.into()])
}

fn list_args(search: Option<&str>, secret_expires_before: Option<UnixTime>) -> Vec<SqlArg> {
    vec![search.into(), secret_expires_before.into()]
}

/// A page of the clients list and its total: two statements for one batch.
pub fn page(
    search: Option<&str>,
    secret_expires_before: Option<UnixTime>,
    limit: u32,
    offset: u32,
) -> [Statement<'static>; 2] {
    let mut page = list_args(search, secret_expires_before);
    page.extend([limit.into(), offset.into()]);
    [(PAGE_SQL, page), (COUNT_SQL, list_args(search, secret_expires_before))]
}

/// Renames ?1 to ?2 in every client's scope list, ?3 now; only once the scope itself
/// carries the new name (the statement before it in the batch may have refused).
const RENAME_SCOPE_SQL: &str = "UPDATE clients SET scopes = (SELECT json_group_array(CASE WHEN j.value = ?1 \
THEN ?2 ELSE j.value END) FROM json_each(clients.scopes) j), updated_at = ?3 \
WHERE EXISTS (SELECT 1 FROM json_each(clients.scopes) j WHERE j.value = ?1) \
AND EXISTS (SELECT 1 FROM scopes WHERE name = ?2)";

/// Takes ?1 out of every client's scope list, ?2 now.
const REMOVE_SCOPE_SQL: &str = "UPDATE clients SET scopes = (SELECT json_group_array(j.value) \
FROM json_each(clients.scopes) j WHERE j.value != ?1), updated_at = ?2 \
WHERE EXISTS (SELECT 1 FROM json_each(clients.scopes) j WHERE j.value = ?1)";

/// A renamed scope follows into every client's list (after the scope's own rename in
/// the same batch).
pub fn rename_scope(from: &str, to: &str, now: UnixTime) -> Statement<'static> {
    (RENAME_SCOPE_SQL, vec![from.into(), to.into(), now.into()])
}

/// A deleted scope leaves every client's list.
pub fn remove_scope(name: &str, now: UnixTime) -> Statement<'static> {
    (REMOVE_SCOPE_SQL, vec![name.into(), now.into()])
}

/// Every client with its own rate limits: `client_id`, `rate_limits` (JSON).
const RATE_LIMITED_SQL: &str = "SELECT client_id, rate_limits FROM clients WHERE rate_limits IS NOT NULL";

/// The clients with their own rate limits (read with the run-time settings).
pub fn rate_limited() -> Statement<'static> {
    (RATE_LIMITED_SQL, vec![])
}

/// Open registration: the client `?1` registered itself, `?2` its registration access
/// token's hash.
const MARK_SELF_REGISTERED_SQL: &str =
    "UPDATE clients SET self_registered = 1, registration_token_hash = ?2, last_used_at = ?3 WHERE client_id = ?1";

/// Marks a client inserted in the same batch as self-registered.
pub fn mark_self_registered(client_id: &str, token_hash: &str, now: UnixTime) -> Statement<'static> {
    (MARK_SELF_REGISTERED_SQL, vec![client_id.into(), token_hash.into(), now.into()])
}

/// A self-registered client was used now (a code exchange): moved at most once an hour.
const TOUCH_SQL: &str = "UPDATE clients SET last_used_at = ?2 WHERE client_id = ?1 AND self_registered = 1 \
AND (last_used_at IS NULL OR last_used_at < ?2 - 3600)";

/// [`TOUCH_SQL`] in a guarded redemption's batch: only if the consume landed. ?3 the
/// code's hash, ?4 the jti it recorded.
const TOUCH_AFTER_CODE_SQL: &str = "UPDATE clients SET last_used_at = ?2 WHERE client_id = ?1 \
AND self_registered = 1 AND (last_used_at IS NULL OR last_used_at < ?2 - 3600) \
AND EXISTS (SELECT 1 FROM authorization_codes WHERE code_hash = ?3 AND issued_jti = ?4)";

/// See [`TOUCH_AFTER_CODE_SQL`].
pub fn touch_after_code(client_id: &str, now: UnixTime, code_hash: &str, jti: &str) -> Statement<'static> {
    (TOUCH_AFTER_CODE_SQL, vec![client_id.into(), now.into(), code_hash.into(), jti.into()])
}

/// Records a use of self-registered `client_id` (for the cleanup of unused ones).
pub fn touch(client_id: &str, now: UnixTime) -> Statement<'static> {
    (TOUCH_SQL, vec![client_id.into(), now.into()])
}

/// Self-registered clients not used since ?1 and without a refresh token that lived past
/// it, at most ?2 (as a literal for `concat!`).
macro_rules! unused_self_registered {
    () => {
        "SELECT c.client_id FROM clients c WHERE c.self_registered = 1 AND COALESCE(c.last_used_at, c.created_at) < ?1 \
AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.client_id = c.client_id AND r.revoked_at IS NULL \
AND r.expires_at > ?1) LIMIT ?2"
    };
}
pub(crate) use unused_self_registered;

const DELETE_UNUSED_SQL: &str = concat!("DELETE FROM clients WHERE client_id IN (", unused_self_registered!(), ")");

/// Cleanup: self-registered clients unused since `before` (their consents go first:
/// `consents::delete_of_unused_self_registered`).
pub fn delete_unused_self_registered(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_UNUSED_SQL, vec![before.into(), limit.into()])
}
