//! The statements the admin API runs on `scopes` (migrations/0009) and on the scope lists
//! of `clients` that a rename or a forced delete must follow.

use serde::Deserialize;
use shared::scopes::{standard_claims, Scope};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, whole};

/// A scope's columns and how many clients may request it.
const COLUMNS: &str = "s.id, s.name, s.description, s.is_default, s.claims, s.system, s.created_at, s.updated_at, \
(SELECT COUNT(*) FROM clients c WHERE EXISTS (SELECT 1 FROM json_each(c.scopes) j WHERE j.value = s.name)) AS clients";

/// System scopes first, then by name. ?1 limit, ?2 offset.
pub fn list_sql() -> String {
    format!("SELECT {COLUMNS} FROM scopes s ORDER BY s.system DESC, s.name LIMIT ?1 OFFSET ?2")
}

pub const COUNT_SQL: &str = "SELECT COUNT(*) AS total FROM scopes";

/// ?1 id.
pub fn by_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM scopes s WHERE s.id = ?1")
}

/// ?1 name (scope names are case-sensitive, RFC 6749 §3.3), ?2 the id to ignore.
pub const NAME_TAKEN_SQL: &str = "SELECT COUNT(*) AS total FROM scopes WHERE name = ?1 AND id != ?2";

/// ?1 id, ?2 name, ?3 description, ?4 default, ?5 claims (JSON), ?6 now. A name taken
/// meanwhile leaves it out (the UNIQUE constraint).
pub const INSERT_SQL: &str = "INSERT INTO scopes (id, name, description, is_default, claims, system, created_at, \
updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6) ON CONFLICT (name) DO NOTHING";

/// ?1 id, ?2 name, ?3 description, ?4 default, ?5 claims (JSON), ?6 now; never renames
/// onto another scope's name.
pub const UPDATE_SQL: &str = "UPDATE scopes SET name = ?2, description = ?3, is_default = ?4, claims = ?5, \
updated_at = ?6 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM scopes o WHERE o.name = ?2 AND o.id != ?1)";

/// Renames ?1 to ?2 in every client's scope list, ?3 now; only once the scope itself
/// carries the new name (the statement before it in the batch may have refused).
pub const RENAME_IN_CLIENTS_SQL: &str = "UPDATE clients SET scopes = (SELECT json_group_array(CASE WHEN j.value = ?1 \
THEN ?2 ELSE j.value END) FROM json_each(clients.scopes) j), updated_at = ?3 \
WHERE EXISTS (SELECT 1 FROM json_each(clients.scopes) j WHERE j.value = ?1) \
AND EXISTS (SELECT 1 FROM scopes WHERE name = ?2)";

/// Takes ?1 out of every client's scope list, ?2 now.
pub const REMOVE_FROM_CLIENTS_SQL: &str = "UPDATE clients SET scopes = (SELECT json_group_array(j.value) \
FROM json_each(clients.scopes) j WHERE j.value != ?1), updated_at = ?2 \
WHERE EXISTS (SELECT 1 FROM json_each(clients.scopes) j WHERE j.value = ?1)";

/// ?1 id; never a system scope.
pub const DELETE_SQL: &str = "DELETE FROM scopes WHERE id = ?1 AND system = 0";

/// A row of [`list_sql`] / [`by_id_sql`] (integers as `f64`, see [`int`]).
#[derive(Debug, Deserialize)]
pub struct ScopeRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub is_default: f64,
    pub claims: String,
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
        Ok(Scope {
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
