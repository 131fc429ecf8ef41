//! JWT access tokens (RFC 9068): issuing, and validating the ones this server issued.

use serde::{Deserialize, Serialize};
use shared::oauth::Aud;

use crate::engine::crypto::jose::{b64url, b64url_decode, sign_jwt};
use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{JwsSigner, KeyStore, Random, SigningAlg, UnixMillis, UnixTime};

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    /// The client, or the RFC 8707 resource(s) the token is for.
    pub aud: Aud,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    /// The browser session the token was issued in (OIDC Back-Channel Logout §2.1 `sid`,
    /// the session's id): when that session is ended, the token is no longer active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// RFC 8693 §4.1: who acts for the subject (a token exchange's actor), nested when the
    /// actor itself acted for another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// RFC 9449 §6.1: `{"jkt": ...}`, the key a DPoP-bound token must be presented with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
}

impl AccessTokenClaims {
    pub fn new(
        config: &Config,
        subject: &str,
        client_id: &str,
        scope: &str,
        ttl: u32,
        issued_ms: UnixMillis,
        rng: &impl Random,
    ) -> Result<Self, InternalError> {
        let now = issued_ms.div_euclid(1000);
        Ok(AccessTokenClaims {
            iss: config.issuer.clone(),
            sub: subject.into(),
            // RFC 9068 §3: without a resource indicator the server picks the default
            // audience; that is the client (docs/api.md, "Tokens").
            aud: Aud::One(client_id.into()),
            exp: now + i64::from(ttl),
            iat: now,
            jti: jti(issued_ms, rng)?,
            client_id: client_id.into(),
            scope: scope.into(),
            auth_time: None,
            sid: None,
            act: None,
            cnf: None,
        })
    }

    /// Binds the token to a DPoP key (RFC 9449 §6.1).
    pub fn bind(&mut self, jkt: Option<&str>) {
        self.cnf = jkt.map(|jkt| serde_json::json!({ "jkt": jkt }));
    }

    /// The DPoP key thumbprint the token is bound to, if any.
    pub fn jkt(&self) -> Option<&str> {
        self.cnf.as_ref().and_then(|c| c.get("jkt")).and_then(|j| j.as_str())
    }

    /// When the token was issued, in milliseconds, read from its `jti` ([`jti`]). A `jti`
    /// that does not carry a time inside its `iat` second (a token issued before the `jti`
    /// carried one) counts as issued at the start of that second: a revocation in that
    /// second then covers it, as it did.
    pub fn issued_ms(&self) -> UnixMillis {
        let start = self.iat.saturating_mul(1000);
        let carried = b64url_decode(&self.jti).ok().and_then(|bytes| {
            let prefix = bytes.get(..6)?;
            Some(prefix.iter().fold(0i64, |ms, byte| (ms << 8) | i64::from(*byte)))
        });
        carried.filter(|ms| (start..start + 1000).contains(ms)).unwrap_or(start)
    }

    pub async fn sign<C: JwsSigner>(
        &self,
        signer: &C,
        key: &ActiveSigningKey<C::Key>,
    ) -> Result<String, InternalError> {
        let claims = serde_json::to_value(self).map_err(|e| InternalError::new(format!("access token claims: {e}")))?;
        sign_jwt(signer, key, "at+jwt", &claims).await
    }
}

/// A `jti` (RFC 7519 §4.1.7) that also says when in its second the token was issued: the
/// issue time in milliseconds (48 bits, big-endian, as UUIDv7's RFC 9562 §5.7), then 80
/// random bits, 22 characters of base64url. A client's revocation cut-off is kept in
/// milliseconds and compared with it, so a token issued in the same second but after
/// the revocation lives and one issued before it does not (`iat` alone is whole seconds).
fn jti(issued_ms: UnixMillis, rng: &impl Random) -> Result<String, InternalError> {
    let mut bytes = [0u8; 16];
    let (time, random) = bytes.split_at_mut(6);
    for (slot, byte) in time.iter_mut().zip(issued_ms.to_be_bytes().into_iter().skip(2)) {
        *slot = byte;
    }
    rng.fill(random)?;
    Ok(b64url(&bytes))
}

/// Revoked access tokens (RFC 7009 §2): JWTs cannot be recalled, so their `jti`s are
/// recorded until they expire, and introspection and userinfo consult the record.
#[allow(async_fn_in_trait)]
pub trait RevocationStore {
    async fn access_token_revoked(&self, claims: &AccessTokenClaims) -> Result<bool, InternalError>;
    /// Revocation and the subject's email (introspection's `username`), in one statement.
    async fn access_token_state(&self, claims: &AccessTokenClaims) -> Result<AccessTokenState, InternalError>;
    /// Whether the token is revoked, and its subject's account, in one round trip (UserInfo).
    async fn revoked_and_subject(
        &self,
        claims: &AccessTokenClaims,
    ) -> Result<(bool, Option<crate::engine::identity::users::User>), InternalError>;
    /// Records `jti` (of a token issued to `client_id`, valid until `expires_at`) as revoked.
    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), InternalError>;

    async fn revoke_access_token(&self, claims: &AccessTokenClaims, now: UnixTime) -> Result<(), InternalError> {
        self.revoke_jti(&claims.jti, &claims.client_id, claims.exp, now).await
    }
}

