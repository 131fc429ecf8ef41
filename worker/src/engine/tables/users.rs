//! The `users` table (migrations/0002): its one row type, the statements the sign-in
//! paths run on it, and [`UserStore`] over the one SQL port. Account changes (sign-up,
//! verification, passwords, profile) are in `identity::accounts::store`.

use serde::Deserialize;
use shared::admin::AdminUser;

use crate::engine::admin::users::UserFilter;
use crate::engine::identity::accounts::store::ProfileFields;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{first_row, int, SqlArg, SqlRunner, Statement, UnixTime};

/// Every column [`UserRow`] reads, as a literal so that statements can be built with `concat!`.
macro_rules! user_columns {
    () => {
        "id, email, password_hash, name, given_name, family_name, picture, locale, phone_number, \
phone_number_verified, address, email_verified, role, active, locked_until, sign_ins, created_at, updated_at"
    };
}

pub const USER_COLUMNS: &str = user_columns!();

/// A `users` row as one JSON object (or NULL), for joins with tables that share its
/// column names. `u` is the joined users table; decode with [`decode_user_json`].
macro_rules! user_json {
    () => {
        "CASE WHEN u.id IS NULL THEN NULL ELSE json_object('id', u.id, 'email', u.email, \
'password_hash', u.password_hash, 'name', u.name, 'given_name', u.given_name, 'family_name', u.family_name, \
'picture', u.picture, 'locale', u.locale, 'phone_number', u.phone_number, \
'phone_number_verified', u.phone_number_verified, 'address', u.address, 'email_verified', u.email_verified, \
'role', u.role, 'active', u.active, 'locked_until', u.locked_until, 'sign_ins', u.sign_ins, \
'created_at', u.created_at, \
'updated_at', u.updated_at) END AS user_json"
    };
}
pub(crate) use user_json;

/// Inserts the first super_admin: only while none exists, and never over an existing email.
const INSERT_FIRST_SUPER_ADMIN_SQL: &str = "INSERT INTO users (id, email, password_hash, name, email_verified, \
role, active, password_changed_at, created_at, updated_at) \
SELECT ?1, ?2, ?3, ?4, 1, 'super_admin', 1, ?5, ?5, ?5 \
WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin') ON CONFLICT DO NOTHING";

/// Counts one failed password sign-in (see `UserStore::record_failed_login`). SQLite
/// evaluates every SET expression on the old row, so the threshold test is the same in
/// each. ?1 id, ?2 now, ?3 threshold, ?4 lock seconds, ?5 progressive (1: the lock is
/// ?4 doubled once per earlier lockout since the last successful sign-in, at most 8 x ?4).
const RECORD_FAILED_LOGIN_SQL: &str = "UPDATE users SET \
failed_attempts = CASE WHEN failed_attempts + 1 >= ?3 THEN 0 ELSE failed_attempts + 1 END, \
locked_at = CASE WHEN failed_attempts + 1 >= ?3 THEN ?2 ELSE locked_at END, \
locked_until = CASE WHEN failed_attempts + 1 >= ?3 \
THEN ?2 + ?4 * (CASE WHEN ?5 = 1 THEN (1 << MIN(lockout_count, 3)) ELSE 1 END) ELSE locked_until END, \
lockout_count = lockout_count + (CASE WHEN failed_attempts + 1 >= ?3 THEN 1 ELSE 0 END) \
WHERE id = ?1";

/// One more wrong secret of the user, for a batch: at the `threshold`-th consecutive
/// failure the count restarts and the account locks for `duration` seconds (doubled per
/// earlier lockout when `progressive`, at most 8 times). The `user.locked` entry that goes
/// with a lock is `tables::audit_log::insert_if_locked_now`, in the same batch.
pub fn record_failed_login(
    user_id: &str,
    now: UnixTime,
    threshold: u32,
    duration: u32,
    progressive: bool,
) -> Statement<'static> {
    (RECORD_FAILED_LOGIN_SQL, vec![user_id.into(), now.into(), threshold.into(), duration.into(), progressive.into()])
}

