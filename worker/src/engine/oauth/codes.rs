//! Authorization codes (RFC 6749 §4.1.2, docs/api.md, "Tokens"): 256 random bits, stored
//! only as SHA-256 hashes, bound to everything the token request must repeat or prove,
//! redeemed once by a conditional UPDATE.

use std::fmt;

use crate::engine::clients::gate::ClientGate;
use crate::engine::crypto::pkce::Method as PkceMethod;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::random_token;
use crate::engine::identity::users::User;
use crate::engine::oauth::dpop::Checked;
use crate::engine::oauth::refresh::RefreshToken;
use crate::engine::oauth::resources::GrantedResources;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    /// The browser session it was issued in (hash of the session id).
    pub session_id: Option<String>,
    pub auth_time: UnixTime,
    /// How the person signed in (RFC 8176 values, space-separated), for the ID token.
    pub amr: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub consumed_at: Option<UnixTime>,
    /// What the redemption issued, so a replay can revoke it (RFC 6749 §10.5).
    pub issued_jti: Option<String>,
    pub issued_jti_expires_at: Option<UnixTime>,
    pub issued_family_id: Option<String>,
    /// The RFC 8707 resources the request named (empty: none), and of them those still
    /// registered when the code is read.
    pub resources: GrantedResources,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code is bound to (`dpop_jkt` at
    /// `/authorize` or PAR); redeemed only with a proof of that key.
    pub dpop_jkt: Option<String>,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("consumed_at", &self.consumed_at)
            .finish_non_exhaustive()
    }
}

/// A fresh code: the plaintext for the redirect, the row for storage.
pub fn mint(mut row: AuthorizationCode, rng: &impl Random) -> Result<(String, AuthorizationCode), InternalError> {
    let plaintext = random_token(rng)?;
    row.code_hash = hash_token(&plaintext);
    Ok((plaintext, row))
}

/// What one redemption issues, recorded on the code as it is consumed.
pub struct Redemption<'a> {
    pub jti: &'a str,
    pub jti_expires_at: UnixTime,
    /// The refresh token to insert in the same batch, only if this redemption wins.
    pub refresh_token: Option<&'a RefreshToken>,
    /// A self-registered client whose use to record in the same batch (open registration:
    /// the cleanup deletes the unused ones).
    pub self_registered_client: Option<&'a str>,
}

/// A redemption prepared before the code is read, to write in the batch that reads it
/// (docs/storage.md, "One trip per grant"): the access token's jti, the refresh token's
/// plaintext and family are chosen first; the SQL copies the rest from the code.
pub struct OneTripRedemption {
    pub code_hash: String,
    pub now: UnixTime,
    pub jti: String,
    pub family_id: String,
    pub refresh_plaintext: String,
    pub refresh_hash: String,
    /// The request's `redirect_uri`, which must be the authorization request's.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier if well-formed (RFC 7636 §4.1), whether one was sent, and its
    /// S256 challenge.
    pub verifier: Option<String>,
    pub verifier_sent: bool,
    pub s256: Option<String>,
    pub dpop_jkt: Option<String>,
    /// `ACCESS_TOKEN_TTL`, `REFRESH_TOKEN_TTL`, `REFRESH_TOKEN_MAX_LIFETIME` (0: none).
    pub access_ttl_default: u32,
    pub refresh_ttl_default: u32,
    pub max_lifetime: u32,
    pub gate: ClientGate,
    /// The request's DPoP proof, spent in the same batch after the consume (which only
    /// lands while it is unspent).
    pub proof: Option<Checked>,
}

/// What the one batch of a code exchange read and wrote.
pub struct OneTripRead {
    pub client: Option<crate::engine::clients::ClientRecord>,
    pub code: Option<(AuthorizationCode, Option<User>)>,
    /// The guarded consume landed.
    pub consumed: bool,
    /// With it, the refresh token of [`OneTripRedemption::refresh_plaintext`].
    pub refresh_stored: bool,
    /// The proof's `jti` was spent by this batch (`None`: no proof to spend).
    pub proof_spent: Option<bool>,
}

#[allow(async_fn_in_trait)]
pub trait CodeStore {
    /// Undoes a guarded redemption that the grant refused after all.
    async fn undo_consume(&self, redemption: &OneTripRedemption) -> Result<(), InternalError>;
    /// Deletes a stored, unredeemed code that was prepared but not handed out.
    async fn discard_code(&self, code_hash: &str) -> Result<(), InternalError>;
    /// The code and the user it was issued for, in one statement.
    async fn code_with_user(&self, code_hash: &str)
        -> Result<Option<(AuthorizationCode, Option<User>)>, InternalError>;
    /// One atomic batch: consumes the code unless it was consumed or expired, recording
    /// `redemption`, and inserts its refresh token only if the consume was this call's.
    /// Returns whether this call consumed the code.
    async fn consume_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        redemption: &Redemption<'_>,
    ) -> Result<bool, InternalError>;
}
