//! Passkeys (WebAuthn Level 2): registration from the account page, and assertions that
//! sign a person in without a password (discoverable credentials, user verification
//! required) or stand as the second factor after one. The relying party id is the
//! issuer's host, so passkeys need a host name (WebAuthn refuses IP addresses, §5.1.4.1).
//! Challenges are single-use D1 rows (migrations/0015) taken by one DELETE.

pub mod webauthn;

#[cfg(test)]
mod tests;

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::passkeys::{
    AssertionResponse, AuthenticatorSelection, CreationOptions, CredentialDescriptor, CredentialParameter, NewPasskey,
    PasskeyInfo, PasskeyUser, RelyingParty, RequestOptions, NAME_MAX,
};

use self::webauthn::{
    attestation_auth_data, check_client_data, decode, signature_valid, AuthenticatorData, CoseKey, Refused,
    BACKUP_ELIGIBLE, ES256, RS256, USER_VERIFIED,
};
use crate::engine::crypto::jose::b64url;
use crate::engine::identity::users::User;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{first_row, int, Random, SqlRunner, UnixTime};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::passkeys::{self, PasskeyRecord, PasskeyRow};
use crate::engine::tables::webauthn_challenges;

/// How long a ceremony may take (WebAuthn §5.4.1 recommends 300 s for user verification).
const CHALLENGE_SECONDS: UnixTime = 300;

/// The error code of every refused passkey answer.
pub const INVALID_PASSKEY: &str = "invalid_passkey";

fn refused(why: Refused) -> ApiError {
    ApiError::unauthorized(INVALID_PASSKEY, format!("The passkey was not accepted: {}.", why.0))
}

