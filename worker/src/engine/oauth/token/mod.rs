//! The token endpoint (RFC 6749 §3.2, §5), the device authorization endpoint (RFC 8628
//! §3.1), introspection (RFC 7662) and revocation (RFC 7009).
//!
//! The edge reads the request once: the client's [`Credentials`] (RFC 6749 §2.3) and, for
//! `/token`, the [`TokenRequest`] of its grant, and hands both over; each grant lives in
//! its own file
//! (`authorization_code`, `client_credentials`, `password`, `refresh`, `device_code`),
//! issuing through `issue`. The result is a [`TokenResponse`] or a [`TokenError`], which
//! the edge renders.

mod authorization_code;
mod client_credentials;
mod device_code;
mod error;
mod exchange;
mod introspection;
mod issue;
mod password;
mod refresh;
pub mod request;

pub use error::TokenError;
pub use request::TokenRequest;
use shared::oauth::{grant, TokenResponse};

use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::{
    assertion, assertion_client, check_credentials, metadata_document, Client, ClientRecord, ClientStore, Credentials,
};
use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::identity::login::AccountRead;
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState, RevocationStore};
use crate::engine::oauth::codes::{CodeStore, OneTripRead, OneTripRedemption};
use crate::engine::oauth::cors;
use crate::engine::oauth::device::DeviceCode;
use crate::engine::oauth::dpop::Checked;
use crate::engine::oauth::refresh::{RefreshStore, RefreshToken, Rotation};
use crate::engine::oauth::resources::{self, TargetResource};
use crate::engine::oauth::scope::{parse_scope, ScopeStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SigningAlg, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};

/// Grant types `/token` accepts with this configuration, as advertised in discovery.
pub fn grant_types_supported(config: &Config) -> Vec<&'static str> {
    let mut grants =
        vec![grant::AUTHORIZATION_CODE, grant::CLIENT_CREDENTIALS, grant::DEVICE_CODE, grant::TOKEN_EXCHANGE];
    if config.tokens.refresh_token_ttl > 0 {
        grants.push(grant::REFRESH_TOKEN);
    }
    if config.security.enable_password_grant {
        grants.push(grant::PASSWORD);
    }
    grants
}

/// Introspection answers only confidential clients (RFC 7662 §2.1).
pub const INTROSPECTION_AUTH_METHODS_SUPPORTED: &[&str] =
    &["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"];

