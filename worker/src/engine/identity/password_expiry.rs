//! `PASSWORD_EXPIRY_DAYS` (`ADMIN_PASSWORD_EXPIRY_DAYS` for admins), with
//! `PASSWORD_EXPIRY_WARNING_DAYS` and `PASSWORD_EXPIRY_GRACE_DAYS`: a password's age is
//! counted from its last change (or the account's creation). Within the warning days
//! before expiry, and the grace days after it, a sign-in goes on and the screen offers the
//! change; after the grace days the change comes before the session starts (after the
//! second factor, so the password alone never changes the password).

use crate::engine::identity::users::{Role, User, UserStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::UnixTime;

/// Where a password stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Expiry is off, or far away.
    Fresh,
    /// Expires at (or expired at, within the grace days) this time: offer the change.
    Soon { at: UnixTime },
    /// Expired beyond the grace days: change it before the session starts.
    Expired { at: UnixTime },
}

/// The expiry period of `role`'s passwords in days; 0: they do not expire.
pub fn days_for(config: &Config, role: Role) -> u32 {
    let security = &config.security;
    match (role, security.admin_password_expiry_days) {
        (Role::Admin | Role::SuperAdmin, days) if days > 0 => days,
        _ => security.password_expiry_days,
    }
}

/// Where a password changed at `changed_at` stands at `now`.
pub fn classify(config: &Config, role: Role, changed_at: UnixTime, now: UnixTime) -> Expiry {
    let days = days_for(config, role);
    if days == 0 {
        return Expiry::Fresh;
    }
    let day = 86_400;
    let at = changed_at + i64::from(days) * day;
    let warn_from = at - i64::from(config.security.password_expiry_warning_days) * day;
    let grace_until = at + i64::from(config.security.password_expiry_grace_days) * day;
    if now >= grace_until {
        Expiry::Expired { at }
    } else if now >= warn_from {
        Expiry::Soon { at }
    } else {
        Expiry::Fresh
    }
}

/// Where `user`'s password stands: one read, and only when expiry is on for the role.
pub async fn of_user(
    store: &impl UserStore,
    config: &Config,
    user: &User,
    now: UnixTime,
) -> Result<Expiry, InternalError> {
    if days_for(config, user.role) == 0 || user.password_hash.is_none() {
        return Ok(Expiry::Fresh);
    }
    let changed = store.password_changed_at(&user.id).await?;
    Ok(of_changed_at(config, user, changed, now))
}

/// [`of_user`] with the time of the last change already read.
pub fn of_changed_at(config: &Config, user: &User, changed: Option<UnixTime>, now: UnixTime) -> Expiry {
    if days_for(config, user.role) == 0 || user.password_hash.is_none() {
        return Expiry::Fresh;
    }
    changed.map_or(Expiry::Fresh, |at| classify(config, user.role, at, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::fixtures::config_with;

    const DAY: i64 = 86_400;

    #[test]
    fn warning_days_before_grace_days_after_then_a_forced_change() {
        let config = config_with(|v| {
            v.insert("PASSWORD_EXPIRY_DAYS", "90".into());
            v.insert("PASSWORD_EXPIRY_WARNING_DAYS", "14".into());
            v.insert("PASSWORD_EXPIRY_GRACE_DAYS", "7".into());
        });
        let at = 90 * DAY;
        assert_eq!(classify(&config, Role::User, 0, at - 15 * DAY), Expiry::Fresh);
        assert_eq!(classify(&config, Role::User, 0, at - 14 * DAY), Expiry::Soon { at });
        assert_eq!(classify(&config, Role::User, 0, at + 6 * DAY), Expiry::Soon { at }, "within the grace days");
        assert_eq!(classify(&config, Role::User, 0, at + 7 * DAY), Expiry::Expired { at });
    }

    #[test]
    fn admins_follow_admin_password_expiry_days_when_set_and_zero_turns_expiry_off() {
        let config = config_with(|v| {
            v.insert("PASSWORD_EXPIRY_DAYS", "90".into());
            v.insert("ADMIN_PASSWORD_EXPIRY_DAYS", "30".into());
            v.insert("PASSWORD_EXPIRY_GRACE_DAYS", "0".into());
        });
        assert_eq!(classify(&config, Role::Admin, 0, 30 * DAY), Expiry::Expired { at: 30 * DAY });
        assert_eq!(classify(&config, Role::User, 0, 30 * DAY), Expiry::Fresh);
        let off = config_with(|_| {});
        assert_eq!(classify(&off, Role::SuperAdmin, 0, 10_000 * DAY), Expiry::Fresh, "the default is off");
    }
}
