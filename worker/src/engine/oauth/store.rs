//! Reads the OAuth endpoints need together, each batched into one round trip with the
//! writes that can join them ([`TokenLookups`], [`user_consent_and_code`],
//! [`authorize_in_one_trip`]) from the builders of their tables (`engine::tables`).

use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::ClientRecord;
use crate::engine::identity::login::{self, AccountRead};
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState};
use crate::engine::oauth::codes::{AuthorizationCode, OneTripRead, OneTripRedemption};
use crate::engine::oauth::consent::Consent;
use crate::engine::oauth::device::{DeviceCode, SLOW_DOWN_STEP};
use crate::engine::oauth::dpop::Checked;
use crate::engine::oauth::refresh::{RefreshToken, Rotation};
use crate::engine::oauth::resources::TargetResource;
use crate::engine::oauth::token::RefreshRead;
use crate::engine::oauth::token::TokenLookups;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::tables::clients::{client_from_rows, client_statement};
use crate::engine::tables::users::{self, first_user, user_of_session_statement};
use crate::engine::tables::{
    self, authorization_codes, consents, device_codes, refresh_tokens, resources, session_clients,
};

/// A session's user (while the session's D1 row exists) and their consent to a client in
/// one round trip (`/authorize` with a live session needs both; two calls would cost two
/// D1 round trips). With `code`, the same batch (one transaction) stores that prepared
/// code when the user is active and the session exists: the user returned active means
/// it was stored. The caller discards it if it does not hand it out.
pub async fn user_consent_and_code(
    db: &impl SqlRunner,
    session: &Session,
    client_id: &str,
    code: Option<&AuthorizationCode>,
) -> Result<(Option<User>, Option<Consent>), InternalError> {
    let consent = consents::of_user_and_client(&session.user_id, client_id);
    let mut statements = vec![user_of_session_statement(session), consent];
    if let Some(code) = code {
        statements.push(authorization_codes::insert_for_session(code));
        // OIDC Back-Channel Logout: the client is told when this session ends.
        statements.push(session_clients::insert_for_live_session(&session.id_hash, client_id, code.created_at));
    }
    let mut results = db.query_batch(&statements).await?.into_iter();
    let user = first_user(results.next().unwrap_or_default())?;
    let consent = consents::decode_consent(results.next().unwrap_or_default())?;
    Ok((user, consent))
}

/// What `/authorize` for a returning person reads in one batch
/// ([`authorize_in_one_trip`]).
pub struct AuthorizeReads {
    pub client: Option<ClientRecord>,
    pub known: Vec<TargetResource>,
    /// The user of the session's D1 row, if the row exists.
    pub user: Option<User>,
    pub consent: Option<Consent>,
    /// What the speculative code took from the session row, if it was stored.
    pub stored: Option<authorization_codes::FromSession>,
}

/// `/authorize` with a session cookie in one round trip (docs/storage.md, "One trip per
/// grant"): the client (with the resources the request names), the user of the session
/// whose id hash is `session_hash` and their consent to the client, and, prepared before
/// any of it was read, a speculative `code` with the session's back-channel logout entry,
/// stored only while the session row exists and its user is active.
pub async fn authorize_in_one_trip(
    db: &impl SqlRunner,
    client_id: &str,
    named: &[String],
    session_hash: &str,
    code: Option<&AuthorizationCode>,
) -> Result<AuthorizeReads, InternalError> {
    let mut statements = vec![
        client_statement(client_id),
        resources::named(named),
        users::of_session_hash(session_hash),
        consents::of_session_and_client(session_hash, client_id),
    ];
    if let Some(code) = code {
        statements.push(authorization_codes::insert_from_session(code));
        statements.push(session_clients::insert_for_live_session(session_hash, client_id, code.created_at));
    }
    let mut results = db.query_batch(&statements).await?.into_iter();
    let mut next = || results.next().unwrap_or_default();
    Ok(AuthorizeReads {
        client: client_from_rows(next())?,
        known: resources::decode_named(next())?,
        user: first_user(next())?,
        consent: consents::decode_consent(next())?,
        stored: authorization_codes::decode_from_session(next())?,
    })
}

