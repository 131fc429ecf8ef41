//! OAuth clients and their authentication at the token endpoints (RFC 6749 §2.3).

pub mod assertion;
pub mod bootstrap;
pub mod gate;
pub mod jwks;
pub mod metadata_document;
pub mod registration;
mod requires;

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::engine::crypto::tokens::hash_token;
use crate::engine::oauth::token::TokenError;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::{decode_component, Form};
use crate::engine::platform::ports::{SigningAlg, UnixTime};
use shared::oauth::JWT_BEARER_ASSERTION;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    Confidential,
    Public,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Confidential => "confidential",
            ClientType::Public => "public",
        }
    }

    pub fn parse(value: &str) -> Result<Self, InternalError> {
        match value {
            "confidential" => Ok(ClientType::Confidential),
            "public" => Ok(ClientType::Public),
            other => Err(InternalError::new(format!("unknown client_type `{other}`"))),
        }
    }
}

/// `token_endpoint_auth_method` (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// OIDC Core §9: a JWT MACed (HS256) with the client's secret.
    ClientSecretJwt,
    /// RFC 7523 §2.2, OIDC Core §9: a JWT signed with a key of the client's `jwks`.
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    pub fn parse(value: &str) -> Result<Self, InternalError> {
        match value {
            "client_secret_basic" => Ok(AuthMethod::ClientSecretBasic),
            "client_secret_post" => Ok(AuthMethod::ClientSecretPost),
            "client_secret_jwt" => Ok(AuthMethod::ClientSecretJwt),
            "private_key_jwt" => Ok(AuthMethod::PrivateKeyJwt),
            "none" => Ok(AuthMethod::None),
            other => Err(InternalError::new(format!("unknown token_endpoint_auth_method `{other}`"))),
        }
    }
}

/// A registered client, as the token endpoints need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub client_name: String,
    pub client_type: ClientType,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    /// The scopes this client may be granted.
    pub scopes: Vec<String>,
    /// Those of `scopes` the scopes table flags `default` (admin API).
    pub default_scopes: Vec<String>,
    /// What each of `scopes` requires, where it requires anything (the scopes table's
    /// `requires`, read with the client).
    pub scope_requires: Vec<(String, Vec<String>)>,
    pub access_token_ttl: Option<u32>,
    pub refresh_token_ttl: Option<u32>,
    pub refresh_token_rotation: Option<bool>,
    /// This server's own apps (the admin console): no consent screen unless asked for.
    pub first_party: bool,
    /// `application_type` `native` (RFC 8252): private-use schemes, and for a public
    /// client the loopback any-port rule.
    pub native: bool,
    /// Shown on the consent screen (RFC 7591 §2 `logo_uri`), with links to the app's terms
    /// and privacy policy (`tos_uri`, `policy_uri`).
    pub logo_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
    /// Where RP-Initiated Logout may send the browser afterwards.
    pub post_logout_redirect_uris: Vec<String>,
    /// `id_token_signed_response_alg` (OIDC Registration §2): RS256 unless registered.
    pub id_token_alg: SigningAlg,
    /// The RFC 8707 resources it may ask tokens for; empty: any registered resource.
    pub allowed_resources: Vec<String>,
    /// Registered by itself (open registration): its consent screen says so, and its
    /// code exchanges are recorded so the cleanup can tell it is still used.
    pub self_registered: bool,
    /// `private_key_jwt`: its public keys (a JWK set, JSON) or where to fetch them.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`: a token request without a DPoP proof is
    /// refused.
    pub dpop_bound: bool,
    /// RFC 9126 §6 `require_pushed_authorization_requests`: `/authorize` serves this
    /// client only requests pushed to the PAR endpoint.
    pub require_par: bool,
    /// RFC 9101 §10.1 `request_object_signing_alg`: the one algorithm its request objects
    /// may use (any of `REQUEST_OBJECT_SIGNING_ALGS` when `None`).
    pub request_object_alg: Option<String>,
    /// `security_profile: fapi2` (docs/api.md, "FAPI 2.0 profile").
    pub fapi2: bool,
}

