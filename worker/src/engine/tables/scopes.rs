//! The `scopes` table (migrations/0002, 0007, 0009, 0035): its row type and every statement on
//! it. (A rename or a forced delete also rewrites `clients.scopes`: `tables::clients`.)

use serde::Deserialize;
use shared::scopes::{standard_claims, Scope};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, whole, SqlArg, Statement, UnixTime};

/// A scope's columns and how many clients may request it, as a literal for `concat!`.
macro_rules! scope_columns {
    () => {
        "s.id, s.name, s.description, s.is_default, s.claims, s.requires, s.system, s.created_at, s.updated_at, \
(SELECT COUNT(*) FROM clients c WHERE EXISTS (SELECT 1 FROM json_each(c.scopes) j WHERE j.value = s.name)) AS clients"
    };
}

/// System scopes first, then by name. ?1 limit, ?2 offset.
const PAGE_SQL: &str =
    concat!("SELECT ", scope_columns!(), " FROM scopes s ORDER BY s.system DESC, s.name LIMIT ?1 OFFSET ?2");
const COUNT_SQL: &str = "SELECT COUNT(*) AS total FROM scopes";
const BY_ID_SQL: &str = concat!("SELECT ", scope_columns!(), " FROM scopes s WHERE s.id = ?1");

/// ?1 name (scope names are case-sensitive, RFC 6749 §3.3), ?2 the id to ignore.
const NAME_TAKEN_SQL: &str = "SELECT COUNT(*) AS total FROM scopes WHERE name = ?1 AND id != ?2";

/// ?1 id, ?2 name, ?3 description, ?4 default, ?5 claims (JSON), ?6 now, ?7 requires
/// (JSON). A name taken meanwhile leaves it out (the UNIQUE constraint).
const INSERT_SQL: &str = "INSERT INTO scopes (id, name, description, is_default, claims, system, created_at, \
updated_at, requires) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, ?7) ON CONFLICT (name) DO NOTHING";

/// ?1 id, ?2 name, ?3 description, ?4 default, ?5 claims (JSON), ?6 now, ?7 requires
/// (JSON); never renames onto another scope's name.
const UPDATE_SQL: &str = "UPDATE scopes SET name = ?2, description = ?3, is_default = ?4, claims = ?5, \
updated_at = ?6, requires = ?7 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM scopes o WHERE o.name = ?2 AND o.id != ?1)";

/// A renamed scope in the others' `requires`: ?1 old name, ?2 new name, ?3 now.
const RENAME_REQUIRED_SQL: &str = "UPDATE scopes SET requires = (SELECT json_group_array(CASE WHEN j.value = ?1 \
THEN ?2 ELSE j.value END) FROM json_each(scopes.requires) j), updated_at = ?3 \
WHERE EXISTS (SELECT 1 FROM json_each(scopes.requires) j WHERE j.value = ?1)";

/// A deleted scope out of the others' `requires`: ?1 its name, ?2 now.
const REMOVE_REQUIRED_SQL: &str = "UPDATE scopes SET requires = (SELECT json_group_array(j.value) \
FROM json_each(scopes.requires) j WHERE j.value != ?1), updated_at = ?2 \
WHERE EXISTS (SELECT 1 FROM json_each(scopes.requires) j WHERE j.value = ?1)";

/// How many of the names in ?1 (a JSON list) are scopes, as `total`.
const KNOWN_SQL: &str = "SELECT COUNT(*) AS total FROM scopes WHERE name IN (SELECT value FROM json_each(?1))";

/// ?1 id; never a system scope.
const DELETE_SQL: &str = "DELETE FROM scopes WHERE id = ?1 AND system = 0";

/// The scopes table's names (discovery's `scopes_supported`) and consent sentences.
const DESCRIPTIONS_SQL: &str = "SELECT name, description FROM scopes ORDER BY created_at, name";

/// The claims of the custom scopes named in ?1 (a JSON list of names).
const CUSTOM_CLAIMS_SQL: &str = "SELECT claims FROM scopes WHERE system = 0 AND claims != '[]' \
AND name IN (SELECT value FROM json_each(?1))";