/// The user with the address ?1 (any case).
const USER_BY_EMAIL_SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE email = ?1 COLLATE NOCASE");

/// When ?1's password was last set (the account's creation if never changed).
const PASSWORD_CHANGED_SQL: &str =
    "SELECT COALESCE(password_changed_at, created_at) AS changed_at FROM users WHERE id = ?1";
/// [`PASSWORD_CHANGED_SQL`] by the account's address (?1).
const PASSWORD_CHANGED_BY_EMAIL_SQL: &str =
    "SELECT COALESCE(password_changed_at, created_at) AS changed_at FROM users WHERE email = ?1 COLLATE NOCASE";

/// Records that `REQUIRE_*MFA` first asked the user for a second factor (the grace
/// period runs from then). ?1 id, ?2 now.
const MFA_ASKED_SQL: &str = "UPDATE users SET mfa_asked_at = ?2 WHERE id = ?1 AND mfa_asked_at IS NULL";

/// The user with this address (any case), for a batch.
pub fn by_email(email: &str) -> Statement<'static> {
    (USER_BY_EMAIL_SQL, vec![email.into()])
}

/// When the user last set their password (`changed_at`), for a batch.
pub fn password_changed(user_id: &str) -> Statement<'static> {
    (PASSWORD_CHANGED_SQL, vec![user_id.into()])
}

/// When the account with this address last set its password (`changed_at`), for a batch.
pub fn password_changed_by_email(email: &str) -> Statement<'static> {
    (PASSWORD_CHANGED_BY_EMAIL_SQL, vec![email.into()])
}

/// The first time a second factor was asked for; later calls change nothing.
pub fn mfa_asked(user_id: &str, now: UnixTime) -> Statement<'static> {
    (MFA_ASKED_SQL, vec![user_id.into(), now.into()])
}

/// A complete sign-in: the failure count and lock reset, `last_login_at` now.
pub fn record_successful_login_statement(user_id: &str, now: UnixTime) -> Statement<'static> {
    (RECORD_SUCCESSFUL_LOGIN_SQL, vec![user_id.into(), now.into()])
}

const RECORD_SUCCESSFUL_LOGIN_SQL: &str =
    "UPDATE users SET failed_attempts = 0, locked_until = NULL, lockout_count = 0, last_login_at = ?2, \
sign_ins = sign_ins + 1 WHERE id = ?1";

const INSERT_USER_SQL: &str = "INSERT INTO users (id, email, password_hash, name, email_verified, role, active, \
password_changed_at, created_at, updated_at, locale) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?7, ?8) \
ON CONFLICT DO NOTHING";
const MARK_VERIFIED_SQL: &str = "UPDATE users SET email_verified = 1, updated_at = ?3 \
WHERE id = ?1 AND email = ?2 COLLATE NOCASE AND email_verified = 0";
const SET_PASSWORD_SQL: &str = "UPDATE users SET password_hash = ?2, password_changed_at = ?3, updated_at = ?3, \
failed_attempts = 0, locked_until = NULL, lockout_count = 0, \
email_verified = CASE WHEN ?4 IS NOT NULL AND email = ?4 COLLATE NOCASE THEN 1 ELSE email_verified END \
WHERE id = ?1";
const UPDATE_PROFILE_SQL: &str =
    "UPDATE users SET name = ?2, given_name = ?3, family_name = ?4, locale = ?5, updated_at = ?6 WHERE id = ?1";

/// A new account (sign-up, an admin's create); changes nothing when the email is taken
/// (case-insensitively).
pub fn insert(u: &User) -> Statement<'static> {
    let args = vec![
        (&u.id).into(),
        (&u.email).into(),
        u.password_hash.as_deref().into(),
        u.name.as_deref().into(),
        u.email_verified.into(),
        u.role.as_str().into(),
        u.created_at.into(),
        u.locale.as_deref().into(),
    ];
    (INSERT_USER_SQL, args)
}

