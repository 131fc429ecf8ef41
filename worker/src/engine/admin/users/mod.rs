//! The admin API on user accounts (docs/api.md, "Admin and account API"): list, create, read,
//! change, delete, unlock, reset mail, sessions, password status. The role hierarchy is in
//! [`roles`]; deactivating or deleting a user ends their sessions and revokes their tokens
//! (refresh tokens now; access tokens fail introspection and UserInfo from then on, see
//! `oauth::store`'s access-token state).

mod identities;
pub mod roles;
#[cfg(test)]
mod tests;

use serde_json::{json, Value};
use shared::account::{email_problem, ConsentSummary, Page};
use shared::admin::{AdminUser, NewUser, PasswordStatus, UserPatch, UserSession};
use shared::api::FieldError;
use shared::codes;

use self::roles::{last_super_admin, may_manage, Acting};
use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::crypto::passwords::hash_password;
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::accounts::{Accounts, Followup};
use crate::engine::identity::devices::device_name;
use crate::engine::identity::mfa;
use crate::engine::identity::password_expiry;
use crate::engine::identity::password_history;
use crate::engine::identity::password_rules;
use crate::engine::identity::sessions;
use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{count, first_row, SqlRunner};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::users::{self as table, AdminFields, AdminUserRow};

/// `GET /api/users` filters; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Part of the email or name.
    pub search: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub locked: Option<bool>,
    /// A second factor in force.
    pub mfa: Option<bool>,
}

/// Everything one admin request on users needs.
pub struct UserAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

request_context_view!(UserAdmin);

fn not_found() -> ApiError {
    ApiError::not_found(codes::NOT_FOUND, "no user with this id")
}

fn parse_role(value: &str) -> Result<Role, ApiError> {
    Role::parse(value).map_err(|_| ApiError::invalid("role", "role must be user, admin or super_admin"))
}

