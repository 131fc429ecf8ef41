//! `PASSWORD_HISTORY_COUNT`: a password among a user's last N (the current one counts)
//! cannot be set again. The earlier hashes are kept in `password_history`
//! (migrations/0013), argon2id like the current one; checking costs one argon2
//! verification per remembered password, paid only when a password is being set.

use shared::api::FieldError;

use crate::engine::crypto::passwords::verify_password;
use crate::engine::identity::users::User;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::tables::password_history;

/// What the person reads.
pub const REUSED: &str = "This password was used recently. Please choose a different password.";

fn earlier_kept(config: &Config) -> u32 {
    config.security.password_history_count.saturating_sub(1)
}

/// A 422 on `field` when `password` is the user's current one or one of the remembered.
pub async fn refuse_reuse(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    field: &str,
    password: &str,
) -> Result<(), ApiError> {
    if config.security.password_history_count == 0 {
        return Ok(());
    }
    let mut hashes: Vec<String> = user.password_hash.iter().cloned().collect();
    if earlier_kept(config) > 0 {
        for row in store.select(password_history::newest(&user.id, earlier_kept(config))).await? {
            if let Some(hash) = row.get("password_hash").and_then(serde_json::Value::as_str) {
                hashes.push(hash.to_owned());
            }
        }
    }
    for hash in &hashes {
        if verify_password(password, hash)? {
            return Err(ApiError::Validation(vec![FieldError { field: field.into(), message: REUSED.into() }]));
        }
    }
    Ok(())
}

/// After a new password is set: remembers the one it replaced and forgets beyond the count.
pub async fn remember(
    store: &impl SqlRunner,
    config: &Config,
    user: &User,
    now: UnixTime,
) -> Result<(), InternalError> {
    let (Some(old), kept) = (&user.password_hash, earlier_kept(config)) else { return Ok(()) };
    if kept == 0 {
        return Ok(());
    }
    store
        .batch(&[password_history::insert(&user.id, old, now), password_history::keep_newest(&user.id, kept)])
        .await
        .map(|_| ())
}