/// Marks the address verified, if the account still has `email`.
pub fn mark_email_verified(user_id: &str, email: &str, now: UnixTime) -> Statement<'static> {
    (MARK_VERIFIED_SQL, vec![user_id.into(), email.into(), now.into()])
}

/// A new password hash; ends any lockout and, when `verified_email` is still the
/// account's address (a reset proves the mailbox), marks it verified.
pub fn set_password(user_id: &str, hash: &str, verified_email: Option<&str>, now: UnixTime) -> Statement<'static> {
    (SET_PASSWORD_SQL, vec![user_id.into(), hash.into(), now.into(), verified_email.into()])
}

pub fn update_profile(user_id: &str, f: &ProfileFields, now: UnixTime) -> Statement<'static> {
    let args = vec![
        user_id.into(),
        f.name.as_deref().into(),
        f.given_name.as_deref().into(),
        f.family_name.as_deref().into(),
        f.locale.as_deref().into(),
        now.into(),
    ];
    (UPDATE_PROFILE_SQL, args)
}

/// A `users` row as stored; integers and 0/1 flags as `f64` (see [`int`]).
#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: f64,
    pub address: Option<String>,
    pub email_verified: f64,
    pub role: String,
    pub active: f64,
    pub locked_until: Option<f64>,
    #[serde(default)]
    pub sign_ins: f64,
    pub created_at: f64,
    pub updated_at: f64,
}

impl UserRow {
    pub fn into_user(self) -> Result<User, InternalError> {
        Ok(User {
            role: Role::parse(&self.role)?,
            id: self.id,
            email: self.email,
            password_hash: self.password_hash,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            picture: self.picture,
            locale: self.locale,
            phone_number: self.phone_number,
            phone_number_verified: self.phone_number_verified != 0.0,
            address: self.address,
            email_verified: self.email_verified != 0.0,
            active: self.active != 0.0,
            locked_until: self.locked_until.map(int),
            sign_ins: int(self.sign_ins),
            created_at: int(self.created_at),
            updated_at: int(self.updated_at),
        })
    }
}

/// The column [`user_json`] makes, decoded.
pub fn decode_user_json(text: Option<String>) -> Result<Option<User>, InternalError> {
    match text {
        Some(text) => Ok(Some(
            crate::engine::platform::json::parse::<UserRow>(text.as_bytes())
                .map_err(|e| InternalError::new(format!("user JSON: {e}")))?
                .into_user()?,
        )),
        None => Ok(None),
    }
}

/// The first row of a `SELECT {USER_COLUMNS} FROM users` query.
pub fn first_user(rows: Vec<serde_json::Value>) -> Result<Option<User>, InternalError> {
    first_row::<UserRow>(rows)?.map(UserRow::into_user).transpose()
}

/// `SELECT` one user by id, for batching with another read.
pub fn user_by_id_statement(id: &str) -> Statement<'static> {
    (USER_BY_ID_SQL, vec![id.into()])
}

const USER_BY_ID_SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?1");

/// The user of a session, only while the session's D1 row exists: the check that ends a
/// session at every edge at once, folded into the user read (`identity::sessions`).
/// ?1 user, ?2 session id hash.
const USER_OF_SESSION_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE id = ?1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = ?2 AND s.user_id = ?1)"
);

/// The user of the session whose id hash is ?1, while its row exists (`/authorize` in one
/// trip reads it before KV has named the user).
const USER_BY_SESSION_HASH_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE id = (SELECT s.user_id FROM sessions s WHERE s.id_hash = ?1)"
);

/// [`USER_BY_SESSION_HASH_SQL`], for a batch.
pub fn of_session_hash(id_hash: &str) -> Statement<'static> {
    (USER_BY_SESSION_HASH_SQL, vec![id_hash.into()])
}

/// [`USER_OF_SESSION_SQL`], for batching with another read.
pub fn user_of_session_statement(session: &Session) -> Statement<'static> {
    (USER_OF_SESSION_SQL, vec![session.user_id.as_str().into(), session.id_hash.as_str().into()])
}

