//! The `resources` table (migrations/0024): the protected resources of RFC 8707, their row
//! type and every statement on it; and [`granted_resources`], the sub-select by which the
//! reads of codes, refresh tokens and device codes bring the resources their grant named.

use serde::Deserialize;
use shared::resources::Resource;

use crate::engine::oauth::resources::{decode_list, GrantedResources, TargetResource};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, whole, SqlArg, Statement, UnixTime};

/// `X.resources` (the identifiers a grant row stored) and, as `registered_resources`, those
/// of them still registered, as one JSON list: a literal for `concat!` where `X` is the
/// grant table's alias. Decode with [`granted`].
macro_rules! granted_resources {
    ($alias:literal) => {
        concat!(
            $alias,
            ".resources, (SELECT json_group_array(json_object('identifier', rs.identifier, 'scopes', json(rs.scopes), ",
            "'access_token_ttl', rs.access_token_ttl, 'signing_alg', rs.signing_alg)) FROM resources rs WHERE ",
            $alias,
            ".resources IS NOT NULL AND rs.identifier IN (SELECT value FROM json_each(",
            $alias,
            ".resources))) AS registered_resources"
        )
    };
}
pub(crate) use granted_resources;

/// The two columns [`granted_resources`] adds to a row.
pub fn granted(stored: Option<&str>, registered: Option<&str>) -> Result<GrantedResources, InternalError> {
    Ok(GrantedResources {
        identifiers: crate::engine::oauth::resources::identifiers(stored),
        registered: decode_list(registered)?,
    })
}

/// The identifiers a grant row stores: a JSON list, or NULL when the grant named none.
pub fn stored_identifiers(identifiers: &[String]) -> Option<String> {
    (!identifiers.is_empty()).then(|| serde_json::Value::from(identifiers).to_string())
}

/// A resource's columns and how many clients are limited to a list naming it.
macro_rules! resource_columns {
    () => {
        "r.id, r.identifier, r.name, r.scopes, r.access_token_ttl, r.signing_alg, r.client_id, r.created_at, r.updated_at, \
(SELECT COUNT(*) FROM clients c WHERE EXISTS (SELECT 1 FROM json_each(c.allowed_resources) j \
WHERE j.value = r.identifier)) AS clients"
    };
}

/// By name. ?1 limit, ?2 offset.
const PAGE_SQL: &str =
    concat!("SELECT ", resource_columns!(), " FROM resources r ORDER BY r.name, r.identifier LIMIT ?1 OFFSET ?2");
const COUNT_SQL: &str = "SELECT COUNT(*) AS total FROM resources";
const BY_ID_SQL: &str = concat!("SELECT ", resource_columns!(), " FROM resources r WHERE r.id = ?1");

/// ?1 id, ?2 identifier, ?3 name, ?4 scopes (JSON), ?5 ttl, ?6 alg, ?7 now. An identifier
/// taken meanwhile leaves it out (the UNIQUE constraint).
const INSERT_SQL: &str = "INSERT INTO resources (id, identifier, name, scopes, access_token_ttl, signing_alg, \
created_at, updated_at, client_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) ON CONFLICT (identifier) DO NOTHING";

/// ?1 id, ?3 name, ?4 scopes, ?5 ttl, ?6 alg, ?7 now (?2 unused: the identifier never changes).
const UPDATE_SQL: &str = "UPDATE resources SET name = ?3, scopes = ?4, access_token_ttl = ?5, signing_alg = ?6, \
updated_at = ?7, client_id = ?8 WHERE id = ?1 AND ?2 IS NOT NULL";

/// ?1 id; never one a client's list names (the list would then mean another thing).
const DELETE_SQL: &str = "DELETE FROM resources WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM clients c \
WHERE EXISTS (SELECT 1 FROM json_each(c.allowed_resources) j WHERE j.value = resources.identifier))";

/// The registered resources among the identifiers in ?1 (a JSON list), as one JSON list
/// `registered_resources` (decode with [`decode_list`]).
const NAMED_SQL: &str = "SELECT json_group_array(json_object('identifier', rs.identifier, 'scopes', json(rs.scopes), \
'access_token_ttl', rs.access_token_ttl, 'signing_alg', rs.signing_alg)) AS registered_resources \
FROM resources rs WHERE rs.identifier IN (SELECT value FROM json_each(?1))";

