//! The `revoked_access_tokens` table (migrations/0002): a revoked JWT access token's
//! `jti` until it would expire, and [`RevocationStore`] over the one SQL port (whose read,
//! `tables::access_token_state`, also consults `client_token_cutoffs` and `users`).

use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState, RevocationStore};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, Statement, UnixTime};
use crate::engine::tables::users::{first_user, user_by_id_statement};
use crate::engine::tables::{access_token_state, decode_access_token_state};

/// Records a revoked access token until it would have expired anyway.
const REVOKE_ACCESS_TOKEN_SQL: &str = "INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) \
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (jti) DO NOTHING";

impl<T: SqlRunner> RevocationStore for T {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError> {
        Ok(self.access_token_state(claims).await?.revoked)
    }

    async fn access_token_state(&self, claims: &AccessTokenClaims) -> Result<AccessTokenState, InternalError> {
        decode_access_token_state(self.select(access_token_state(claims)).await?)
    }

    async fn revoked_and_subject(&self, claims: &AccessTokenClaims) -> Result<(bool, Option<User>), InternalError> {
        let [state, user] = self.select_pair(access_token_state(claims), user_by_id_statement(&claims.sub)).await?;
        Ok((decode_access_token_state(state)?.revoked, first_user(user)?))
    }

    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), InternalError> {
        let args = [jti.into(), client_id.into(), expires_at.into(), now.into()];
        self.execute(REVOKE_ACCESS_TOKEN_SQL, &args).await.map(|_| ())
    }
}

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM revoked_access_tokens WHERE rowid IN (SELECT rowid FROM revoked_access_tokens WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` revoked ids of tokens that have expired anyway.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