/// The session's user, if the session has not ended (its D1 row is there).
pub async fn user_of_session(db: &impl SqlRunner, session: &Session) -> Result<Option<User>, InternalError> {
    let (sql, args) = user_of_session_statement(session);
    first_user(db.query(sql, &args).await?)
}

impl<T: SqlRunner> UserStore for T {
    async fn password_changed_at(&self, user_id: &str) -> Result<Option<UnixTime>, InternalError> {
        let rows = self.select(password_changed(user_id)).await?;
        Ok(rows.first().and_then(|r| r.get("changed_at")).and_then(serde_json::Value::as_f64).map(int))
    }
    async fn mfa_state(&self, user_id: &str) -> Result<crate::engine::identity::mfa::MfaState, InternalError> {
        crate::engine::identity::mfa::state(self, user_id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, InternalError> {
        first_user(self.select(by_email(email)).await?)
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>, InternalError> {
        first_user(self.query(USER_BY_ID_SQL, &[id.into()]).await?)
    }

    async fn super_admin_exists(&self) -> Result<bool, InternalError> {
        #[derive(Deserialize)]
        struct Row {
            present: f64,
        }
        let sql = "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'super_admin') AS present";
        Ok(first_row::<Row>(self.query(sql, &[]).await?)?.is_some_and(|r| r.present != 0.0))
    }

    async fn insert_first_super_admin(&self, user: &User) -> Result<bool, InternalError> {
        let args = [
            (&user.id).into(),
            (&user.email).into(),
            user.password_hash.as_deref().into(),
            user.name.as_deref().into(),
            user.created_at.into(),
        ];
        Ok(self.execute(INSERT_FIRST_SUPER_ADMIN_SQL, &args).await? == 1)
    }
}

// ---- the admin API ---------------------------------------------------------------------

/// The admin view's columns.
macro_rules! admin_user_columns {
    () => {
        "id, email, name, role, active, email_verified, locked_at, locked_until, \
failed_attempts, created_at, updated_at, last_login_at, \
COALESCE((SELECT confirmed_at FROM mfa_totp t WHERE t.user_id = users.id), \
(SELECT MIN(created_at) FROM passkeys p WHERE p.user_id = users.id)) AS mfa_configured_at"
    };
}

/// The filters of `GET /api/users`: ?1 search (text in the email or name, ASCII case
/// ignored; `instr`, not LIKE, so `%` and `_` are literal and D1's short LIKE-pattern
/// limit does not apply), ?2 role,
/// ?3 active (0/1), ?4 locked (0/1) at ?5 now, ?6 a second factor (app or passkey) in force (0/1); each
/// NULL when not asked for.
macro_rules! admin_filter {
    () => {
        "(?1 IS NULL OR instr(lower(email), lower(?1)) > 0 OR instr(lower(name), lower(?1)) > 0) \
AND (?2 IS NULL OR role = ?2) AND (?3 IS NULL OR active = ?3) \
AND (?4 IS NULL OR (CASE WHEN locked_until > ?5 THEN 1 ELSE 0 END) = ?4) \
AND (?6 IS NULL OR (EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL) \
  OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id)) = ?6)"
    };
}

const ADMIN_PAGE_SQL: &str = concat!(
    "SELECT ",
    admin_user_columns!(),
    " FROM users WHERE ",
    admin_filter!(),
    " ORDER BY created_at DESC, id LIMIT ?7 OFFSET ?8"
);

const ADMIN_COUNT_SQL: &str = concat!("SELECT COUNT(*) AS total FROM users WHERE ", admin_filter!());

const ADMIN_BY_ID_SQL: &str = concat!(
    "SELECT ",
    admin_user_columns!(),
    ", password_changed_at, password_hash IS NOT NULL AS has_password FROM users WHERE id = ?1"
);

/// Every field an admin may change, in one statement that also keeps the rules the
/// database can check at once: the email stays unique, and the last active super_admin is
/// never demoted or deactivated (two admins acting at once cannot both pass a count).
/// ?1 id, ?2 email, ?3 name, ?4 role, ?5 active, ?6 email_verified, ?7 now.
const ADMIN_UPDATE_SQL: &str = "UPDATE users SET email = ?2, name = ?3, role = ?4, active = ?5, \
email_verified = ?6, updated_at = ?7 WHERE id = ?1 \
AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = ?2 COLLATE NOCASE AND o.id != ?1) \
AND (role != 'super_admin' OR (?4 = 'super_admin' AND ?5 = 1) \
  OR EXISTS (SELECT 1 FROM users o WHERE o.role = 'super_admin' AND o.active = 1 AND o.id != ?1))";

/// Deletes a user unless it is the last active super_admin. ?1 id.
const ADMIN_DELETE_SQL: &str = "DELETE FROM users WHERE id = ?1 AND (role != 'super_admin' \
OR EXISTS (SELECT 1 FROM users o WHERE o.role = 'super_admin' AND o.active = 1 AND o.id != ?1))";

/// Whether an email is taken by someone else. ?1 email, ?2 id.
const EMAIL_TAKEN_SQL: &str = "SELECT COUNT(*) AS total FROM users WHERE email = ?1 COLLATE NOCASE AND id != ?2";

/// Lifts a lockout and forgets the failures and earlier lockouts behind it.
const UNLOCK_SQL: &str = "UPDATE users SET failed_attempts = 0, locked_until = NULL, lockout_count = 0, \
updated_at = ?2 WHERE id = ?1 RETURNING locked_at";

fn admin_filter_args(filter: &UserFilter, now: UnixTime) -> Vec<SqlArg> {
    vec![
        filter.search.as_deref().into(),
        filter.role.as_deref().into(),
        filter.active.map(i64::from).into(),
        filter.locked.map(i64::from).into(),
        now.into(),
        filter.mfa.map(i64::from).into(),
    ]
}

/// A page of the admin API's user list ([`AdminUserRow`]), newest first, and its total:
/// two statements for one batch.
pub fn admin_page(filter: &UserFilter, now: UnixTime, limit: u32, offset: u32) -> [Statement<'static>; 2] {
    let mut page = admin_filter_args(filter, now);
    page.extend([limit.into(), offset.into()]);
    [(ADMIN_PAGE_SQL, page), (ADMIN_COUNT_SQL, admin_filter_args(filter, now))]
}

/// One user as the admin view reads it ([`AdminUserRow`]).
pub fn admin_by_id(id: &str) -> Statement<'static> {
    (ADMIN_BY_ID_SQL, vec![id.into()])
}

/// The fields an admin changes on a user.
pub struct AdminFields<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub role: &'a str,
    pub active: bool,
    pub email_verified: bool,
}

/// An admin's change ([`ADMIN_UPDATE_SQL`]): changes nothing when the email is taken or
/// the last active super_admin would go.
pub fn admin_update(id: &str, f: &AdminFields<'_>, now: UnixTime) -> Statement<'static> {
    let args = vec![
        id.into(),
        f.email.into(),
        f.name.into(),
        f.role.into(),
        f.active.into(),
        f.email_verified.into(),
        now.into(),
    ];
    (ADMIN_UPDATE_SQL, args)
}

/// Deletes a user unless it is the last active super_admin.
pub fn admin_delete(id: &str) -> Statement<'static> {
    (ADMIN_DELETE_SQL, vec![id.into()])
}

/// How many other users have `email`, as `total`.
pub fn email_taken(email: &str, id: &str) -> Statement<'static> {
    (EMAIL_TAKEN_SQL, vec![email.into(), id.into()])
}

/// Lifts a lockout; returns the row (`locked_at`) when the user exists.
pub fn unlock(id: &str, now: UnixTime) -> Statement<'static> {
    (UNLOCK_SQL, vec![id.into(), now.into()])
}

/// A `users` row as the admin view reads it.
#[derive(Debug, Deserialize)]
pub struct AdminUserRow {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub role: String,
    pub active: f64,
    pub email_verified: f64,
    #[serde(default)]
    pub locked_at: Option<f64>,
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
            locked_at: unlock_at.and(self.locked_at.map(int)),
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