impl Client {
    /// What a request that names no scope gets (RFC 6749 §3.3 "predefined default"):
    /// `DEFAULT_SCOPES` and the scopes flagged default, within the client's scopes.
    pub fn default_scope(&self, configured: &[String]) -> Vec<String> {
        let mut scope: Vec<String> = configured.iter().filter(|s| self.scopes.contains(s)).cloned().collect();
        scope.extend(self.default_scopes.iter().filter(|s| !configured.contains(s)).cloned());
        scope
    }

    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// One stored secret: only its SHA-256 is kept (docs/api.md, "Tokens": "Client secrets: 256 random
/// bits, shown once, stored as a hash").
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret {
    pub secret_id: String,
    pub secret_hash: String,
    pub created_at: UnixTime,
    pub expires_at: Option<UnixTime>,
    /// Only for `client_secret_jwt`: the secret itself, sealed under `SECRET_KEY` (the
    /// secret_id as associated data), which an HMAC needs.
    pub sealed: Option<String>,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("secret_id", &self.secret_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A registered client with all its secrets, as one lookup returns them.
pub type ClientRecord = (Client, Vec<ClientSecret>);

#[allow(async_fn_in_trait)]
pub trait ClientStore {
    /// The client and all its secrets, in one round trip.
    async fn client_with_secrets(&self, client_id: &str) -> Result<Option<ClientRecord>, InternalError>;

    /// Inserts the client unless it exists and, only when it was inserted now, its seed
    /// `secret`, in one atomic batch. Public clients have no secret.
    async fn ensure_client(
        &self,
        client: &Client,
        secret: Option<&ClientSecret>,
        now: UnixTime,
    ) -> Result<(), InternalError>;
}

/// What a request presented to identify its client.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Basic` (RFC 6749 §2.3.1).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the form body.
    Post { client_id: String, secret: String },
    /// Only `client_id`: a public client (§2.3, §3.2.1).
    IdOnly { client_id: String },
    /// A JWT client assertion (RFC 7523 §2.2): `private_key_jwt`, verified by `assertion`.
    Assertion { client_id: String, assertion: String },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { client_id, .. } => write!(f, "Basic({client_id}, ..)"),
            Credentials::Post { client_id, .. } => write!(f, "Post({client_id}, ..)"),
            Credentials::IdOnly { client_id } => write!(f, "IdOnly({client_id})"),
            Credentials::Assertion { client_id, .. } => write!(f, "Assertion({client_id}, ..)"),
        }
    }
}

impl Credentials {
    pub fn client_id(&self) -> &str {
        match self {
            Credentials::Basic { client_id, .. }
            | Credentials::Post { client_id, .. }
            | Credentials::IdOnly { client_id }
            | Credentials::Assertion { client_id, .. } => client_id,
        }
    }

    fn basic(&self) -> bool {
        matches!(self, Credentials::Basic { .. })
    }

    /// Reads the credentials of a token-endpoint request.
    ///
    /// RFC 6749 §2.3.1: in Basic, id and secret are form-url-encoded before base64, so
    /// they are decoded again here (a secret with `:` or `%` works). §2.3: a client MUST
    /// NOT use more than one authentication method in a request.
    pub fn from_request(authorization: Option<&str>, form: &Form) -> Result<Credentials, TokenError> {
        let basic = match authorization {
            Some(value) => {
                let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
                if scheme.eq_ignore_ascii_case("basic") {
                    Some(parse_basic(rest.trim()).ok_or(TokenError::InvalidClient { basic: true })?)
                } else {
                    None // another scheme (e.g. Bearer) does not authenticate a client here
                }
            }
            None => None,
        };
        let body_id = form.get("client_id");
        let body_secret = form.get("client_secret");
        // RFC 7523 §2.2: a JWT assertion instead of a secret.
        match (form.get("client_assertion_type"), form.get("client_assertion")) {
            (None, None) => {}
            (Some(JWT_BEARER_ASSERTION), Some(assertion)) => {
                if basic.is_some() || body_secret.is_some() {
                    return Err(TokenError::InvalidRequest(
                        "the client authenticated with an assertion and a secret (RFC 6749 §2.3)".into(),
                    ));
                }
                let claimed = assertion::claimed_client(assertion);
                let client_id = match (body_id, claimed) {
                    (Some(id), Some(sub)) if id != sub => {
                        return Err(TokenError::InvalidRequest(
                            "client_id differs from the assertion's sub (RFC 7523 §3)".into(),
                        ))
                    }
                    (Some(id), _) => id.to_owned(),
                    (None, Some(sub)) => sub,
                    (None, None) => return Err(TokenError::InvalidClient { basic: false }),
                };
                return Ok(Credentials::Assertion { client_id, assertion: assertion.to_owned() });
            }
            (Some(JWT_BEARER_ASSERTION), None) => {
                return Err(TokenError::InvalidRequest("client_assertion is missing".into()))
            }
            (Some(_), _) => return Err(TokenError::InvalidClient { basic: false }),
            (None, Some(_)) => {
                return Err(TokenError::InvalidRequest("client_assertion_type is missing (RFC 7523 §2.2)".into()))
            }
        }
        match (basic, body_id, body_secret) {
            (Some(_), _, Some(_)) => Err(TokenError::InvalidRequest(
                "the client authenticated with both HTTP Basic and client_secret (RFC 6749 §2.3)".into(),
            )),
            (Some((id, _)), Some(body_id), None) if body_id != id => Err(TokenError::InvalidRequest(
                "client_id in the body differs from the one in the Authorization header".into(),
            )),
            (Some((client_id, secret)), _, None) => Ok(Credentials::Basic { client_id, secret }),
            (None, Some(id), Some(secret)) => Ok(Credentials::Post { client_id: id.into(), secret: secret.into() }),
            (None, Some(id), None) => Ok(Credentials::IdOnly { client_id: id.into() }),
            (None, None, _) => Err(TokenError::InvalidClient { basic: false }),
        }
    }
}

