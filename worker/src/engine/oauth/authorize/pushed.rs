//! Pushed authorization requests (RFC 9126) and the parameters `/authorize` works with.
//!
//! The client authenticates at the PAR endpoint as at `/token` (every method, RFC 9126
//! §2), sends the authorization request's parameters (or a request object, RFC 9101) and
//! gets a `request_uri` valid once, for [`PAR_LIFETIME`] seconds, for that client only
//! (§2.2, §4). The request is checked then with the rules and errors of `/authorize`
//! (`request::parse`, §2.3) and again when the browser brings the `request_uri`, since
//! settings may change in between.

use serde::Serialize;
use shared::oauth::{PAR_LIFETIME, PAR_REQUEST_URI_PREFIX};

use super::request::{self, Via};
use super::request_object;
use super::AuthorizeError;
use crate::engine::clients::{metadata_document, ClientStore, Credentials};
use crate::engine::crypto::tokens::{hash_token, random_token};
use crate::engine::oauth::resources;
use crate::engine::oauth::token::{TokenEndpoint, TokenError, TokenLookups};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{first_row, SqlRunner};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::pushed_authorization_requests::{self as pushed, Taken};

/// RFC 9126 §2.2: the answer to a push (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushedRequest {
    pub request_uri: String,
    pub expires_in: u32,
}

/// Client authentication parameters (RFC 6749 §2.3.1, RFC 7523 §2.2): they authenticate
/// the push and are never stored with the request.
const CLIENT_AUTHENTICATION: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

impl<P: Platform> TokenEndpoint<'_, P> {
    /// `POST /par` (RFC 9126 §2.1): the client authenticated, the request checked as
    /// `/authorize` would (its errors with their `/authorize` codes), then stored.
    pub async fn push_authorization_request(
        &self,
        credentials: &Credentials,
        form: &Form,
    ) -> Result<PushedRequest, TokenError> {
        let named = resources::requested(form).unwrap_or_default();
        let (found, mut known) = self.store.client_and_resources(credentials.client_id(), &named).await?;
        let client = self.check_client(found, credentials).await?;
        if form.contains("request_uri") {
            return Err(TokenError::InvalidRequest("request_uri cannot be pushed (RFC 9126 §2.1)".into()));
        }
        let params = match form.get("request") {
            // RFC 9126 §3: the request object's parameters, and nothing outside it.
            Some(object) => {
                let params = request_object::unpack(&self.rc, &client, object)
                    .await?
                    .map_err(|why| TokenError::Authorization { error: "invalid_request_object", description: why })?;
                let inside = resources::requested(&params).unwrap_or_default();
                if inside != named {
                    known = self.store.client_and_resources(&client.client_id, &inside).await?.1;
                }
                params
            }
            None => form.with("client_id", &client.client_id, CLIENT_AUTHENTICATION),
        };
        // RFC 9449 §10.1: a DPoP proof at the push binds the code to its key; a dpop_jkt
        // sent with it must name that key.
        let params = match (params.get("dpop_jkt"), self.dpop_jkt) {
            (Some(named), Some(proven)) if named != proven => {
                return Err(TokenError::InvalidDpopProof("dpop_jkt is not the thumbprint of the proof's key".into()))
            }
            (None, Some(proven)) => params.with("dpop_jkt", proven, &[]),
            _ => params,
        };
        request::parse(&params, Some(&client), &known, self.config, self.now_ms, Via::Pushed).map_err(|e| match e {
            AuthorizeError::Page { error, description } | AuthorizeError::Redirect { error, description, .. } => {
                TokenError::Authorization { error, description }
            }
            AuthorizeError::Internal(e) => TokenError::Internal(e),
        })?;
        let id = random_token(self.rng)?;
        let expires_at = self.now + i64::from(PAR_LIFETIME);
        self.store.exec(pushed::insert(&hash_token(&id), &client.client_id, &params.encode(), expires_at)).await?;
        Ok(PushedRequest { request_uri: format!("{PAR_REQUEST_URI_PREFIX}{id}"), expires_in: PAR_LIFETIME })
    }
}

/// The parameters `/authorize` works with, and how they came: a pushed request's (taken
/// once, RFC 9126 §4), a request object's (RFC 9101 §5: only what is inside it), or the
/// query's own. Errors here are for the error page: the redirect URI is not known yet.
pub async fn resolve<P: Platform>(rc: &RequestContext<'_, P>, params: Form) -> Result<(Form, Via), AuthorizeError> {
    let page = |error: &'static str, why: &str| AuthorizeError::page(error, why);
    if let Some(uri) = params.get("request_uri") {
        let Some(client_id) = params.get("client_id") else {
            return Err(page("invalid_request", "the client_id parameter is missing (RFC 9126 §4)"));
        };
        let Some(id) = uri.strip_prefix(PAR_REQUEST_URI_PREFIX) else {
            return Err(page(
                "invalid_request_uri",
                "only request_uri values from this server's PAR endpoint are accepted (request_uri_parameter_supported is false)",
            ));
        };
        let taken = first_row::<Taken>(rc.store.select(pushed::take(&hash_token(id), client_id, rc.now)).await?)?;
        return match taken {
            Some(row) if row.live != 0.0 => {
                let pushed = Form::parse(row.params.as_bytes())
                    .map_err(|e| InternalError::new(format!("a stored pushed request: {}", e.describe())))?;
                Ok((pushed, Via::Pushed))
            }
            Some(_) => Err(page("invalid_request_uri", "the request_uri has expired: push the request again")),
            None => Err(page(
                "invalid_request_uri",
                "the request_uri is unknown, was used already, or was pushed by another client",
            )),
        };
    }
    let Some(object) = params.get("request") else { return Ok((params, Via::FrontChannel)) };
    let Some(client_id) = params.get("client_id") else {
        return Err(page("invalid_request", "the client_id parameter is missing (RFC 9101 §5)"));
    };
    let found = rc.store.client_with_secrets(client_id).await?.map(|(client, _)| client);
    let client = match metadata_document::client_or_document(rc, found, client_id).await? {
        Ok(Some(client)) => client,
        Ok(None) => return Err(page("invalid_client", "the client is not registered with this server")),
        Err(why) => {
            return Err(page("invalid_client", &format!("the client's metadata document cannot be used: {why}")))
        }
    };
    match request_object::unpack(rc, &client, object).await? {
        Ok(inside) => Ok((inside, Via::FrontChannel)),
        Err(why) => Err(page("invalid_request_object", &why)),
    }
}
