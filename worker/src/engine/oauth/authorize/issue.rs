//! Answering an authorization request that needs nothing more from the person: a code
//! (RFC 6749 §4.1.2), tokens (§4.2.2, OIDC Core §3.2.2.5), or both (OIDC Core §3.3.2.5).

use super::{decide, AuthorizationRequest, AuthorizationResponse, AuthorizeError, Next, Situation};
use crate::engine::clients::Client;
use crate::engine::crypto::jose::sign_jwt;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::{User, ADMIN_SCOPE};
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::codes::{self, AuthorizationCode};
use crate::engine::oauth::consent::Consent;
use crate::engine::oauth::id_token::{self, IdTokenFacts};
use crate::engine::oauth::resources::GrantedResources;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, SqlRunner, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::{authorization_codes, session_clients};

/// A code minted before the reads that decide whether it may be handed out, so that it
/// is stored in the same D1 batch as those reads (`/authorize` with a live session: the
/// client and session, then one batch; two sequential round trips instead of three).
/// `plaintext` is known only to this request; `row` is stored only while the user is
/// active and the session exists (`store::user_consent_and_code`).
pub struct PreparedCode {
    pub plaintext: String,
    pub row: AuthorizationCode,
}

/// The code `request` would get in `session`, when nothing but the person's consent
/// and their account being active can still stop it: a `code` response, a decision of
/// Issue were the consent there, and no `admin` scope (what a user is granted of that
/// depends on the role, read in the same batch). Otherwise `None`: the code is made
/// after the decision, as before.
pub fn prepare_code(
    config: &Config,
    request: &AuthorizationRequest,
    client: &Client,
    session: &Session,
    account_selected: bool,
    rng: &impl Random,
    now: UnixTime,
) -> Result<Option<PreparedCode>, InternalError> {
    if !request.response_type.code || request.scope.iter().any(|s| s == ADMIN_SCOPE) {
        return Ok(None);
    }
    let consent = Consent { scopes: request.scope.clone(), updated_at: now };
    let situation = Situation {
        session: Some(session),
        consent: Some(&consent),
        first_party: client.first_party,
        account_selected,
    };
    if !matches!(decide(request, &situation, now), Ok(Next::Issue)) {
        return Ok(None);
    }
    let row = code_row(config, request, client, &session.user_id, request.scope.join(" "), session, now);
    let (plaintext, row) = codes::mint(row, rng)?;
    Ok(Some(PreparedCode { plaintext, row }))
}

/// The authorization code row of `request` for `user_id` in `session` (RFC 6749 §4.1.2;
/// the nonce, PKCE challenge, auth_time and amr for the token endpoint).
pub(crate) fn code_row(
    config: &Config,
    request: &AuthorizationRequest,
    client: &Client,
    user_id: &str,
    scope: String,
    session: &Session,
    now: UnixTime,
) -> AuthorizationCode {
    AuthorizationCode {
        code_hash: String::new(),
        client_id: client.client_id.clone(),
        user_id: user_id.to_owned(),
        redirect_uri: request.redirect_uri.clone(),
        scope,
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request.code_challenge_method,
        session_id: Some(session.id_hash.clone()),
        auth_time: session.auth_time,
        amr: Some(session.amr.join(" ")),
        created_at: now,
        expires_at: now + code_ttl(config, client.fapi2),
        consumed_at: None,
        issued_jti: None,
        issued_jti_expires_at: None,
        issued_family_id: None,
        resources: GrantedResources { identifiers: request.resources.clone(), registered: Vec::new() },
        dpop_jkt: request.dpop_jkt.clone(),
    }
}

/// FAPI 2.0 §5.3.2.1: a FAPI 2.0 client's codes live at most 60 seconds.
pub const FAPI2_CODE_TTL: i64 = 60;