fn parse_basic(token: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(token).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let (id, secret) = (decode_component(id)?, decode_component(secret)?);
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// Authenticates `credentials` against the registered client and its secrets.
///
/// The client must use the method it registered (RFC 7591 §2 `token_endpoint_auth_method`);
/// the secret is compared, in constant time, with every live secret's hash (several may
/// be live during a rotation); expired secrets are refused. Every failure is the same
/// `invalid_client`.
pub async fn authenticate(
    store: &impl ClientStore,
    credentials: &Credentials,
    now: UnixTime,
) -> Result<Client, TokenError> {
    let found = store.client_with_secrets(credentials.client_id()).await?;
    check_credentials(found, credentials, now)
}

/// [`authenticate`] for a client record the caller already read (with other rows, in one
/// round trip): `found` must be the record of `credentials.client_id()`.
pub fn check_credentials(
    found: Option<ClientRecord>,
    credentials: &Credentials,
    now: UnixTime,
) -> Result<Client, TokenError> {
    let fail = TokenError::InvalidClient { basic: credentials.basic() };
    let Some((client, secrets)) = found else {
        return Err(fail);
    };
    if client.client_id != credentials.client_id() {
        return Err(fail);
    }
    let presented = match (client.auth_method, credentials) {
        (AuthMethod::ClientSecretBasic, Credentials::Basic { secret, .. })
        | (AuthMethod::ClientSecretPost, Credentials::Post { secret, .. }) => secret,
        (AuthMethod::None, Credentials::IdOnly { .. }) if client.client_type == ClientType::Public => {
            return Ok(client)
        }
        // An assertion is never accepted here: only `assertion::authenticate` verifies one
        // (after [`assertion_client`]).
        _ => return Err(fail),
    };
    let presented_hash = hash_token(presented);
    let mut matched = subtle::Choice::from(0u8);
    for secret in &secrets {
        let live = secret.expires_at.is_none_or(|expires| now < expires);
        let equal = presented_hash.as_bytes().ct_eq(secret.secret_hash.as_bytes());
        matched |= equal & subtle::Choice::from(u8::from(live));
    }
    if bool::from(matched) {
        Ok(client)
    } else {
        Err(fail)
    }
}

/// The registered `private_key_jwt` or `client_secret_jwt` client an assertion names,
/// with its secrets, for `assertion::authenticate` to verify the assertion against;
/// `invalid_client` when there is none or it registered another method.
pub fn assertion_client(found: Option<ClientRecord>, credentials: &Credentials) -> Result<ClientRecord, TokenError> {
    match (found, credentials) {
        (Some((client, secrets)), Credentials::Assertion { client_id, .. })
            if &client.client_id == client_id
                && matches!(client.auth_method, AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt) =>
        {
            Ok((client, secrets))
        }
        _ => Err(TokenError::InvalidClient { basic: false }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{confidential, OneClient};

    fn secret(id: &str, plain: &str, expires_at: Option<UnixTime>) -> ClientSecret {
        ClientSecret { secret_id: id.into(), secret_hash: hash_token(plain), created_at: 0, expires_at, sealed: None }
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn creds(auth: Option<&str>, body: &str) -> Result<Credentials, TokenError> {
        Credentials::from_request(auth, &Form::parse(body.as_bytes()).unwrap())
    }

    fn auth(client: Client, secrets: Vec<ClientSecret>, c: &Credentials, now: UnixTime) -> Result<Client, TokenError> {
        pollster::block_on(authenticate(&OneClient(client, secrets), c, now))
    }

    #[test]
    fn rfc6749_2_3_1_basic_credentials_are_form_url_decoded() {
        // id "svc", secret "p:a ss%" encoded as the RFC asks before base64.
        let c = creds(Some(&basic("svc", "p%3Aa+ss%25")), "grant_type=client_credentials").unwrap();
        assert_eq!(c, Credentials::Basic { client_id: "svc".into(), secret: "p:a ss%".into() });
        let ok = auth(confidential(AuthMethod::ClientSecretBasic), vec![secret("s1", "p:a ss%", None)], &c, 10);
        assert_eq!(ok.unwrap().client_id, "svc");
    }

    #[test]
    fn rfc6749_2_3_1_client_secret_post() {
        let c = creds(None, "client_id=svc&client_secret=s3cret").unwrap();
        assert!(auth(confidential(AuthMethod::ClientSecretPost), vec![secret("s1", "s3cret", None)], &c, 10).is_ok());
    }

    #[test]
    fn rfc6749_2_3_the_registered_method_is_required() {
        let post = creds(None, "client_id=svc&client_secret=s3cret").unwrap();
        let err = auth(confidential(AuthMethod::ClientSecretBasic), vec![secret("s1", "s3cret", None)], &post, 10);
        assert_eq!(err.unwrap_err(), TokenError::InvalidClient { basic: false });
        let basic_creds = creds(Some(&basic("svc", "s3cret")), "").unwrap();
        let err =
            auth(confidential(AuthMethod::ClientSecretPost), vec![secret("s1", "s3cret", None)], &basic_creds, 10);
        assert_eq!(err.unwrap_err(), TokenError::InvalidClient { basic: true });
        // A confidential client cannot skip its secret by claiming to be public.
        let id_only = creds(None, "client_id=svc").unwrap();
        assert!(auth(confidential(AuthMethod::ClientSecretBasic), vec![], &id_only, 10).is_err());
    }

    #[test]
    fn rfc6749_2_3_public_clients_send_only_their_id() {
        let mut public = confidential(AuthMethod::None);
        public.client_type = ClientType::Public;
        let c = creds(None, "client_id=svc").unwrap();
        assert!(auth(public.clone(), vec![], &c, 10).is_ok());
        // ...and a secret sent by a public client is not accepted as authentication.
        let with_secret = creds(None, "client_id=svc&client_secret=x").unwrap();
        assert!(auth(public, vec![], &with_secret, 10).is_err());
    }

    #[test]
    fn wrong_unknown_or_expired_secrets_fail_alike() {
        let c = creds(Some(&basic("svc", "wrong")), "").unwrap();
        let client = confidential(AuthMethod::ClientSecretBasic);
        assert_eq!(
            auth(client.clone(), vec![secret("s1", "right", None)], &c, 10).unwrap_err(),
            TokenError::InvalidClient { basic: true }
        );
        let unknown = creds(Some(&basic("nobody", "right")), "").unwrap();
        assert!(auth(client.clone(), vec![secret("s1", "right", None)], &unknown, 10).is_err());
        let good = creds(Some(&basic("svc", "right")), "").unwrap();
        assert!(auth(client.clone(), vec![secret("s1", "right", Some(10))], &good, 10).is_err(), "expired at 10");
        assert!(auth(client, vec![secret("s1", "right", Some(11))], &good, 10).is_ok());
    }

    #[test]
    fn two_live_secrets_both_work_during_rotation() {
        let client = confidential(AuthMethod::ClientSecretBasic);
        let secrets = vec![secret("old", "old-secret", None), secret("new", "new-secret", None)];
        for s in ["old-secret", "new-secret"] {
            let c = creds(Some(&basic("svc", s)), "").unwrap();
            assert!(auth(client.clone(), secrets.clone(), &c, 10).is_ok(), "{s}");
        }
    }

    #[test]
    fn rfc6749_2_3_more_than_one_method_or_conflicting_ids_is_invalid_request() {
        let both = creds(Some(&basic("svc", "s")), "client_secret=s");
        assert!(matches!(both, Err(TokenError::InvalidRequest(_))));
        let conflicting = creds(Some(&basic("svc", "s")), "client_id=other");
        assert!(matches!(conflicting, Err(TokenError::InvalidRequest(_))));
        assert!(creds(Some(&basic("svc", "s")), "client_id=svc").is_ok());
    }

    #[test]
    fn malformed_basic_headers_are_invalid_client_with_a_basic_challenge() {
        for header in ["Basic", "Basic !!!", "Basic bm9jb2xvbg==", "basic Og==", "Basic /w==", "Basic OnNlY3JldA=="] {
            assert_eq!(creds(Some(header), "").unwrap_err(), TokenError::InvalidClient { basic: true }, "{header}");
        }
        assert_eq!(creds(None, "").unwrap_err(), TokenError::InvalidClient { basic: false });
    }
}