/// The reads a token request makes alongside its client lookup, each as one batch (with
/// the grant's guarded write, for the refresh and code grants: docs/storage.md, "One trip
/// per grant"): a D1 round trip, not the SQL, is most of a request's cost (docs/benchmark.md).
/// Implemented over the SQL port in `oauth::store`.
#[allow(async_fn_in_trait)]
pub trait TokenLookups: ClientStore + RevocationStore + RefreshStore + CodeStore + ScopeStore {
    /// The client, and what storage says of an access token (introspection).
    async fn client_and_access_token_state(
        &self,
        client_id: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(Option<ClientRecord>, AccessTokenState), InternalError>;

    /// The client, and a refresh token with its user (refresh grant, introspection).
    async fn client_and_refresh_token(
        &self,
        client_id: &str,
        token_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(RefreshToken, Option<User>)>), InternalError>;

    /// The client, the refresh token with its user as they were, and the guarded
    /// `rotation` written in the same batch (one transaction): whether it landed.
    async fn refresh_in_one_trip(&self, rotation: &Rotation) -> Result<RefreshRead, InternalError>;

    /// The client, the registered resources among `identifiers`, and `proof`'s `jti`
    /// spent in the same batch (whether this batch spent it: RFC 9449 §11.1).
    async fn client_resources_and_proof(
        &self,
        client_id: &str,
        identifiers: &[String],
        proof: &Checked,
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>, bool), InternalError>;

    /// The client, the code with its user as they were, and the guarded `redemption`
    /// written in the same batch (one transaction).
    async fn code_in_one_trip(&self, redemption: &OneTripRedemption) -> Result<OneTripRead, InternalError>;

    /// The client, the device code by its hash as it was, and a pending poll recorded in
    /// the same batch where the `gate` lets it (RFC 8628 §3.5): whether it was.
    async fn device_poll_in_one_trip(
        &self,
        device_code_hash: &str,
        gate: &ClientGate,
        now: UnixTime,
    ) -> Result<(Option<ClientRecord>, Option<DeviceCode>, bool), InternalError>;

    /// The client, the registered resources among `identifiers`, and the account with the
    /// address `email` with what a password sign-in decides with it (the password grant).
    async fn client_resources_and_account(
        &self,
        client_id: &str,
        identifiers: &[String],
        email: &str,
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>, AccountRead), InternalError>;

    /// The client, and the registered resources among `identifiers` (RFC 8707).
    async fn client_and_resources(
        &self,
        client_id: &str,
        identifiers: &[String],
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>), InternalError>;
}

/// What the one batch of a refresh read, whether its guarded rotation landed, and whether
/// it spent the request's DPoP proof (`None`: none to spend).
pub struct RefreshRead {
    pub client: Option<ClientRecord>,
    pub token: Option<(RefreshToken, Option<User>)>,
    pub rotated: bool,
    pub proof_spent: Option<bool>,
}

/// Where the signing key comes from: the edge's per-isolate cache, or a test's key.
/// Asked only once a token is actually issued, so failed requests never load a key.
pub trait SigningKeySource<K> {
    /// The key that signs with `alg` now.
    #[allow(async_fn_in_trait)]
    async fn signing_key(&self, alg: SigningAlg) -> Result<ActiveSigningKey<K>, InternalError>;
}

/// The token family's view of a request: its [`RequestContext`] and the browser's `Origin`
/// header, if a browser sent the request, which must be an origin of the client's redirect
/// URIs ([`cors`]).
pub struct TokenEndpoint<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub origin: Option<&'a str>,
    /// The thumbprint of the key of the request's accepted DPoP proof (RFC 9449), verified
    /// by [`dpop::verify`] before the grant: the tokens issued are bound to it.
    pub dpop_jkt: Option<&'a str>,
    /// That proof when its `jti` is still to be spent, in the grant's own batch (the
    /// refresh, code and client_credentials grants: docs/storage.md, "One trip per
    /// grant"); `None` when it was spent before the grant, or there is none.
    pub dpop_unspent: Option<&'a Checked>,
}

crate::engine::platform::request::request_context_view!(TokenEndpoint);

impl<P: Platform> TokenEndpoint<'_, P> {
    /// The one way every endpoint of the family authenticates its client: the credentials
    /// (RFC 6749 §2.3), then the browser origin ([`cors`]).
    async fn authenticate(&self, credentials: &Credentials) -> Result<Client, TokenError> {
        let found = self.store.client_with_secrets(credentials.client_id()).await?;
        self.check_client(found, credentials).await
    }

    /// RFC 9449 §11.1: the request's proof, if its batch was to spend it, was spent by it
    /// (a replay is refused before anything else is looked at, as at verification).
    fn proof_spent(&self, spent: Option<bool>) -> Result<(), TokenError> {
        match (self.dpop_unspent, spent) {
            (Some(_), Some(true)) | (None, _) => Ok(()),
            (Some(_), _) => Err(TokenError::InvalidDpopProof("this DPoP proof was used before".into())),
        }
    }

    /// RFC 9449 §5.2: a client registered with `dpop_bound_access_tokens` gets tokens only
    /// for a request with a DPoP proof.
    fn require_binding(&self, client: &Client) -> Result<(), TokenError> {
        if client.dpop_bound && self.dpop_jkt.is_none() {
            return Err(TokenError::InvalidDpopProof(
                "this client's access tokens must be DPoP-bound (dpop_bound_access_tokens): send a DPoP proof".into(),
            ));
        }
        Ok(())
    }

    /// [`Self::authenticate`] for a client record read together with other rows. A JWT
    /// assertion (RFC 7523) is verified here: the client's keys, and its `jti` spent.
    pub(crate) async fn check_client(
        &self,
        found: Option<ClientRecord>,
        credentials: &Credentials,
    ) -> Result<Client, TokenError> {
        // A client_id that is a metadata document's URL (no `clients` row): the document.
        let id = credentials.client_id();
        let found = match found {
            None if metadata_document::is_document_id(self.config, id) => {
                match metadata_document::resolve(&self.rc, id).await? {
                    Ok(client) => Some((client, Vec::new())),
                    Err(why) => return Err(TokenError::ClientRefused(format!("{id}: {why}"))),
                }
            }
            found => found,
        };
        let client = match credentials {
            Credentials::Assertion { assertion, .. } => {
                let record = assertion_client(found, credentials)?;
                assertion::authenticate(&self.rc, record, assertion).await?
            }
            _ => check_credentials(found, credentials, self.now)?,
        };
        match self.origin {
            Some(origin) if !cors::allows_origin(&client, origin) => Err(TokenError::OriginNotAllowed),
            _ => Ok(client),
        }
    }
}