/// A page of scopes ([`ScopeRow`]) and their total: two statements for one batch.
pub fn page(limit: u32, offset: u32) -> [Statement<'static>; 2] {
    [(PAGE_SQL, vec![limit.into(), offset.into()]), (COUNT_SQL, vec![])]
}

/// One scope ([`ScopeRow`]) by id.
pub fn by_id(id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![id.into()])
}

/// How many scopes other than `id` are called `name`, as `total`.
pub fn name_taken(name: &str, id: &str) -> Statement<'static> {
    (NAME_TAKEN_SQL, vec![name.into(), id.into()])
}

/// The fields an admin sets on a scope.
pub struct ScopeFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub default: bool,
    /// The claims a custom scope releases, as a JSON list.
    pub claims_json: String,
    /// The scopes it requires, as a JSON list.
    pub requires_json: String,
}

fn field_args(id: &str, f: &ScopeFields<'_>, now: UnixTime) -> Vec<SqlArg> {
    vec![
        id.into(),
        f.name.into(),
        f.description.into(),
        f.default.into(),
        f.claims_json.as_str().into(),
        now.into(),
        f.requires_json.as_str().into(),
    ]
}

/// `old` renamed to `new` in every scope's `requires`.
pub fn rename_required(old: &str, new: &str, now: UnixTime) -> Statement<'static> {
    (RENAME_REQUIRED_SQL, vec![old.into(), new.into(), now.into()])
}

/// `name` taken out of every scope's `requires`.
pub fn remove_required(name: &str, now: UnixTime) -> Statement<'static> {
    (REMOVE_REQUIRED_SQL, vec![name.into(), now.into()])
}

/// How many of `names_json` (a JSON list) are scopes, as `total`.
pub fn known(names_json: String) -> Statement<'static> {
    (KNOWN_SQL, vec![names_json.into()])
}

/// A new custom scope; changes nothing when the name is taken meanwhile.
pub fn insert(id: &str, fields: &ScopeFields<'_>, now: UnixTime) -> Statement<'static> {
    (INSERT_SQL, field_args(id, fields, now))
}

/// A scope's new fields; changes nothing when the new name is another scope's.
pub fn update(id: &str, fields: &ScopeFields<'_>, now: UnixTime) -> Statement<'static> {
    (UPDATE_SQL, field_args(id, fields, now))
}

/// Deletes a custom scope (never a system one).
pub fn delete(id: &str) -> Statement<'static> {
    (DELETE_SQL, vec![id.into()])
}

/// Every scope's name and consent sentence, oldest first (`name`, `description`).
pub fn descriptions() -> Statement<'static> {
    (DESCRIPTIONS_SQL, vec![])
}

/// The `claims` lists of the custom scopes named in `names_json` (a JSON list).
pub fn custom_claims(names_json: String) -> Statement<'static> {
    (CUSTOM_CLAIMS_SQL, vec![names_json.into()])
}

/// A row of [`page`] / [`by_id`] (integers as `f64`, see [`int`]).
#[derive(Debug, Deserialize)]
pub struct ScopeRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub is_default: f64,
    pub claims: String,
    #[serde(default)]
    pub requires: Option<String>,
    pub system: f64,
    pub created_at: f64,
    pub updated_at: f64,
    pub clients: f64,
}

impl ScopeRow {
    pub fn is_system(&self) -> bool {
        self.system != 0.0
    }

    /// The API's view: a system scope shows the claims OIDC Core §5.4 gives it.
    pub fn view(self) -> Result<Scope, InternalError> {
        let claims = if self.is_system() {
            standard_claims(&self.name).iter().map(|c| (*c).to_owned()).collect()
        } else {
            serde_json::from_str(&self.claims).map_err(|e| InternalError::new(format!("scope claims: {e}")))?
        };
        let requires = match self.requires.as_deref() {
            Some(text) => serde_json::from_str(text).map_err(|e| InternalError::new(format!("scope requires: {e}")))?,
            None => Vec::new(),
        };
        Ok(Scope {
            requires,
            system: self.is_system(),
            default: self.is_default != 0.0,
            clients: u32::try_from(whole(self.clients)).unwrap_or(u32::MAX),
            created_at: int(self.created_at),
            updated_at: int(self.updated_at),
            claims,
            id: self.id,
            name: self.name,
            description: self.description,
        })
    }
}
