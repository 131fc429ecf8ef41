//! The device authorization grant (RFC 8628) at the device authorization endpoint
//! (`POST /device`, §3.1–3.2) and the token endpoint (§3.4–3.5).

use serde_json::json;
use shared::oauth::{grant, DeviceAuthorizationResponse, TokenResponse};
use shared::paths;

use super::issue::Grant;
use super::{TokenEndpoint, TokenError};
use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::{Client, Credentials};
use crate::engine::crypto::tokens::random_token;
use crate::engine::identity::users::UserStore;
use crate::engine::oauth::device::{
    device_code_hash, new_user_code, poll, user_code_hash, DeviceCode, DeviceStatus, DeviceStore, Poll, POLL_INTERVAL,
};
use crate::engine::oauth::resources::{self, GrantedResources};
use crate::engine::oauth::token::TokenLookups;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::form::Form;
use crate::engine::platform::request::Platform;

/// User codes are drawn again this many times if one collides with a live code (at 2^34.6
/// codes, a second collision in a row means something else is wrong).
const USER_CODE_ATTEMPTS: usize = 3;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// `POST /device` (RFC 8628 §3.1): the client authenticates as registered (or, if
    /// public, names itself) and must be registered for the device grant; the scope is
    /// checked like any token request's. Audited as `device.code_issued`.
    pub async fn device_authorization(
        &self,
        credentials: &Credentials,
        form: &Form,
    ) -> Result<DeviceAuthorizationResponse, TokenError> {
        let requested = resources::requested(form).map_err(TokenError::InvalidTarget)?;
        let (client, resources) = self.client_and_resources(credentials, &requested).await?;
        if !client.allows_grant(grant::DEVICE_CODE) {
            return Err(TokenError::UnauthorizedClient(
                "this client may not use the device authorization grant".into(),
            ));
        }
        let scope = self.requested_scope(&client, form.get("scope"))?.join(" ");
        let identifiers: Vec<String> = resources.iter().map(|r| r.identifier.clone()).collect();
        let device_code = random_token(self.rng)?;
        let ttl = self.config.tokens.device_code_ttl;
        for _ in 0..USER_CODE_ATTEMPTS {
            let user_code = new_user_code(self.rng)?;
            let row = DeviceCode {
                device_code_hash: device_code_hash(&device_code),
                user_code_hash: user_code_hash(self.config, &user_code)?,
                client_id: client.client_id.clone(),
                scope: scope.clone(),
                status: DeviceStatus::Pending,
                user_id: None,
                auth_time: None,
                amr: None,
                session_id: None,
                interval: POLL_INTERVAL,
                last_polled_at: None,
                created_at: self.now,
                expires_at: self.now + i64::from(ttl),
                resources: GrantedResources { identifiers: identifiers.clone(), registered: Vec::new() },
            };
            if !self.store.insert_device_code(&row).await? {
                continue;
            }
            let event = AuditEvent::new("device.code_issued", self.meta, self.now, self.rng)?
                .actor("client", &client.client_id)
                .resource("client", &client.client_id)
                .metadata(json!({ "scope": scope, "resources": identifiers }));
            self.audit(event).await?;
            let verification_uri = self.config.endpoint(paths::ACTIVATE);
            return Ok(DeviceAuthorizationResponse {
                verification_uri_complete: format!("{verification_uri}?user_code={user_code}"),
                verification_uri,
                device_code,
                user_code,
                expires_in: ttl,
                interval: POLL_INTERVAL,
                audience: client.client_name.clone(),
            });
        }
        Err(super::InternalError::new("no free user code after several draws").into())
    }

    /// The device polling `/token` (RFC 8628 §3.4–3.5): `authorization_pending` until the
    /// person answers, `slow_down` (and a longer interval) when polled early,
    /// `access_denied`, `expired_token`; once approved, tokens exactly once.
    pub(super) async fn device_code(
        &self,
        credentials: &Credentials,
        device_code: Option<&str>,
        requested: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let Some(presented) = device_code else {
            let client = self.authenticate(credentials).await?;
            self.allowed(&client)?;
            return Err(TokenError::InvalidRequest("the device_code parameter is missing".into()));
        };
        let hash = device_code_hash(presented);
        // One round trip for a pending poll, the device's most frequent request: the
        // client, the code as it was, and the poll's time written where the client's
        // guard lets it (docs/storage.md, "One trip per grant").
        let gate = ClientGate::new(credentials, self.dpop_jkt.is_some(), self.origin, true);
        let (found, row, polled) = self.store.device_poll_in_one_trip(&hash, &gate, self.now).await?;
        let client = self.check_client(found, credentials).await?;
        self.allowed(&client)?;
        let invalid = || TokenError::InvalidGrant("the device code is invalid or was already used".into());
        match poll(row.as_ref(), &client.client_id, self.now) {
            Poll::Invalid => Err(invalid()),
            Poll::Expired => Err(TokenError::ExpiredToken),
            Poll::Denied => Err(TokenError::AccessDenied),
            Poll::Pending { slow_down } => {
                // Where the guard was stricter (a JWT assertion, a metadata-document
                // client), the poll is recorded now, as it always was.
                if !polled {
                    let interval = slow_down.unwrap_or(row.as_ref().map_or(POLL_INTERVAL, |r| r.interval));
                    self.store.record_poll(&hash, self.now, interval).await?;
                }
                Err(match slow_down {
                    Some(interval) => TokenError::SlowDown { interval },
                    None => TokenError::AuthorizationPending,
                })
            }
            Poll::Approved => {
                let Some(row) = row else { return Err(invalid()) };
                // RFC 8707 §2.2, checked before the code is spent.
                let resources = row.resources.for_request(requested, &client).map_err(TokenError::InvalidTarget)?;
                // The one conditional UPDATE that lets exactly one poll have the tokens.
                if !self.store.consume_device_code(&hash, self.now).await? {
                    return Err(invalid());
                }
                let user = match row.user_id.as_deref() {
                    Some(id) => self.store.user_by_id(id).await?.filter(|u| u.active),
                    None => None,
                };
                let Some(user) = user else { return Err(invalid()) };
                let scope: Vec<String> = row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
                let auth_time = row.auth_time.unwrap_or(row.created_at);
                let mut grant = Grant {
                    client: &client,
                    user: &user,
                    scope,
                    auth_time,
                    amr: row.amr.as_deref(),
                    refresh_token: None,
                    nonce: None,
                    claims: None,
                    session_id: row.session_id.as_deref(),
                    resources: &resources,
                };
                grant.refresh_token = self.stored_refresh_token(&grant, &row.resources.identifiers).await?;
                self.issue(grant).await
            }
        }
    }

    /// A client may poll for device codes only if DPoP-bound as registered (RFC 9449
    /// §5.2) and registered for the grant.
    fn allowed(&self, client: &Client) -> Result<(), TokenError> {
        self.require_binding(client)?;
        if !client.allows_grant(grant::DEVICE_CODE) {
            return Err(TokenError::UnauthorizedClient(
                "this client may not use the device authorization grant".into(),
            ));
        }
        Ok(())
    }
}