impl<T: SqlRunner> TokenLookups for T {
    async fn client_and_access_token_state(
        &self,
        client_id: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(Option<ClientRecord>, AccessTokenState), InternalError> {
        let [client, state] = self.select_pair(client_statement(client_id), tables::access_token_state(claims)).await?;
        Ok((client_from_rows(client)?, tables::decode_access_token_state(state)?))
    }

    async fn client_and_refresh_token(
        &self,
        client_id: &str,
        token_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(RefreshToken, Option<User>)>), InternalError> {
        let [client, token] =
            self.select_pair(client_statement(client_id), refresh_tokens::with_user(token_hash)).await?;
        Ok((client_from_rows(client)?, refresh_tokens::decode_with_user(token)?))
    }

    async fn refresh_in_one_trip(&self, rotation: &Rotation) -> Result<RefreshRead, InternalError> {
        let [claim, successor] = refresh_tokens::rotation_in_one_trip(rotation);
        let mut statements = vec![
            client_statement(&rotation.gate.client_id),
            refresh_tokens::with_user(&rotation.parent_hash),
            claim,
            successor,
        ];
        statements.extend(rotation.proof.as_ref().map(Checked::spend));
        let mut results = self.query_batch(&statements).await?.into_iter();
        let client = client_from_rows(results.next().unwrap_or_default())?;
        let token = refresh_tokens::decode_with_user(results.next().unwrap_or_default())?;
        let mut landed = || results.next().is_some_and(|rows| !rows.is_empty());
        let (rotated, _) = (landed(), landed());
        let proof_spent = rotation.proof.as_ref().map(|_| landed());
        Ok(RefreshRead { client, token, rotated, proof_spent })
    }

    async fn code_in_one_trip(&self, redemption: &OneTripRedemption) -> Result<OneTripRead, InternalError> {
        let [consume, refresh, touch] = authorization_codes::redemption_in_one_trip(redemption);
        let mut statements = vec![
            client_statement(&redemption.gate.client_id),
            authorization_codes::with_user(&redemption.code_hash),
            consume,
            refresh,
            touch,
        ];
        statements.extend(redemption.proof.as_ref().map(Checked::spend));
        let mut results = self.query_batch(&statements).await?.into_iter();
        let client = client_from_rows(results.next().unwrap_or_default())?;
        let code = authorization_codes::decode_with_user(results.next().unwrap_or_default())?;
        let mut landed = || results.next().is_some_and(|rows| !rows.is_empty());
        let (consumed, refresh_stored, _) = (landed(), landed(), landed());
        let proof_spent = redemption.proof.as_ref().map(|_| landed());
        Ok(OneTripRead { client, code, consumed, refresh_stored, proof_spent })
    }

    async fn client_resources_and_proof(
        &self,
        client_id: &str,
        identifiers: &[String],
        proof: &Checked,
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>, bool), InternalError> {
        let statements = [client_statement(client_id), resources::named(identifiers), proof.spend()];
        let mut results = self.query_batch(&statements).await?.into_iter();
        let client = client_from_rows(results.next().unwrap_or_default())?;
        let known = resources::decode_named(results.next().unwrap_or_default())?;
        Ok((client, known, results.next().is_some_and(|rows| !rows.is_empty())))
    }

    async fn device_poll_in_one_trip(
        &self,
        device_code_hash: &str,
        gate: &ClientGate,
        now: UnixTime,
    ) -> Result<(Option<ClientRecord>, Option<DeviceCode>, bool), InternalError> {
        let statements = [
            client_statement(&gate.client_id),
            device_codes::by_device_code(device_code_hash),
            device_codes::record_pending_poll(device_code_hash, gate, now, SLOW_DOWN_STEP),
        ];
        let mut results = self.query_batch(&statements).await?.into_iter();
        let client = client_from_rows(results.next().unwrap_or_default())?;
        let code = device_codes::decode(results.next().unwrap_or_default())?;
        Ok((client, code, results.next().is_some_and(|rows| !rows.is_empty())))
    }

    async fn client_resources_and_account(
        &self,
        client_id: &str,
        identifiers: &[String],
        email: &str,
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>, AccountRead), InternalError> {
        let [by_email, mfa, changed] = login::account_statements(email);
        let statements = [client_statement(client_id), resources::named(identifiers), by_email, mfa, changed];
        let mut results = self.query_batch(&statements).await?.into_iter();
        let client = client_from_rows(results.next().unwrap_or_default())?;
        let known = resources::decode_named(results.next().unwrap_or_default())?;
        Ok((client, known, login::decode_account(&mut results)?))
    }

    async fn client_and_resources(
        &self,
        client_id: &str,
        identifiers: &[String],
    ) -> Result<(Option<ClientRecord>, Vec<TargetResource>), InternalError> {
        if identifiers.is_empty() {
            return Ok((client_from_rows(self.select(client_statement(client_id)).await?)?, Vec::new()));
        }
        let [client, named] = self.select_pair(client_statement(client_id), resources::named(identifiers)).await?;
        Ok((client_from_rows(client)?, resources::decode_named(named)?))
    }
}
