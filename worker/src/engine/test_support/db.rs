//! Arranging and inspecting the database directly, through the same SQL port the stores
//! use: the writes the admin API will make, and reads of what a test expects written.

use serde_json::Value;

use crate::engine::identity::users::User;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{count, SqlArg, SqlRunner, UnixTime};
use crate::engine::tables::users::USER_COLUMNS;
use crate::native::SqliteStore;

/// Arranging and inspecting the database directly, for tests.
impl SqliteStore {
    fn run(&self, sql: &str, args: &[SqlArg]) -> u64 {
        pollster::block_on(self.execute(sql, args)).unwrap()
    }

    pub fn rows(&self, sql: &str, args: &[SqlArg]) -> Vec<Value> {
        pollster::block_on(self.query(sql, args)).unwrap()
    }

    fn count_of(&self, sql: &str, args: &[SqlArg]) -> i64 {
        pollster::block_on(async { count(self.query(sql, args).await?) }).unwrap() as i64
    }

    pub fn count_signing_keys(&self) -> Result<i64, InternalError> {
        Ok(self.count_of("SELECT COUNT(*) AS total FROM signing_keys", &[]))
    }

    /// What a rotation does to the old key: stop signing, stay published until `publish_until`.
    pub fn demote_to_verify(&self, kid: &str, publish_until: UnixTime) -> Result<(), InternalError> {
        let sql = "UPDATE signing_keys SET status = 'verify', publish_until = ?2 WHERE kid = ?1 AND status = 'active'";
        match self.run(sql, &[kid.into(), publish_until.into()]) {
            1 => Ok(()),
            _ => Err(InternalError::new(format!("no active key {kid} to demote"))),
        }
    }

    pub fn count_family(&self, family_id: &str) -> Result<i64, InternalError> {
        Ok(self.count_of("SELECT COUNT(*) AS total FROM refresh_tokens WHERE family_id = ?1", &[family_id.into()]))
    }

    /// Audit events recorded so far, oldest first.
    pub fn audit_events(&self) -> Result<Vec<Value>, InternalError> {
        Ok(self.rows("SELECT * FROM audit_log ORDER BY timestamp, rowid", &[]))
    }

    pub fn deactivate_user(&self, id: &str) -> Result<(), InternalError> {
        self.run("UPDATE users SET active = 0 WHERE id = ?1", &[id.into()]);
        Ok(())
    }

    pub fn change_email(&self, id: &str, email: &str) -> Result<(), InternalError> {
        self.run("UPDATE users SET email = ?2, email_verified = 0 WHERE id = ?1", &[id.into(), email.into()]);
        Ok(())
    }

    pub fn insert_user(&self, user: &User) -> Result<(), InternalError> {
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
        );
        let args = [
            (&user.id).into(),
            (&user.email).into(),
            user.password_hash.as_deref().into(),
            user.name.as_deref().into(),
            user.given_name.as_deref().into(),
            user.family_name.as_deref().into(),
            user.picture.as_deref().into(),
            user.locale.as_deref().into(),
            user.phone_number.as_deref().into(),
            user.phone_number_verified.into(),
            user.address.as_deref().into(),
            user.email_verified.into(),
            user.role.as_str().into(),
            user.active.into(),
            user.locked_until.into(),
            user.sign_ins.into(),
            user.created_at.into(),
            user.updated_at.into(),
        ];
        self.run(&sql, &args);
        Ok(())
    }
}