/// The relying party id: the issuer's host name (§5.1.4.1: an IP address is no valid id).
pub fn rp_id(config: &Config) -> Option<String> {
    let url = url::Url::parse(&config.issuer).ok()?;
    match url.host()? {
        url::Host::Domain(name) => Some(name.to_owned()),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

fn rp_id_or_refuse(config: &Config) -> Result<String, ApiError> {
    rp_id(config).ok_or_else(|| {
        ApiError::conflict(
            "passkeys_unavailable",
            "Passkeys need this server's ISSUER to be a host name; browsers refuse them on an IP address.",
        )
    })
}

/// The origin the client data must name (§7.1 step 9): the issuer's.
fn origin(config: &Config) -> String {
    url::Url::parse(&config.issuer).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// The opaque user handle (§14.6.1): the user id, never the email.
pub fn user_handle(user_id: &str) -> String {
    b64url(user_id.as_bytes())
}

/// A verified assertion: whose passkey, and the methods it proved (RFC 8176: `swk` for a
/// synced passkey, `hwk` for one bound to its device; `mfa` when the authenticator
/// verified the person, possession plus a PIN or biometric).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    pub user_id: String,
    pub amr: Vec<&'static str>,
}

/// One passkey request: a view of the request's context (the rows, the signature checks).
pub struct Passkeys<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

request_context_view!(Passkeys);

impl<P: Platform> Passkeys<'_, P> {
    async fn new_challenge(&self, purpose: &str, user_id: Option<&str>) -> Result<String, InternalError> {
        let mut bytes = [0u8; 32];
        self.rng.fill(&mut bytes)?;
        let challenge = b64url(&bytes);
        let hash = b64url(&Sha256::digest(challenge.as_bytes()));
        self.store.exec(webauthn_challenges::insert(&hash, purpose, user_id, self.now + CHALLENGE_SECONDS)).await?;
        Ok(challenge)
    }

    /// The challenge the client data names, taken (once) if it is a live one of `purpose`;
    /// the user it was issued for.
    async fn take_challenge(
        &self,
        client_data_json: &[u8],
        purpose: &str,
    ) -> Result<(String, Option<String>), ApiError> {
        #[derive(Deserialize)]
        struct Named {
            challenge: String,
        }
        let named: Named = crate::engine::platform::json::parse(client_data_json)
            .map_err(|_| refused(Refused("the client data is not JSON")))?;
        let hash = b64url(&Sha256::digest(named.challenge.as_bytes()));
        let rows = self.store.select(webauthn_challenges::take(&hash, purpose, self.now)).await?;
        let Some(row) = rows.into_iter().next() else {
            return Err(refused(Refused("the challenge is unknown, expired or used")));
        };
        let user_id = row.get("user_id").and_then(serde_json::Value::as_str).map(str::to_owned);
        Ok((named.challenge, user_id))
    }

    async fn rows_of(&self, user_id: &str) -> Result<Vec<PasskeyRow>, InternalError> {
        self.store
            .select(passkeys::of_user(user_id))
            .await?
            .into_iter()
            .map(|r| crate::engine::platform::json::row(r, "passkey"))
            .collect()
    }

    /// `GET /api/passkeys`.
    pub async fn list(&self, user_id: &str) -> Result<Vec<PasskeyInfo>, InternalError> {
        Ok(self.rows_of(user_id).await?.iter().map(PasskeyRow::info).collect())
    }

    /// `POST /api/passkeys/register/options`: a discoverable credential with user
    /// verification, attestation `none`, not one of the person's passkeys again.
    pub async fn registration_options(&self, user: &User) -> Result<CreationOptions, ApiError> {
        let rp_id = rp_id_or_refuse(self.config)?;
        let existing = self.rows_of(&user.id).await?;
        let challenge = self.new_challenge("register", Some(&user.id)).await?;
        let credential = |alg| CredentialParameter { kind: "public-key".into(), alg };
        Ok(CreationOptions {
            challenge,
            rp: RelyingParty { id: rp_id, name: self.config.branding.app_name.clone() },
            user: PasskeyUser {
                id: user_handle(&user.id),
                name: user.email.clone(),
                display_name: user.name.clone().unwrap_or_else(|| user.email.clone()),
            },
            pub_key_cred_params: vec![credential(ES256), credential(RS256)],
            timeout: 300_000,
            exclude_credentials: existing
                .iter()
                .map(|r| CredentialDescriptor { kind: "public-key".into(), id: r.credential_id.clone() })
                .collect(),
            authenticator_selection: AuthenticatorSelection {
                resident_key: "required".into(),
                require_resident_key: true,
                user_verification: "required".into(),
            },
            attestation: "none".into(),
        })
    }

    /// `POST /api/passkeys`: WebAuthn §7.1's checks, then the passkey is the person's.
    pub async fn register(&self, user: &User, new: &NewPasskey) -> Result<PasskeyInfo, ApiError> {
        let rp_id = rp_id_or_refuse(self.config)?;
        let name = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("Passkey");
        if name.chars().count() > NAME_MAX {
            return Err(ApiError::bad_request("invalid_request", format!("the name is longer than {NAME_MAX}")));
        }
        let response = &new.credential;
        let client_data = decode("the client data is not base64url", &response.client_data_json).map_err(refused)?;
        let (challenge, owner) = self.take_challenge(&client_data, "register").await?;
        if owner.as_deref() != Some(user.id.as_str()) {
            return Err(refused(Refused("the challenge was issued to someone else")));
        }
        check_client_data(&client_data, "webauthn.create", &challenge, &origin(self.config)).map_err(refused)?;
        let attestation = decode("the attestation is not base64url", &response.attestation_object).map_err(refused)?;
        let (_format, auth_data) = attestation_auth_data(&attestation).map_err(refused)?;
        let data = AuthenticatorData::parse(&auth_data).map_err(refused)?;
        data.check(&rp_id, true).map_err(refused)?;
        let Some(credential) = data.credential else {
            return Err(refused(Refused("no credential was created")));
        };
        if b64url(&credential.credential_id) != response.id {
            return Err(refused(Refused("the credential id does not match")));
        }
        let key = CoseKey::parse(&credential.public_key).map_err(refused)?;
        let synced = data.flags & BACKUP_ELIGIBLE != 0;
        let new = PasskeyRecord {
            credential_id: &response.id,
            user_id: &user.id,
            name,
            public_key: b64url(&credential.public_key),
            algorithm: key.algorithm(),
            sign_count: data.sign_count,
            synced,
            transports: response.transports.join(" "),
            aaguid: b64url(&credential.aaguid),
        };
        if self.store.exec(passkeys::insert(&new, self.now)).await? == 0 {
            return Err(ApiError::conflict("passkey_exists", "This passkey is registered already."));
        }
        let event = AuditEvent::new("passkey.registered", self.meta, self.now, self.rng)?
            .actor("user", &user.id)
            .resource("passkey", &response.id)
            .metadata(json!({ "name": name, "synced": synced, "algorithm": key.algorithm() }));
        self.store.record(&event).await?;
        let info = PasskeyInfo {
            id: response.id.clone(),
            name: name.into(),
            synced,
            created_at: self.now,
            last_used_at: None,
        };
        Ok(info)
    }

    /// `DELETE /api/passkeys/{id}`: true when the person had it.
    pub async fn remove(&self, user_id: &str, credential_id: &str) -> Result<bool, InternalError> {
        if self.store.exec(passkeys::delete(credential_id, user_id)).await? == 0 {
            return Ok(false);
        }
        let event = AuditEvent::new("passkey.removed", self.meta, self.now, self.rng)?
            .actor("user", user_id)
            .resource("passkey", credential_id);
        self.store.record(&event).await?;
        Ok(true)
    }

    /// `POST /api/passkeys/sign-in/options`: for `user_id`'s passkeys (the second step of
    /// a sign-in), or any discoverable one of this relying party (usernameless).
    pub async fn sign_in_options(&self, user_id: Option<&str>) -> Result<RequestOptions, ApiError> {
        let rp_id = rp_id_or_refuse(self.config)?;
        let allow = match user_id {
            Some(id) => self
                .rows_of(id)
                .await?
                .iter()
                .map(|r| CredentialDescriptor { kind: "public-key".into(), id: r.credential_id.clone() })
                .collect(),
            None => Vec::new(),
        };
        let challenge = self.new_challenge("sign_in", user_id).await?;
        Ok(RequestOptions {
            challenge,
            rp_id,
            timeout: 300_000,
            user_verification: "required".into(),
            allow_credentials: allow,
        })
    }

    /// `POST /api/passkeys/sign-in`: WebAuthn §7.2's checks and the signature; the
    /// counter moves forward (a counter that does not suggests a cloned authenticator:
    /// refused and audited `passkey.counter_mismatch`).
    pub async fn verify_assertion(&self, response: &AssertionResponse) -> Result<Asserted, ApiError> {
        let rp_id = rp_id_or_refuse(self.config)?;
        let client_data = decode("the client data is not base64url", &response.client_data_json).map_err(refused)?;
        let (challenge, bound_user) = self.take_challenge(&client_data, "sign_in").await?;
        check_client_data(&client_data, "webauthn.get", &challenge, &origin(self.config)).map_err(refused)?;
        let Some(row) = first_row::<PasskeyRow>(self.store.select(passkeys::by_id(&response.id)).await?)? else {
            return Err(refused(Refused("this passkey is not registered here")));
        };
        if bound_user.as_deref().is_some_and(|u| u != row.user_id)
            || response.user_handle.as_deref().is_some_and(|h| h != user_handle(&row.user_id))
        {
            return Err(refused(Refused("the passkey belongs to another account")));
        }
        let auth_data =
            decode("the authenticator data is not base64url", &response.authenticator_data).map_err(refused)?;
        let data = AuthenticatorData::parse(&auth_data).map_err(refused)?;
        data.check(&rp_id, true).map_err(refused)?;
        let key_bytes = decode("the stored key", &row.public_key).map_err(refused)?;
        let key = CoseKey::parse(&key_bytes).map_err(refused)?;
        if key.algorithm() != int(row.algorithm) {
            return Err(refused(Refused("the stored key's algorithm changed")));
        }
        let signature = decode("the signature is not base64url", &response.signature).map_err(refused)?;
        if !signature_valid(self.signer, &key, &auth_data, &client_data, &signature).await? {
            return Err(refused(Refused("the signature does not verify")));
        }
        if self.store.exec(passkeys::record_use(&response.id, data.sign_count, self.now)).await? == 0 {
            let event = AuditEvent::new("passkey.counter_mismatch", self.meta, self.now, self.rng)?
                .actor("user", &row.user_id)
                .resource("passkey", &row.credential_id)
                .metadata(json!({ "stored": int(row.sign_count), "presented": data.sign_count }));
            self.store.record(&event).await?;
            return Err(refused(Refused("its signature counter went backwards, as a cloned authenticator's would")));
        }
        let mut amr = vec![if row.backup_eligible != 0.0 { "swk" } else { "hwk" }];
        if data.flags & USER_VERIFIED != 0 {
            amr.push("mfa");
        }
        Ok(Asserted { user_id: row.user_id, amr })
    }
}
