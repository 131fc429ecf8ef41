//! The statements the admin API runs on `users` (the table is migrations/0002's).

use serde::Deserialize;
use shared::admin::AdminUser;

use crate::engine::platform::ports::{int, UnixTime};

/// The admin view's columns.
pub const ADMIN_USER_COLUMNS: &str = "id, email, name, role, active, email_verified, locked_until, \
failed_attempts, created_at, updated_at, last_login_at, \
COALESCE((SELECT confirmed_at FROM mfa_totp t WHERE t.user_id = users.id), \
(SELECT MIN(created_at) FROM passkeys p WHERE p.user_id = users.id)) AS mfa_configured_at";

/// The filters of `GET /api/users`: ?1 search (text in the email or name, ASCII case
/// ignored; `instr`, not LIKE, so `%` and `_` are literal and D1's short LIKE-pattern
/// limit does not apply), ?2 role,
/// ?3 active (0/1), ?4 locked (0/1) at ?5 now, ?6 a second factor (app or passkey) in force (0/1); each
/// NULL when not asked for.
const FILTER: &str = "(?1 IS NULL OR instr(lower(email), lower(?1)) > 0 OR instr(lower(name), lower(?1)) > 0) \
AND (?2 IS NULL OR role = ?2) AND (?3 IS NULL OR active = ?3) \
AND (?4 IS NULL OR (CASE WHEN locked_until > ?5 THEN 1 ELSE 0 END) = ?4) \
AND (?6 IS NULL OR (EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) \
  OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id)) = ?6)";

pub fn list_sql() -> String {
    format!("SELECT {ADMIN_USER_COLUMNS} FROM users WHERE {FILTER} ORDER BY created_at DESC, id LIMIT ?7 OFFSET ?8")
}

pub fn count_sql() -> String {
    format!("SELECT COUNT(*) AS total FROM users WHERE {FILTER}")
}

pub fn by_id_sql() -> String {
    format!("SELECT {ADMIN_USER_COLUMNS}, password_changed_at, password_hash IS NOT NULL AS has_password FROM users WHERE id = ?1")
}

/// Every field an admin may change, in one statement that also keeps the rules the
/// database can check at once: the email stays unique, and the last active super_admin is
/// never demoted or deactivated (two admins acting at once cannot both pass a count).
/// ?1 id, ?2 email, ?3 name, ?4 role, ?5 active, ?6 email_verified, ?7 now.
pub const UPDATE_SQL: &str = "UPDATE users SET email = ?2, name = ?3, role = ?4, active = ?5, \
email_verified = ?6, updated_at = ?7 WHERE id = ?1 \
AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = ?2 COLLATE NOCASE AND o.id != ?1) \
AND (role != 'super_admin' OR (?4 = 'super_admin' AND ?5 = 1) \
  OR EXISTS (SELECT 1 FROM users o WHERE o.role = 'super_admin' AND o.active = 1 AND o.id != ?1))";

/// Deletes a user unless it is the last active super_admin. ?1 id.
pub const DELETE_SQL: &str = "DELETE FROM users WHERE id = ?1 AND (role != 'super_admin' \
OR EXISTS (SELECT 1 FROM users o WHERE o.role = 'super_admin' AND o.active = 1 AND o.id != ?1))";

/// Whether an email is taken by someone else. ?1 email, ?2 id.
pub const EMAIL_TAKEN_SQL: &str = "SELECT COUNT(*) AS total FROM users WHERE email = ?1 COLLATE NOCASE AND id != ?2";

/// A `users` row as the admin view reads it.
#[derive(Debug, Deserialize)]
pub struct AdminUserRow {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub role: String,
    pub active: f64,
    pub email_verified: f64,
    pub locked_until: Option<f64>,
    pub failed_attempts: f64,
    pub created_at: f64,
    pub updated_at: f64,
    pub last_login_at: Option<f64>,
    #[serde(default)]
    pub mfa_configured_at: Option<f64>,
    #[serde(default)]
    pub password_changed_at: Option<f64>,
    #[serde(default)]
    pub has_password: Option<f64>,
}

impl AdminUserRow {
    pub fn view(&self, now: UnixTime) -> AdminUser {
        let unlock_at = self.locked_until.map(int).filter(|until| *until > now);
        AdminUser {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            active: self.active != 0.0,
            email_verified: self.email_verified != 0.0,
            locked: unlock_at.is_some(),
            unlock_at,
            failed_attempts: self.failed_attempts as u32,
            created_at: int(self.created_at),
            updated_at: int(self.updated_at),
            last_login_at: self.last_login_at.map(int),
            mfa_enabled: self.mfa_configured_at.is_some(),
            mfa_configured_at: self.mfa_configured_at.map(int),
        }
    }
}
