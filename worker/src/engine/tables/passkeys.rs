//! The `passkeys` table (migrations/0015): a registered passkey (WebAuthn) with its COSE
//! public key and signature counter; its row type and every statement on it.

use serde::Deserialize;
use shared::passkeys::PasskeyInfo;

use crate::engine::platform::ports::{int, Statement, UnixTime};

macro_rules! passkey_columns {
    () => {
        "credential_id, user_id, name, public_key, algorithm, sign_count, backup_eligible, created_at, last_used_at"
    };
}

const OF_USER_SQL: &str =
    concat!("SELECT ", passkey_columns!(), " FROM passkeys WHERE user_id = ?1 ORDER BY created_at");
const BY_ID_SQL: &str = concat!("SELECT ", passkey_columns!(), " FROM passkeys WHERE credential_id = ?1");
const INSERT_SQL: &str = "INSERT INTO passkeys (credential_id, user_id, name, public_key, algorithm, sign_count, \
backup_eligible, transports, aaguid, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
ON CONFLICT (credential_id) DO NOTHING";
/// WebAuthn §7.2 step 21: the counter only moves forward (both zero: an authenticator
/// without one).
const USE_SQL: &str = "UPDATE passkeys SET sign_count = ?2, last_used_at = ?3 WHERE credential_id = ?1 \
AND (sign_count < ?2 OR (sign_count = 0 AND ?2 = 0))";
const DELETE_SQL: &str = "DELETE FROM passkeys WHERE credential_id = ?1 AND user_id = ?2";
const DELETE_OF_USER_SQL: &str = "DELETE FROM passkeys WHERE user_id = ?1";

#[derive(Debug, Deserialize)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub user_id: String,
    pub name: String,
    pub public_key: String,
    pub algorithm: f64,
    pub sign_count: f64,
    pub backup_eligible: f64,
    pub created_at: f64,
    pub last_used_at: Option<f64>,
}

impl PasskeyRow {
    pub fn info(&self) -> PasskeyInfo {
        PasskeyInfo {
            id: self.credential_id.clone(),
            name: self.name.clone(),
            synced: self.backup_eligible != 0.0,
            created_at: int(self.created_at),
            last_used_at: self.last_used_at.map(int),
        }
    }
}

/// A passkey a registration ceremony verified.
pub struct PasskeyRecord<'a> {
    pub credential_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    /// The COSE key, base64url.
    pub public_key: String,
    pub algorithm: i64,
    pub sign_count: u32,
    /// Backup-eligible: a synced passkey.
    pub synced: bool,
    pub transports: String,
    pub aaguid: String,
}

/// A user's passkeys, oldest first ([`PasskeyRow`]).
pub fn of_user(user_id: &str) -> Statement<'static> {
    (OF_USER_SQL, vec![user_id.into()])
}

/// One passkey by credential id ([`PasskeyRow`]).
pub fn by_id(credential_id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![credential_id.into()])
}

/// A new passkey; changes nothing when the credential is registered already.
pub fn insert(p: &PasskeyRecord<'_>, now: UnixTime) -> Statement<'static> {
    let args = vec![
        p.credential_id.into(),
        p.user_id.into(),
        p.name.into(),
        p.public_key.as_str().into(),
        p.algorithm.into(),
        p.sign_count.into(),
        p.synced.into(),
        p.transports.as_str().into(),
        p.aaguid.as_str().into(),
        now.into(),
    ];
    (INSERT_SQL, args)
}

/// A sign-in with the passkey: the counter moves forward or nothing changes.
pub fn record_use(credential_id: &str, sign_count: u32, now: UnixTime) -> Statement<'static> {
    (USE_SQL, vec![credential_id.into(), sign_count.into(), now.into()])
}

/// Removes one of a user's passkeys.
pub fn delete(credential_id: &str, user_id: &str) -> Statement<'static> {
    (DELETE_SQL, vec![credential_id.into(), user_id.into()])
}

/// Removes all of a user's passkeys (an admin's reset after a lost device).
pub fn delete_of_user(user_id: &str) -> Statement<'static> {
    (DELETE_OF_USER_SQL, vec![user_id.into()])
}
