//! The role hierarchy of the admin API (docs/api.md, "Admin and account API": `super_admin` >
//! `admin` > `user`; only a super_admin changes roles).

use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::identity::users::Role;
use crate::engine::platform::error::ApiError;

/// What the caller may do: a super_admin anything; an admin, or a service account holding
/// the `admin` scope, only what concerns plain users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting {
    SuperAdmin,
    Admin,
}

impl Acting {
    pub fn of(admin: &AdminPrincipal) -> Acting {
        if admin.is_super_admin() {
            Acting::SuperAdmin
        } else {
            Acting::Admin
        }
    }
}

fn forbidden(description: &str) -> ApiError {
    ApiError::forbidden(codes::SUPER_ADMIN_REQUIRED, description)
}

/// Whether `acting` may create, change or delete a user whose role is `target` and, with
/// `new_role`, give them that role.
pub fn may_manage(acting: Acting, target: Role, new_role: Option<Role>) -> Result<(), ApiError> {
    if acting == Acting::SuperAdmin {
        return Ok(());
    }
    if new_role.is_some_and(|r| r != target) {
        return Err(forbidden("only a super_admin changes roles"));
    }
    if target != Role::User {
        return Err(forbidden("only a super_admin manages admins and super_admins"));
    }
    Ok(())
}

/// The answer when a change would leave no active super_admin.
pub fn last_super_admin() -> ApiError {
    ApiError::conflict(codes::LAST_SUPER_ADMIN, "this is the last active super_admin: promote another one first")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_acting_and_target_roles() {
        let roles = [Role::User, Role::Admin, Role::SuperAdmin];
        for target in roles {
            // A super_admin manages everyone and gives any role.
            for new_role in roles {
                assert!(may_manage(Acting::SuperAdmin, target, Some(new_role)).is_ok(), "{target:?} -> {new_role:?}");
            }
            assert!(may_manage(Acting::SuperAdmin, target, None).is_ok());
            // An admin manages plain users only, and never changes a role.
            let plain = may_manage(Acting::Admin, target, None);
            assert_eq!(plain.is_ok(), target == Role::User, "{target:?}");
            for new_role in roles {
                let allowed = target == Role::User && new_role == Role::User;
                assert_eq!(
                    may_manage(Acting::Admin, target, Some(new_role)).is_ok(),
                    allowed,
                    "{target:?} -> {new_role:?}"
                );
            }
        }
    }
}