impl<P: Platform> UserAdmin<'_, P> {
    async fn audit(&self, event: &'static str, user_id: &str, metadata: Value) -> Result<(), ApiError> {
        let (actor_type, actor_id) = self.admin.actor();
        let event = AuditEvent::new(event, self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("user", user_id)
            .metadata(metadata);
        Ok(self.store.record(&event).await?)
    }

    async fn row(&self, id: &str) -> Result<AdminUserRow, ApiError> {
        first_row::<AdminUserRow>(self.store.select(table::admin_by_id(id)).await?)?.ok_or_else(not_found)
    }

    /// The target's row, if this admin may manage it (and give it `new_role`).
    async fn manageable(&self, id: &str, new_role: Option<Role>) -> Result<AdminUserRow, ApiError> {
        let row = self.row(id).await?;
        may_manage(Acting::of(self.admin), Role::parse(&row.role)?, new_role)?;
        Ok(row)
    }

    fn accounts(&self) -> Accounts<'_, P> {
        Accounts { rc: self.rc }
    }

    /// The policy for a user of `role` (admins: `ADMIN_PASSWORD_MIN_LENGTH` when larger).
    fn password_errors(&self, password: &str, role: Role) -> Result<(), ApiError> {
        let details: Vec<FieldError> = password_rules::problems(self.config, password, role != Role::User)
            .into_iter()
            .map(|message| FieldError { field: "password".into(), message })
            .collect();
        if details.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(details))
        }
    }

    /// `GET /api/users`: newest first; the page and the total in one round trip.
    pub async fn list(&self, filter: &UserFilter, limit: u32, offset: u32) -> Result<Page<AdminUser>, ApiError> {
        let mut results = self.store.query_batch(&table::admin_page(filter, self.now, limit, offset)).await?;
        let totals = results.pop().unwrap_or_default();
        let rows = results.pop().unwrap_or_default();
        let data = rows
            .into_iter()
            .map(|r| crate::engine::platform::json::row::<AdminUserRow>(r, "user").map(|row| row.view(self.now)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }

    pub async fn get(&self, id: &str) -> Result<AdminUser, ApiError> {
        Ok(self.row(id).await?.view(self.now))
    }

    /// `POST /api/users`: with a password (checked against the policy) or, with
    /// `send_password_mail`, none and a mailed link to set one (which proves the address).
    /// With a password, an address the admin does not vouch for (`email_verified`) gets a
    /// verification link when `EMAIL_VERIFICATION_REQUIRED`. Audited `user.created`.
    pub async fn create(&self, new: &NewUser) -> Result<AdminUser, ApiError> {
        let email = new.email.trim();
        if let Some(problem) = email_problem(email) {
            return Err(ApiError::invalid("email", problem));
        }
        let role = parse_role(new.role.as_deref().unwrap_or("user"))?;
        may_manage(Acting::of(self.admin), role, Some(role))?;
        let password_hash = match (&new.password, new.send_password_mail) {
            (Some(password), false) => {
                self.password_errors(password, role)?;
                Some(hash_password(password, self.rng)?)
            }
            (None, true) => None,
            _ => {
                return Err(ApiError::invalid("password", "give a password or send_password_mail, not both or neither"))
            }
        };
        let mut user =
            User::with_password(new_uuid(self.rng)?, email, String::new(), new.name.as_deref(), role, self.now);
        user.password_hash = password_hash;
        user.email_verified = new.email_verified;
        if !self.store.insert_user(&user).await? {
            return Err(ApiError::conflict(codes::EMAIL_TAKEN, "an account with this email exists"));
        }
        self.audit("user.created", &user.id, json!({ "role": role.as_str(), "password_mail": new.send_password_mail }))
            .await?;
        if new.send_password_mail {
            self.accounts().follow_up(Followup::Reset(Box::new(user.clone()))).await?;
        } else if self.config.security.email_verification_required && !user.email_verified {
            // The person proves the address before their first sign-in, as after a sign-up.
            self.accounts().follow_up(Followup::Verification(Box::new(user.clone()))).await?;
        }
        self.get(&user.id).await
    }

    /// `PATCH /api/users/{id}`: name, email, role, active, email_verified, password.
    /// Deactivating ends the user's sessions and revokes their tokens. Audited
    /// `user.updated` with the fields changed.
    pub async fn update(&self, id: &str, patch: &UserPatch) -> Result<AdminUser, ApiError> {
        let new_role = patch.role.as_deref().map(parse_role).transpose()?;
        let row = self.manageable(id, new_role).await?;
        let email = patch.email.as_deref().map(str::trim).unwrap_or(&row.email).to_owned();
        if let Some(problem) = email_problem(&email) {
            return Err(ApiError::invalid("email", problem));
        }
        if patch.email.is_some() && count(self.store.select(table::email_taken(&email, id)).await?)? > 0 {
            return Err(ApiError::conflict(codes::EMAIL_TAKEN, "another account has this email"));
        }
        let role_after = new_role.unwrap_or(Role::parse(&row.role)?);
        let previous = match &patch.password {
            Some(password) => {
                self.password_errors(password, role_after)?;
                let user = self.store.user_by_id(id).await?.ok_or_else(not_found)?;
                password_history::refuse_reuse(self.store, self.config, &user, "password", password).await?;
                Some(user)
            }
            None => None,
        };
        let role = new_role.unwrap_or(Role::parse(&row.role)?);
        let active = patch.active.unwrap_or(row.active != 0.0);
        let name = match &patch.name {
            Some(name) => Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            None => row.name.clone(),
        };
        let email_verified = patch.email_verified.unwrap_or(row.email_verified != 0.0 && email == row.email);
        let fields = AdminFields { email: &email, name: name.as_deref(), role: role.as_str(), active, email_verified };
        if self.store.exec(table::admin_update(id, &fields, self.now)).await? != 1 {
            // The row is there (read above): the database refused to leave no super_admin,
            // or the email was taken in between.
            return Err(if row.role == Role::SuperAdmin.as_str() { last_super_admin() } else { not_found() });
        }
        if let (Some(password), Some(previous)) = (&patch.password, &previous) {
            let hash = hash_password(password, self.rng)?;
            self.store.set_password(id, &hash, None, self.now).await?;
            password_history::remember(self.store, self.config, previous, self.now).await?;
        }
        if !active || patch.password.is_some() {
            self.end_everything(id).await?;
        }
        let fields: Vec<&str> = [
            ("name", patch.name.is_some()),
            ("email", patch.email.is_some()),
            ("role", patch.role.is_some()),
            ("active", patch.active.is_some()),
            ("email_verified", patch.email_verified.is_some()),
            ("password", patch.password.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect();
        self.audit("user.updated", id, json!({ "fields": fields, "role": role.as_str(), "active": active })).await?;
        self.get(id).await
    }

    /// The user's sessions end and their refresh tokens are revoked (their access tokens
    /// fail from now on where the user's state is read: introspection, UserInfo, admin).
    async fn end_everything(&self, id: &str) -> Result<u64, ApiError> {
        let live = sessions::list(self.store, self.config, id, self.now).await?;
        for session in &live {
            sessions::end(self.kv, self.store, self.config, session, self.now).await?;
        }
        self.store.revoke_user_refresh_tokens(id, self.now).await?;
        Ok(live.len() as u64)
    }

    /// `DELETE /api/users/{id}`: never the last active super_admin. Audited `user.deleted`.
    pub async fn delete(&self, id: &str) -> Result<(), ApiError> {
        let row = self.manageable(id, None).await?;
        self.end_everything(id).await?;
        // D1 counts the rows a cascade deleted (email links) among the changes: 0 is the miss.
        if self.store.exec(table::admin_delete(id)).await? == 0 {
            return Err(if row.role == Role::SuperAdmin.as_str() { last_super_admin() } else { not_found() });
        }
        self.audit("user.deleted", id, json!({ "email": row.email, "role": row.role })).await
    }

    /// `POST /api/users/{id}/unlock`: the account can sign in with its password again at
    /// once (a lock otherwise ends by itself, or never with `ENABLE_AUTO_UNLOCK=false`).
    /// Only within the role hierarchy, like every change to an account: an admin unlocks
    /// plain users, a super_admin anyone. Audited `user.unlocked`.
    pub async fn unlock(&self, id: &str) -> Result<(), ApiError> {
        self.manageable(id, None).await?;
        if self.store.select(table::unlock(id, self.now)).await?.is_empty() {
            return Err(not_found());
        }
        self.audit("user.unlocked", id, json!({})).await
    }

    /// `POST /api/users/{id}/send-password-reset`: the reset mail, as if the person had
    /// asked (audited `password.reset_requested` by the mail, `user.reset_sent` here).
    pub async fn send_password_reset(&self, id: &str) -> Result<(), ApiError> {
        let row = self.manageable(id, None).await?;
        let user = self.store.user_by_id(id).await?.ok_or_else(not_found)?;
        if row.active == 0.0 {
            return Err(ApiError::bad_request(codes::INVALID_REQUEST, "the account is deactivated"));
        }
        self.accounts().follow_up(Followup::Reset(Box::new(user))).await?;
        self.audit("user.reset_sent", id, json!({})).await
    }

    /// `GET /api/users/{id}/sessions`: live browser sessions, newest first.
    pub async fn sessions(&self, id: &str) -> Result<Vec<UserSession>, ApiError> {
        self.row(id).await?;
        let live = sessions::list(self.store, self.config, id, self.now).await?;
        Ok(live
            .into_iter()
            .map(|s| UserSession {
                id: s.id_hash,
                created_at: s.created_at,
                last_activity: s.last_seen_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                ip_address: s.ip_address,
                device: s.user_agent.as_deref().and_then(device_name),
                user_agent: s.user_agent,
                location: s.location,
            })
            .collect())
    }

    /// `DELETE /api/users/{id}/sessions`: signs the user out everywhere and revokes their
    /// refresh tokens. Audited `user.sessions_ended` with the count.
    pub async fn end_sessions(&self, id: &str) -> Result<u64, ApiError> {
        self.manageable(id, None).await?;
        let ended = self.end_everything(id).await?;
        self.audit("user.sessions_ended", id, json!({ "sessions": ended })).await?;
        Ok(ended)
    }

    /// `GET /api/users/{id}/consents`: the apps the user allowed, newest first.
    pub async fn consents(&self, id: &str) -> Result<Vec<ConsentSummary>, ApiError> {
        self.row(id).await?;
        Ok(self.store.consents_of(id).await?)
    }

    /// `DELETE /api/users/{id}/consents/{client_id}`: the app must ask the user again, and
    /// its refresh tokens for the user stop working. Audited `consent.revoked` with the
    /// user and the admin.
    pub async fn revoke_consent(&self, id: &str, client_id: &str) -> Result<(), ApiError> {
        self.manageable(id, None).await?;
        if !self.store.revoke_consent(id, client_id, self.now).await? {
            return Err(ApiError::not_found(codes::NOT_FOUND, "the user has not consented to this client"));
        }
        self.audit("consent.revoked", id, json!({ "client_id": client_id })).await
    }

    /// `DELETE /api/users/{id}/mfa`: the user's authenticator app, backup codes and
    /// passkeys are removed (a lost phone); they sign in with the password alone, or enrol again where
    /// a second factor is required. What relied on the removed factors ends with them:
    /// the user's sessions (a session signed in with them would still answer
    /// `acr_values` with the multi-factor level) and refresh tokens (they carry `amr`).
    /// Audited `mfa.disabled` with the admin as actor and the sessions ended.
    pub async fn reset_mfa(&self, id: &str) -> Result<(), ApiError> {
        self.manageable(id, None).await?;
        if !mfa::remove(self.store, id, true).await? {
            return Err(ApiError::not_found(codes::NOT_FOUND, "the user has no second factor"));
        }
        let ended = self.end_everything(id).await?;
        self.audit("mfa.disabled", id, json!({ "reset_by_admin": true, "sessions_ended": ended })).await
    }

    /// `GET /api/users/{id}/password-status`: when the password last changed (the
    /// account's creation if never), when it expires under the role's expiry days, and
    /// whether the next sign-in must change it first (`identity::password_expiry`).
    pub async fn password_status(&self, id: &str) -> Result<PasswordStatus, ApiError> {
        let row = self.row(id).await?;
        let has_password = row.has_password.is_some_and(|h| h != 0.0);
        let changed_at = row.password_changed_at.map(crate::engine::platform::ports::int);
        let last_changed =
            has_password.then(|| changed_at.unwrap_or(crate::engine::platform::ports::int(row.created_at)));
        let role = Role::parse(&row.role)?;
        let days = i64::from(password_expiry::days_for(self.config, role));
        let expires_at = last_changed.filter(|_| days > 0).map(|at| at + days * 86_400);
        let requires_change = last_changed.is_some_and(|at| {
            matches!(
                password_expiry::classify(self.config, role, at, self.now),
                password_expiry::Expiry::Expired { .. }
            )
        });
        Ok(PasswordStatus {
            has_password,
            last_changed,
            expires_at,
            days_until_expiry: expires_at.map(|at| (at - self.now).div_euclid(86_400)),
            requires_change,
            changed_at,
            age_days: changed_at.map(|at| (self.now - at).max(0) / 86_400),
        })
    }
}
