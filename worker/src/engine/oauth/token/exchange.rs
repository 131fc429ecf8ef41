//! Token exchange (RFC 8693; docs/api.md, "Token exchange"): a confidential client
//! registered for the grant trades an access token of ours (the subject token) for a new
//! access token with another audience and a narrower scope, for a server that calls
//! another service on the user's behalf.
//!
//! Who may exchange what: the subject token must be active (signature, expiry, not
//! revoked, its session not ended) and the caller's own — issued to it, naming it in
//! `aud`, or issued for a protected resource whose server is the caller (`client_id` of
//! the resource). The new token's `sub` is the subject's; its `act` (§4.1) names who acts:
//! the actor token's subject and client when one is given (delegation), else the caller;
//! an `act` the subject token carried is nested inside (§4.1's chain). A token without
//! `act` (impersonation, §1.1) is never issued. The audience is the `resource` and
//! `audience` values, each a registered resource the caller may ask for (RFC 8707 rules),
//! or the caller when none is named; the scope is the requested scope (or the subject's),
//! never wider than the subject's, within what the resources accept; the token never
//! outlives the subject token. No refresh token (§2.2.1 "SHOULD NOT" for this use).
//! Every exchange is audited `token.exchanged`.

use serde_json::{json, Value};
use shared::oauth::{grant, token_type, Aud, TokenResponse};

use super::{scope_within_client, SigningKeySource, TokenEndpoint, TokenError};
use crate::engine::clients::{Client, ClientType, Credentials};
use crate::engine::oauth::access_token::{self, AccessTokenClaims, RevocationStore};
use crate::engine::oauth::resources::TargetResource;
use crate::engine::oauth::scope::parse_scope;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::Platform;
use crate::engine::tables;

/// The parameters of a token exchange request (RFC 8693 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeRequest<'a> {
    pub subject_token: Option<&'a str>,
    pub subject_token_type: Option<&'a str>,
    pub actor_token: Option<&'a str>,
    pub actor_token_type: Option<&'a str>,
    pub requested_token_type: Option<&'a str>,
    pub scope: Option<&'a str>,
    /// §2.1 `audience`: here, protected resources' identifiers like `resource`.
    pub audience: &'a [String],
}