/// What storage says about a validly signed access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenState {
    pub revoked: bool,
    /// The email of the user the subject names, if it names one.
    pub subject_email: Option<String>,
}

/// Public keys for verification, by kid: the edge caches them per isolate.
#[allow(async_fn_in_trait)]
pub trait VerificationKeySource<PK> {
    async fn verification_key(&self, kid: &str) -> Result<Option<PK>, InternalError>;
}

/// Imports every published key (JWKS members) for verification.
pub async fn import_published_keys<S: KeyStore, C: JwsSigner>(
    store: &S,
    signer: &C,
    now: UnixTime,
) -> Result<Vec<(String, C::PublicKey)>, InternalError> {
    let mut keys = Vec::new();
    for key in store.published_signing_keys(now).await? {
        let public = signer.import_public(key.alg, &key.public).await?;
        keys.push((key.kid, public));
    }
    Ok(keys)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// Why a presented token is not a valid access token of this server. Callers mostly
/// collapse these into "inactive"; the variant is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Malformed,
    /// RFC 8725 §3.1: only the algorithm of the named key; RFC 9068 §4: `typ` must be at+jwt.
    WrongType,
    UnknownKey,
    BadSignature,
    WrongIssuer,
    Expired,
}

/// A compact JWS signed by one of our published keys: its `typ` and claims bytes.
pub struct VerifiedJws {
    pub typ: Option<String>,
    pub claims: Vec<u8>,
}

/// Checks a compact JWS's shape, `alg` (the one of the key `kid` names, RFC 8725 §3.1), `kid` and signature
/// against our published keys. Claims are the caller's to check.
pub async fn verify_jws<C: JwsSigner>(
    token: &str,
    signer: &C,
    keys: &impl VerificationKeySource<C::PublicKey>,
) -> Result<Result<VerifiedJws, Invalid>, InternalError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err(Invalid::Malformed));
    };
    let Some(header) =
        b64url_decode(header_b64).ok().and_then(|h| crate::engine::platform::json::parse::<Header>(&h).ok())
    else {
        return Ok(Err(Invalid::Malformed));
    };
    let Some(alg) = SigningAlg::parse(&header.alg) else {
        return Ok(Err(Invalid::WrongType));
    };
    let Some(key) = (match header.kid {
        Some(kid) => keys.verification_key(&kid).await?,
        None => None,
    }) else {
        return Ok(Err(Invalid::UnknownKey));
    };
    // The key decides the algorithm, never the token (RFC 8725 §2.1, §3.1).
    if signer.alg_of(&key) != alg {
        return Ok(Err(Invalid::WrongType));
    }
    let Ok(signature) = b64url_decode(signature_b64) else { return Ok(Err(Invalid::Malformed)) };
    let signing_input_len = header_b64.len() + 1 + claims_b64.len();
    let signing_input = token.get(..signing_input_len).unwrap_or_default();
    if !signer.verify(&key, signing_input.as_bytes(), &signature).await? {
        return Ok(Err(Invalid::BadSignature));
    }
    let Ok(claims) = b64url_decode(claims_b64) else { return Ok(Err(Invalid::Malformed)) };
    Ok(Ok(VerifiedJws { typ: header.typ, claims }))
}

/// Checks shape, header, signature (by a published key), issuer and expiry (RFC 9068 §4).
/// Revocation is the caller's second step, since it needs the database.
pub async fn verify<C: JwsSigner>(
    token: &str,
    config: &Config,
    signer: &C,
    keys: &impl VerificationKeySource<C::PublicKey>,
    now: UnixTime,
) -> Result<Result<AccessTokenClaims, Invalid>, InternalError> {
    let jws = match verify_jws(token, signer, keys).await? {
        Ok(jws) => jws,
        Err(invalid) => return Ok(Err(invalid)),
    };
    // RFC 9068 §4: the type must say access token, so an ID token is not accepted as one.
    if !jws.typ.is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")) {
        return Ok(Err(Invalid::WrongType));
    }
    let Ok(claims) = crate::engine::platform::json::parse::<AccessTokenClaims>(&jws.claims) else {
        return Ok(Err(Invalid::Malformed));
    };
    if claims.iss != config.issuer {
        return Ok(Err(Invalid::WrongIssuer));
    }
    if claims.exp <= now {
        return Ok(Err(Invalid::Expired));
    }
    Ok(Ok(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SystemRandom;
    use crate::engine::test_support::config_with;

    #[test]
    fn rfc7519_4_1_7_the_jti_is_unique_and_carries_the_issue_millisecond() {
        let config = config_with(|_| {});
        let issued = 1_800_000_000_123;
        let a = AccessTokenClaims::new(&config, "u", "c", "openid", 60, issued, &SystemRandom).unwrap();
        let b = AccessTokenClaims::new(&config, "u", "c", "openid", 60, issued, &SystemRandom).unwrap();
        assert_ne!(a.jti, b.jti, "80 random bits after the time");
        assert_eq!(a.jti.len(), 22);
        assert_eq!((a.iat, a.exp, a.issued_ms()), (1_800_000_000, 1_800_000_060, issued));
    }
}
