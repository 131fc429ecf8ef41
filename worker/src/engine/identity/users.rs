//! People: the user record the token service reads, and the claims it releases by scope
//! (OIDC Core §5.4).

use serde_json::{Map, Value};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::UnixTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    SuperAdmin,
    Admin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    pub fn parse(value: &str) -> Result<Role, InternalError> {
        match value {
            "super_admin" => Ok(Role::SuperAdmin),
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            other => Err(InternalError::new(format!("unknown role `{other}`"))),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    /// argon2id PHC string; `None` for accounts without a password.
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    /// OIDC Core §5.1.1 address object, as JSON text.
    pub address: Option<String>,
    pub email_verified: bool,
    pub role: Role,
    pub active: bool,
    /// Set while password sign-in is locked after `LOCKOUT_THRESHOLD` failures.
    pub locked_until: Option<UnixTime>,
    /// Completed sign-ins: a pending sign-in is bound to the count it began at.
    pub sign_ins: i64,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The scope of admin tokens (docs/api.md, "Admin and account API"): held only by users
/// whose role is admin or super_admin, whatever the client may ask for.
pub const ADMIN_SCOPE: &str = "admin";

impl User {
    /// A new, active account that signs in with a password; the address is unverified
    /// until a mailed link (or the bootstrap) says otherwise.
    pub fn with_password(
        id: String,
        email: &str,
        password_hash: String,
        name: Option<&str>,
        role: Role,
        now: UnixTime,
    ) -> User {
        User::new_account(id, email, Some(password_hash), name, role, now)
    }

    /// A new, active account, unverified; `password_hash` `None` for one that signs in
    /// only through another identity provider or a passkey.
    pub fn new_account(
        id: String,
        email: &str,
        password_hash: Option<String>,
        name: Option<&str>,
        role: Role,
        now: UnixTime,
    ) -> User {
        User {
            id,
            email: email.into(),
            password_hash,
            name: name.map(str::to_owned),
            given_name: None,
            family_name: None,
            picture: None,
            locale: None,
            phone_number: None,
            phone_number_verified: false,
            address: None,
            email_verified: false,
            role,
            active: true,
            locked_until: None,
            sign_ins: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// `scopes` without those this user may not hold (RFC 6749 §3.3 lets the server grant
    /// less than asked; the token response then names what was granted).
    pub fn grantable(&self, scopes: &[String]) -> Vec<String> {
        let admin = matches!(self.role, Role::Admin | Role::SuperAdmin);
        scopes.iter().filter(|s| admin || s.as_str() != ADMIN_SCOPE).cloned().collect()
    }

    /// The claims named in `claims` (OIDC Core §5.1) that this user has values for;
    /// which ones a token's scopes release is `oauth::scope::ScopeStore::released_claims`.
    pub fn claims_for(&self, claims: &[String]) -> Map<String, Value> {
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let mut out = Map::new();
        for claim in claims {
            let value = match claim.as_str() {
                "name" => text(&self.name),
                "given_name" => text(&self.given_name),
                "family_name" => text(&self.family_name),
                "picture" => text(&self.picture),
                "locale" => text(&self.locale),
                "updated_at" => Some(Value::from(self.updated_at)),
                "email" => Some(Value::String(self.email.clone())),
                "email_verified" => Some(Value::Bool(self.email_verified)),
                "phone_number" => text(&self.phone_number),
                "phone_number_verified" => self.phone_number.as_ref().map(|_| Value::Bool(self.phone_number_verified)),
                "address" => self.address.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()),
                _ => None,
            };
            if let Some(value) = value {
                out.insert(claim.clone(), value);
            }
        }
        out
    }
}

#[allow(async_fn_in_trait)]
pub trait UserStore {
    /// By email, case-insensitively (the `users_email` NOCASE index).
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, InternalError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>, InternalError>;
    async fn super_admin_exists(&self) -> Result<bool, InternalError>;
    /// Inserts `user` only if no super_admin exists and the email is free, in one
    /// statement; returns whether it was inserted.
    async fn insert_first_super_admin(&self, user: &User) -> Result<bool, InternalError>;
    /// The user's second factor (`identity::mfa`).
    async fn mfa_state(&self, user_id: &str) -> Result<crate::engine::identity::mfa::MfaState, InternalError>;
    /// When the user's password was last set (`identity::password_expiry`).
    async fn password_changed_at(&self, user_id: &str) -> Result<Option<UnixTime>, InternalError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::alice;

    #[test]
    fn only_admins_hold_the_admin_scope() {
        let scopes: Vec<String> = ["openid", "admin", "email"].map(String::from).to_vec();
        let mut user = alice();
        assert_eq!(user.grantable(&scopes), vec!["openid", "email"]);
        user.role = Role::Admin;
        assert_eq!(user.grantable(&scopes), scopes);
        user.role = Role::SuperAdmin;
        assert_eq!(user.grantable(&scopes), scopes);
    }

    #[test]
    fn oidc_core_5_4_claims_are_released_by_scope_only() {
        let u = alice();
        let of = |scopes: &[&str]| -> Vec<String> {
            scopes.iter().flat_map(|s| shared::scopes::standard_claims(s)).map(|c| (*c).to_owned()).collect()
        };
        let none = u.claims_for(&of(&["openid"]));
        assert!(none.is_empty());
        let profile = u.claims_for(&of(&["openid", "profile"]));
        assert_eq!(profile["name"], "Alice Liddell");
        assert_eq!(profile["updated_at"], 2);
        assert!(!profile.contains_key("email"));
        assert!(!profile.contains_key("picture"), "absent values are left out");
        let email = u.claims_for(&of(&["email"]));
        assert_eq!(email["email"], "Alice@Example.com");
        assert_eq!(email["email_verified"], true);
        assert!(!email.contains_key("name"));
        assert_eq!(u.claims_for(&of(&["address"]))["address"]["locality"], "Oxford");
        assert!(u.claims_for(&of(&["phone"])).is_empty());
    }
}
