//! Refresh tokens: opaque, 256 random bits, stored only as SHA-256 hashes; one family per
//! grant, rotated on use (docs/api.md, "Tokens").

use std::fmt;

use crate::engine::clients::gate::ClientGate;
use crate::engine::crypto::tokens::hash_token;
use crate::engine::crypto::tokens::random_token;
use crate::engine::identity::users::User;
use crate::engine::oauth::dpop::Checked;
use crate::engine::oauth::resources::GrantedResources;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, UnixTime};

#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub parent_hash: Option<String>,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub auth_time: Option<UnixTime>,
    /// How the person signed in (RFC 8176 values, space-separated), for refreshed ID tokens.
    pub amr: Option<String>,
    /// The browser session it was issued in (hash of the session id), if any.
    pub session_id: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// The family's absolute end (`REFRESH_TOKEN_MAX_LIFETIME`); no token of it outlives it.
    pub family_expires_at: Option<UnixTime>,
    pub rotated_at: Option<UnixTime>,
    pub successor_hash: Option<String>,
    /// The successor's plaintext, sealed under SECRET_KEY with this token's hash as
    /// associated data: lets a retry within the grace period get the same successor.
    pub successor_sealed: Option<String>,
    /// Read with the token: it has a successor that has been neither used nor revoked
    /// (a retry may get that successor again).
    pub successor_unused: bool,
    pub revoked_at: Option<UnixTime>,
    /// The RFC 8707 resources the grant was given for (empty: none), with those still
    /// registered when the token is read; every token of the family keeps them.
    pub resources: GrantedResources,
    /// RFC 9449 §5: the DPoP key a public client's family is bound to.
    pub dpop_jkt: Option<String>,
    /// Read with the token from its user's row (never stored with it): when the password
    /// was last set and when a second factor was first asked for, so the grant honours an
    /// expired password and a newly required second factor without another round trip.
    pub holder: HolderFacts,
}

/// See [`RefreshToken::holder`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HolderFacts {
    pub password_changed_at: Option<UnixTime>,
    pub mfa_asked_at: Option<UnixTime>,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("family_id", &self.family_id)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("rotated_at", &self.rotated_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A new token's plaintext (given to the client once) and its row.
pub struct Minted {
    pub plaintext: String,
    pub row: RefreshToken,
}

pub struct NewToken<'a> {
    pub family_id: Option<&'a str>,
    pub parent_hash: Option<&'a str>,
    pub client_id: &'a str,
    pub user_id: Option<&'a str>,
    pub scope: &'a str,
    pub auth_time: Option<UnixTime>,
    pub amr: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub ttl: u32,
    /// The family's end: the parent's for a successor, `None` to start a family.
    pub family_expires_at: Option<UnixTime>,
    /// `REFRESH_TOKEN_MAX_LIFETIME` (seconds; 0: no cap), for a new family.
    pub max_lifetime: u32,
    /// The grant's RFC 8707 resources (identifiers; empty: none).
    pub resources: &'a [String],
    /// The DPoP key to bind the family to (a public client's), or the parent's.
    pub dpop_jkt: Option<&'a str>,
}

/// A new token: of a new family, or the successor in `new.family_id`. Its lifetime is
/// `ttl`, cut at the family's absolute end (RFC 9700 §4.14.2).
pub fn mint(new: NewToken<'_>, now: UnixTime, rng: &impl Random) -> Result<Minted, InternalError> {
    let plaintext = random_token(rng)?;
    let (family_id, family_expires_at) = match new.family_id {
        Some(f) => (f.to_owned(), new.family_expires_at),
        None => (random_token(rng)?, (new.max_lifetime > 0).then(|| now + i64::from(new.max_lifetime))),
    };
    let expires_at = (now + i64::from(new.ttl)).min(family_expires_at.unwrap_or(UnixTime::MAX));
    Ok(Minted {
        row: RefreshToken {
            token_hash: hash_token(&plaintext),
            family_id,
            parent_hash: new.parent_hash.map(str::to_owned),
            client_id: new.client_id.into(),
            user_id: new.user_id.map(str::to_owned),
            scope: new.scope.into(),
            auth_time: new.auth_time,
            amr: new.amr.map(str::to_owned),
            session_id: new.session_id.map(str::to_owned),
            created_at: now,
            expires_at,
            family_expires_at,
            rotated_at: None,
            successor_hash: None,
            successor_sealed: None,
            successor_unused: false,
            revoked_at: None,
            resources: GrantedResources { identifiers: new.resources.to_vec(), registered: Vec::new() },
            dpop_jkt: new.dpop_jkt.map(str::to_owned),
            holder: HolderFacts::default(),
        },
        plaintext,
    })
}

/// A rotation prepared before the token is read, to write in the batch that reads it
/// (docs/storage.md, "One trip per grant"): the successor's plaintext is chosen and
/// sealed first; the SQL copies the rest from the parent.
pub struct Rotation {
    pub parent_hash: String,
    pub successor_plaintext: String,
    pub successor_hash: String,
    pub successor_sealed: String,
    pub now: UnixTime,
    /// The request's DPoP key thumbprint: a bound family rotates only with it.
    pub dpop_jkt: Option<String>,
    /// The requested scope's values as a JSON array (`[]`: none asked for).
    pub scopes_json: String,
    /// `REFRESH_TOKEN_ROTATION`, for a client without its own setting.
    pub rotation_default: bool,
    /// `REFRESH_TOKEN_TTL`, for a client without its own.
    pub refresh_ttl_default: u32,
    pub gate: ClientGate,
    /// The request's DPoP proof, spent in the same batch after the rotation (which only
    /// lands while it is unspent).
    pub proof: Option<Checked>,
}

#[allow(async_fn_in_trait)]
pub trait RefreshStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), InternalError>;
    async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, InternalError>;
    /// The token and the user it was issued to, in one statement.
    async fn refresh_token_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshToken, Option<User>)>, InternalError>;
    /// One atomic batch: marks `parent_hash` rotated to `successor` unless it was already
    /// rotated or revoked, and inserts `successor` only if that mark is this call's.
    /// Returns whether this call won the rotation.
    async fn rotate_refresh_token(
        &self,
        parent_hash: &str,
        successor: &RefreshToken,
        successor_sealed: &str,
        now: UnixTime,
    ) -> Result<bool, InternalError>;
    /// Undoes a rotation of the one-trip path that the grant refused after all, unless
    /// the successor was used meanwhile.
    async fn undo_rotation(&self, parent_hash: &str, successor_hash: &str) -> Result<(), InternalError>;
    /// Revokes every live token of the family; returns how many.
    async fn revoke_refresh_family(&self, family_id: &str, now: UnixTime) -> Result<u64, InternalError>;
}