/// Identifiers and names of the resources in ?1 (a JSON list), for the consent screen.
const NAMES_SQL: &str =
    "SELECT identifier, name FROM resources WHERE identifier IN (SELECT value FROM json_each(?1)) ORDER BY name";

/// A page of resources ([`ResourceRow`]) and their total: two statements for one batch.
pub fn page(limit: u32, offset: u32) -> [Statement<'static>; 2] {
    [(PAGE_SQL, vec![limit.into(), offset.into()]), (COUNT_SQL, vec![])]
}

/// One resource ([`ResourceRow`]) by id.
pub fn by_id(id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![id.into()])
}

/// The fields an admin sets on a resource.
pub struct ResourceFields<'a> {
    pub identifier: &'a str,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub access_token_ttl: Option<u32>,
    pub signing_alg: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

fn field_args(id: &str, f: &ResourceFields<'_>, now: UnixTime) -> Vec<SqlArg> {
    vec![
        id.into(),
        f.identifier.into(),
        f.name.into(),
        SqlArg::Text(serde_json::Value::from(f.scopes).to_string()),
        f.access_token_ttl.map(i64::from).into(),
        f.signing_alg.into(),
        now.into(),
        f.client_id.into(),
    ]
}

/// A new resource; changes nothing when the identifier is taken meanwhile.
pub fn insert(id: &str, fields: &ResourceFields<'_>, now: UnixTime) -> Statement<'static> {
    (INSERT_SQL, field_args(id, fields, now))
}

/// A resource's new name, scopes, lifetime and algorithm.
pub fn update(id: &str, fields: &ResourceFields<'_>, now: UnixTime) -> Statement<'static> {
    (UPDATE_SQL, field_args(id, fields, now))
}

/// Deletes a resource no client's list names.
pub fn delete(id: &str) -> Statement<'static> {
    (DELETE_SQL, vec![id.into()])
}

/// The registered ones among `identifiers`, as one row with `registered_resources`.
pub fn named(identifiers: &[String]) -> Statement<'static> {
    (NAMED_SQL, vec![SqlArg::Text(serde_json::Value::from(identifiers).to_string())])
}

/// Decodes the row of [`named`].
pub fn decode_named(rows: Vec<serde_json::Value>) -> Result<Vec<TargetResource>, InternalError> {
    #[derive(Deserialize)]
    struct Row {
        registered_resources: Option<String>,
    }
    match crate::engine::platform::ports::first_row::<Row>(rows)? {
        Some(row) => decode_list(row.registered_resources.as_deref()),
        None => Ok(Vec::new()),
    }
}

/// `identifier` and `name` of the resources among `identifiers` (consent).
pub fn names(identifiers: &[String]) -> Statement<'static> {
    (NAMES_SQL, vec![SqlArg::Text(serde_json::Value::from(identifiers).to_string())])
}

/// A row of [`page`] / [`by_id`] (integers as `f64`, see [`int`]).
#[derive(Debug, Deserialize)]
pub struct ResourceRow {
    pub id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: String,
    pub access_token_ttl: Option<f64>,
    pub signing_alg: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
    pub clients: f64,
}

impl ResourceRow {
    pub fn view(self) -> Result<Resource, InternalError> {
        Ok(Resource {
            scopes: serde_json::from_str(&self.scopes)
                .map_err(|e| InternalError::new(format!("resource scopes: {e}")))?,
            id: self.id,
            identifier: self.identifier,
            name: self.name,
            access_token_ttl: self.access_token_ttl.map(|t| t as u32),
            signing_alg: self.signing_alg,
            client_id: self.client_id,
            clients: u32::try_from(whole(self.clients)).unwrap_or(u32::MAX),
            created_at: int(self.created_at),
            updated_at: int(self.updated_at),
        })
    }
}

/// The identifiers among ?2 (a JSON list) of resources whose server is the client ?1.
const SERVED_BY_SQL: &str = "SELECT identifier FROM resources WHERE client_id = ?1 \
AND identifier IN (SELECT value FROM json_each(?2))";

/// Which of `identifiers` name a resource served by `client_id` (token exchange).
pub fn served_by(client_id: &str, identifiers: &[String]) -> Statement<'static> {
    (SERVED_BY_SQL, vec![client_id.into(), SqlArg::Text(serde_json::Value::from(identifiers).to_string())])
}