impl<P: Platform> TokenEndpoint<'_, P> {
    /// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2).
    pub(super) async fn token_exchange(
        &self,
        credentials: &Credentials,
        request: ExchangeRequest<'_>,
        resources: &[String],
    ) -> Result<TokenResponse, TokenError> {
        // The caller and the resources it names (`resource` and `audience`) in one trip.
        let mut named: Vec<String> = resources.to_vec();
        for audience in request.audience {
            if let Some(why) = shared::resources::identifier_problem(audience) {
                return Err(TokenError::InvalidTarget(format!("audience `{audience}`: {why}")));
            }
            if !named.contains(audience) {
                named.push(audience.clone());
            }
        }
        let (client, targets) = self.client_and_resources(credentials, &named).await?;
        self.require_binding(&client)?;
        if client.client_type != ClientType::Confidential || !client.allows_grant(grant::TOKEN_EXCHANGE) {
            return Err(TokenError::UnauthorizedClient("this client may not exchange tokens".into()));
        }
        let access_only = |value: Option<&str>, name: &str| match value {
            None | Some(token_type::ACCESS_TOKEN) => Ok(()),
            Some(other) => Err(TokenError::InvalidRequest(format!(
                "{name} `{other}` is not supported; only {} (RFC 8693 §3)",
                token_type::ACCESS_TOKEN
            ))),
        };
        access_only(request.requested_token_type, "requested_token_type")?;
        let (Some(subject_token), Some(subject_type)) = (request.subject_token, request.subject_token_type) else {
            return Err(TokenError::InvalidRequest("subject_token and subject_token_type are required".into()));
        };
        access_only(Some(subject_type), "subject_token_type")?;
        let subject = self.active_token(subject_token, "subject_token").await?;
        if !self.caller_owns(&client, &subject).await? {
            return Err(TokenError::InvalidGrant(
                "the subject token was not issued to this client or for a resource it serves".into(),
            ));
        }
        let actor = match (request.actor_token, request.actor_token_type) {
            (None, None) => None,
            (Some(token), Some(kind)) => {
                access_only(Some(kind), "actor_token_type")?;
                Some(self.active_token(token, "actor_token").await?)
            }
            _ => return Err(TokenError::InvalidRequest("actor_token and actor_token_type go together".into())),
        };
        let subject_scope = parse_scope(&subject.scope).unwrap_or_default();
        let scope = match request.scope {
            Some(requested) => {
                let requested = scope_within_client(&client, requested)?;
                if let Some(wider) = requested.iter().find(|s| !subject_scope.contains(s)) {
                    return Err(TokenError::InvalidScope(format!("scope `{wider}` is not in the subject token")));
                }
                requested
            }
            None => subject_scope,
        };
        let claims = self.exchanged_claims(&client, &subject, actor.as_ref(), &scope, &targets)?;
        let alg = self.audience(&targets, &scope)?.and_then(|a| a.alg).unwrap_or(self.config.tokens.signing_alg);
        let key = self.keys.signing_key(alg).await?;
        let access_token = claims.sign(self.signer, &key).await?;
        let event = AuditEvent::new("token.exchanged", self.meta, self.now, self.rng)?
            .actor("client", &client.client_id)
            .resource("user", &claims.sub)
            .metadata(json!({ "subject_client": subject.client_id, "subject_jti": subject.jti,
                "actor": claims.act, "aud": claims.aud, "scope": claims.scope }));
        self.audit(event).await?;
        Ok(TokenResponse {
            access_token,
            token_type: self.token_type().into(),
            expires_in: u32::try_from(claims.exp - self.now).unwrap_or(0),
            refresh_token: None,
            scope: claims.scope,
            id_token: None,
            issued_token_type: Some(token_type::ACCESS_TOKEN.into()),
        })
    }

    /// An access token of ours that is active now: signed by our key, unexpired, not
    /// revoked, its session not ended. Anything else is `invalid_grant` naming the parameter.
    async fn active_token(&self, token: &str, name: &str) -> Result<AccessTokenClaims, TokenError> {
        let refused = || TokenError::InvalidGrant(format!("the {name} is not an active access token of this server"));
        let claims = match access_token::verify(token, self.config, self.signer, self.verifier, self.now).await? {
            Ok(claims) => claims,
            Err(_) => return Err(refused()),
        };
        if self.store.access_token_state(&claims).await?.revoked {
            return Err(refused());
        }
        Ok(claims)
    }

    /// Whether `subject` is the caller's to exchange: issued to it, naming it in `aud`,
    /// or for a resource whose server it is.
    async fn caller_owns(&self, caller: &Client, subject: &AccessTokenClaims) -> Result<bool, TokenError> {
        if subject.client_id == caller.client_id || subject.aud.contains(&caller.client_id) {
            return Ok(true);
        }
        let audiences: Vec<String> = match &subject.aud {
            Aud::One(one) => vec![one.clone()],
            Aud::Many(many) => many.clone(),
        };
        let served = self.store.select(tables::resources::served_by(&caller.client_id, &audiences)).await?;
        Ok(!served.is_empty())
    }

    /// The new token's claims: the subject's `sub`, `auth_time` and `sid`; `act` for who
    /// acts (nesting the subject's own); `aud`, scope and lifetime from the resources; never
    /// past the subject token's `exp`.
    fn exchanged_claims(
        &self,
        caller: &Client,
        subject: &AccessTokenClaims,
        actor: Option<&AccessTokenClaims>,
        scope: &[String],
        targets: &[TargetResource],
    ) -> Result<AccessTokenClaims, TokenError> {
        let mut claims =
            self.access_claims(caller, &subject.sub, scope, subject.auth_time.unwrap_or(subject.iat), targets)?;
        claims.exp = claims.exp.min(subject.exp);
        claims.sid = subject.sid.clone();
        let mut act = match actor {
            Some(actor) => json!({ "sub": actor.sub, "client_id": actor.client_id }),
            None => json!({ "sub": caller.client_id, "client_id": caller.client_id }),
        };
        if let (Some(previous), Value::Object(map)) = (&subject.act, &mut act) {
            map.insert("act".into(), previous.clone());
        }
        claims.act = Some(act);
        claims.bind(self.dpop_jkt);
        Ok(claims)
    }
}