/// How long a code lives: `CODE_TTL`, at most [`FAPI2_CODE_TTL`] for a FAPI 2.0 client.
fn code_ttl(config: &Config, fapi2: bool) -> i64 {
    let ttl = i64::from(config.tokens.code_ttl);
    if fapi2 {
        ttl.min(FAPI2_CODE_TTL)
    } else {
        ttl
    }
}

/// `/authorize`'s answer for a person who may have it: a view of the request's context.
pub struct Issuer<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

crate::engine::platform::request::request_context_view!(Issuer);

impl<P: Platform> Issuer<'_, P> {
    /// Answers `request` for `user` in `session`. `prepared` is a code already stored
    /// for it ([`prepare_code`]); without one, a code response mints and stores its own.
    pub async fn issue(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        user: &User,
        session: &Session,
        prepared: Option<PreparedCode>,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        // A non-admin asking for `admin` simply does not get it.
        let granted = user.grantable(&request.scope);
        let scope = granted.join(" ");
        let mut params: Vec<(String, String)> = Vec::new();
        let code = match prepared {
            // prepare_code stores the request's whole scope: never one the user lacks.
            Some(prepared) if prepared.row.scope == scope && prepared.row.user_id == user.id => {
                Some(prepared.plaintext)
            }
            Some(_) => return Err(InternalError::new("a prepared code does not match its grant").into()),
            None if request.response_type.code => {
                let row = code_row(self.config, request, client, &user.id, scope.clone(), session, self.now);
                let (plaintext, row) = codes::mint(row, self.rng)?;
                // OIDC Back-Channel Logout: the client is told when this session ends.
                let told = session_clients::insert(&session.id_hash, &client.client_id, self.now);
                self.store.batch(&[authorization_codes::insert(&row), told]).await?;
                Some(plaintext)
            }
            None => None,
        };
        match &code {
            Some(code) => params.push(("code".into(), code.clone())),
            // Tokens straight from /authorize (implicit): the client is told of the end too.
            None => {
                self.store.exec(session_clients::insert(&session.id_hash, &client.client_id, self.now)).await?;
            }
        }
        let ttl = client.access_token_ttl.unwrap_or(self.config.tokens.access_token_ttl);
        let access_key = match request.response_type.token {
            true => Some(self.keys.signing_key(self.config.tokens.signing_alg).await?),
            false => None,
        };
        // OIDC Registration §2: the client's algorithm, RS256 unless it registered another.
        let id_key = match (request.response_type.id_token, &access_key) {
            (false, _) => None,
            (true, Some(key)) if key.alg == client.id_token_alg => Some(key.clone()),
            (true, _) => Some(self.keys.signing_key(client.id_token_alg).await?),
        };
        let mut access_token = None;
        if let Some(key) = &access_key {
            let mut claims =
                AccessTokenClaims::new(self.config, &user.id, &client.client_id, &scope, ttl, self.now_ms, self.rng)?;
            claims.auth_time = Some(session.auth_time);
            claims.sid = Some(session.id_hash.clone());
            let token = claims.sign(self.signer, key).await?;
            params.push(("access_token".into(), token.clone()));
            params.push(("token_type".into(), "Bearer".into()));
            params.push(("expires_in".into(), ttl.to_string()));
            params.push(("scope".into(), scope.clone()));
            access_token = Some(token);
        }
        if let Some(key) = &id_key {
            let scopes: Vec<&str> = granted.iter().map(String::as_str).collect();
            let released = self.store.released_claims(&scopes).await?;
            let facts = IdTokenFacts {
                user,
                client_id: &client.client_id,
                claims: &released,
                auth_time: session.auth_time,
                amr: Some(&session.amr.join(" ")),
                nonce: request.nonce.as_deref(),
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                sid: Some(&session.id_hash),
                ttl,
                alg: key.alg,
            };
            let claims = id_token::claims(self.config, &facts, self.now);
            params.push(("id_token".into(), sign_jwt(self.signer, key, "JWT", &claims).await?));
        }
        Ok(AuthorizationResponse::new(self.config, &request.target(), params))
    }
}
