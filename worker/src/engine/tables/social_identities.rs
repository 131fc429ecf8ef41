//! The `social_identities` table (migrations/0016, 0017): a provider identity linked to one
//! account, with the provider's tokens sealed when kept; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const OWNER_SQL: &str = "SELECT user_id FROM social_identities WHERE provider = ?1 AND subject = ?2";
const LINK_SQL: &str = "INSERT INTO social_identities \
(provider, subject, user_id, email, linked_at, last_login_at, tokens, tokens_updated_at, linked_unverified) \
VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, CASE WHEN ?6 IS NULL THEN NULL ELSE ?5 END, \
COALESCE((SELECT 1 - email_verified FROM users WHERE id = ?3), 1)) \
ON CONFLICT (provider, subject) DO NOTHING";
/// The links made while the account's address was unproven (see migrations/0023), once a
/// mailed link proved it; the providers they were for.
const DROP_UNVERIFIED_SQL: &str =
    "DELETE FROM social_identities WHERE user_id = ?1 AND linked_unverified = 1 RETURNING provider";
const SEEN_SQL: &str = "UPDATE social_identities SET last_login_at = ?3, email = COALESCE(?4, email), tokens = ?5, \
tokens_updated_at = CASE WHEN ?5 IS NULL THEN NULL ELSE ?3 END WHERE provider = ?1 AND subject = ?2";
const TOKENS_SQL: &str = "SELECT subject, tokens FROM social_identities WHERE user_id = ?1 AND provider = ?2";
const COUNTS_SQL: &str = "SELECT provider, COUNT(*) AS users FROM social_identities GROUP BY provider";
const OF_USER_SQL: &str =
    "SELECT provider, email, linked_at, last_login_at FROM social_identities WHERE user_id = ?1 ORDER BY linked_at";
/// Removes the links of `user_id` made before the address was proven; rows name the providers.
pub fn drop_unverified(user_id: &str) -> Statement<'static> {
    (DROP_UNVERIFIED_SQL, vec![user_id.into()])
}

const UNLINK_SQL: &str = "DELETE FROM social_identities WHERE user_id = ?1 AND provider = ?2";

/// The account a provider identity is linked to (`user_id`).
pub fn owner(provider: &str, subject: &str) -> Statement<'static> {
    (OWNER_SQL, vec![provider.into(), subject.into()])
}

/// Links a provider identity to an account; changes nothing when it is linked already.
pub fn link(
    provider: &str,
    subject: &str,
    user_id: &str,
    email: Option<&str>,
    sealed_tokens: Option<&str>,
    now: UnixTime,
) -> Statement<'static> {
    (LINK_SQL, vec![provider.into(), subject.into(), user_id.into(), email.into(), now.into(), sealed_tokens.into()])
}

/// A sign-in with a linked identity: when, the address it asserted, its tokens (or none).
pub fn seen(
    provider: &str,
    subject: &str,
    email: Option<&str>,
    sealed_tokens: Option<&str>,
    now: UnixTime,
) -> Statement<'static> {
    (SEEN_SQL, vec![provider.into(), subject.into(), now.into(), email.into(), sealed_tokens.into()])
}

/// The sealed tokens of a user's identity at a provider (`subject`, `tokens`).
pub fn tokens(user_id: &str, provider: &str) -> Statement<'static> {
    (TOKENS_SQL, vec![user_id.into(), provider.into()])
}

/// How many accounts each provider has linked (`provider`, `users`).
pub fn counts() -> Statement<'static> {
    (COUNTS_SQL, vec![])
}

/// A user's linked identities, oldest first.
pub fn of_user(user_id: &str) -> Statement<'static> {
    (OF_USER_SQL, vec![user_id.into()])
}

pub fn unlink(user_id: &str, provider: &str) -> Statement<'static> {
    (UNLINK_SQL, vec![user_id.into(), provider.into()])
}