impl<P: Platform> TokenEndpoint<'_, P> {
    /// `POST /token`: the request parsed once into its grant's variant (RFC 6749 §3.2),
    /// the client's credentials and the RFC 8707 `resource` values
    /// ([`resources::requested`]), dispatched to the grant's file.
    pub async fn handle(
        &self,
        credentials: &Credentials,
        request: TokenRequest<'_>,
        resources: &[String],
    ) -> Result<TokenResponse, TokenError> {
        match request {
            // These three authenticate the client in the same round trip as their token read.
            TokenRequest::AuthorizationCode { code, redirect_uri, code_verifier } => {
                self.authorization_code(credentials, code, redirect_uri, code_verifier, resources).await
            }
            TokenRequest::RefreshToken { refresh_token, scope } => {
                self.refresh(credentials, refresh_token, scope, resources).await
            }
            TokenRequest::DeviceCode { device_code } => self.device_code(credentials, device_code, resources).await,
            // These two read the named resources with the client.
            TokenRequest::ClientCredentials { scope } => {
                let (client, known) = self.client_and_resources(credentials, resources).await?;
                self.require_binding(&client)?;
                self.client_credentials(&client, scope, &known).await
            }
            TokenRequest::Password { username, password, scope } => {
                self.password(credentials, username, password, scope, resources).await
            }
            TokenRequest::TokenExchange(request) => self.token_exchange(credentials, request, resources).await,
        }
    }

    /// The client, authenticated, and the registered resources among `resources` checked
    /// for it (RFC 8707 §2), in one round trip.
    async fn client_and_resources(
        &self,
        credentials: &Credentials,
        resources: &[String],
    ) -> Result<(Client, Vec<TargetResource>), TokenError> {
        if let Some(proof) = self.dpop_unspent {
            let (found, known, spent) =
                self.store.client_resources_and_proof(credentials.client_id(), resources, proof).await?;
            self.proof_spent(Some(spent))?;
            let client = self.check_client(found, credentials).await?;
            let chosen = resources::resolve(resources, &known, &client).map_err(TokenError::InvalidTarget)?;
            return Ok((client, chosen));
        }
        if resources.is_empty() {
            return Ok((self.authenticate(credentials).await?, Vec::new()));
        }
        let (found, known) = self.store.client_and_resources(credentials.client_id(), resources).await?;
        let client = self.check_client(found, credentials).await?;
        let chosen = resources::resolve(resources, &known, &client).map_err(TokenError::InvalidTarget)?;
        Ok((client, chosen))
    }
}

/// What the edge does before [`TokenEndpoint::handle`] and the other entry points, for the
/// native suites: the grant parsed, then the credentials, each error in that order.
#[cfg(test)]
impl<P: Platform> TokenEndpoint<'_, P> {
    pub async fn handle_form(
        &self,
        authorization: Option<&str>,
        form: &crate::engine::platform::form::Form,
    ) -> Result<TokenResponse, TokenError> {
        let request = TokenRequest::parse(form, &grant_types_supported(self.config))?;
        let resources = resources::requested(form).map_err(TokenError::InvalidTarget)?;
        self.handle(&Credentials::from_request(authorization, form)?, request, &resources).await
    }
}

/// The requested scope, parsed, with what its scopes require (docs/api.md, "Scopes"),
/// refused with `invalid_scope` if it names anything the client is not registered for
/// (RFC 6749 §3.3).
fn scope_within_client(client: &Client, requested: &str) -> Result<Vec<String>, TokenError> {
    let requested = parse_scope(requested)?;
    let scope = client.with_required(requested.clone());
    match client.scope_refusal(&requested, &scope) {
        Some(refusal) => Err(TokenError::InvalidScope(refusal)),
        None => Ok(scope),
    }
}

#[cfg(test)]
mod tests;
