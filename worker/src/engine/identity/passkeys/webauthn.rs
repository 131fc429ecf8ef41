//! The relying party's checks of WebAuthn Level 2: the client data (§7.1 steps 7–10,
//! §7.2 steps 11–14), the authenticator data (§6.1), the attestation object with format
//! `none` (§8.7), COSE public keys (RFC 9053 §7.1–7.2: ES256 on P-256 and RS256), and the
//! assertion signature over `authenticatorData ‖ SHA-256(clientDataJSON)` (§7.2 step 20).
//! Pure parsing here; the signature itself is checked through the crypto ports.

use ciborium::Value;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::engine::crypto::jose::{b64url, b64url_decode};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Es256Verifier, JwsSigner, PublicJwk, SigningAlg};

/// COSE algorithm identifiers (IANA): ES256 and RS256, the two every platform offers.
pub const ES256: i64 = -7;
pub const RS256: i64 = -257;

/// Why a ceremony's answer is refused; the sentence is for the log and the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub &'static str);

fn refuse<T>(why: &'static str) -> Result<T, Refused> {
    Err(Refused(why))
}

/// §5.8.1 CollectedClientData, the members the relying party checks.
#[derive(Debug, Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default, rename = "crossOrigin")]
    cross_origin: bool,
}

/// §7.1 steps 5–10 / §7.2 steps 9–14: the client data is of `kind`, for `challenge`, from
/// `origin` (this server's), and not from a cross-origin iframe.
pub fn check_client_data(json: &[u8], kind: &str, challenge: &str, origin: &str) -> Result<(), Refused> {
    let data: ClientData =
        crate::engine::platform::json::parse(json).map_err(|_| Refused("the client data is not JSON"))?;
    if data.kind != kind {
        return refuse("the client data is for another ceremony");
    }
    if data.challenge != challenge {
        return refuse("the challenge does not match");
    }
    if data.origin != origin || data.cross_origin {
        return refuse("the origin is not this server's");
    }
    Ok(())
}

/// §6.1 flags.
pub const USER_PRESENT: u8 = 0x01;
pub const USER_VERIFIED: u8 = 0x04;
/// Backup eligible: a synced (multi-device) passkey.
pub const BACKUP_ELIGIBLE: u8 = 0x08;
const ATTESTED_DATA: u8 = 0x40;

/// §6.1 authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: Vec<u8>,
    pub flags: u8,
    pub sign_count: u32,
    /// §6.5.1, present in registrations.
    pub credential: Option<AttestedCredential>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: Vec<u8>,
    pub credential_id: Vec<u8>,
    /// The COSE_Key, as the authenticator encoded it.
    pub public_key: Vec<u8>,
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], Refused> {
    let slice = bytes.get(*at..*at + n).ok_or(Refused("the authenticator data is truncated"))?;
    *at += n;
    Ok(slice)
}

impl AuthenticatorData {
    pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, Refused> {
        let mut at = 0;
        let rp_id_hash = take(bytes, &mut at, 32)?.to_vec();
        let flags = take(bytes, &mut at, 1)?.first().copied().unwrap_or(0);
        let mut count = [0u8; 4];
        count.copy_from_slice(take(bytes, &mut at, 4)?);
        let credential = if flags & ATTESTED_DATA != 0 {
            let aaguid = take(bytes, &mut at, 16)?.to_vec();
            let mut len = [0u8; 2];
            len.copy_from_slice(take(bytes, &mut at, 2)?);
            let credential_id = take(bytes, &mut at, usize::from(u16::from_be_bytes(len)))?.to_vec();
            // The COSE key runs to the end, or to the extensions that may follow it.
            let rest = bytes.get(at..).unwrap_or_default();
            let mut reader = rest;
            let _: Value = ciborium::de::from_reader(&mut reader).map_err(|_| Refused("the public key is not CBOR"))?;
            let used = rest.len() - reader.len();
            Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key: rest.get(..used).unwrap_or_default().to_vec(),
            })
        } else {
            None
        };
        Ok(AuthenticatorData { rp_id_hash, flags, sign_count: u32::from_be_bytes(count), credential })
    }

    /// §7.1 steps 13–15 / §7.2 steps 15–17: for this relying party, with the person
    /// present, and verified when `verification` is required.
    pub fn check(&self, rp_id: &str, verification: bool) -> Result<(), Refused> {
        if self.rp_id_hash != Sha256::digest(rp_id.as_bytes()).as_slice() {
            return refuse("the credential is for another relying party");
        }
        if self.flags & USER_PRESENT == 0 {
            return refuse("the authenticator did not see the person");
        }
        if verification && self.flags & USER_VERIFIED == 0 {
            return refuse("the authenticator did not verify the person");
        }
        Ok(())
    }
}

/// §6.5.4 attestation object: `{fmt, attStmt, authData}`; returns the format and the
/// authenticator data. Only `none` is asked for (`attestation: "none"`), and a client may
/// replace any statement by `none` (§5.4.7), so the statement is not evaluated.
pub fn attestation_auth_data(bytes: &[u8]) -> Result<(String, Vec<u8>), Refused> {
    let value: Value = ciborium::de::from_reader(bytes).map_err(|_| Refused("the attestation object is not CBOR"))?;
    let map = value.as_map().ok_or(Refused("the attestation object is not a map"))?;
    let field = |name: &str| map.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v);
    let fmt = field("fmt").and_then(Value::as_text).ok_or(Refused("the attestation has no format"))?;
    let auth_data = field("authData").and_then(Value::as_bytes).ok_or(Refused("the attestation has no data"))?;
    Ok((fmt.to_owned(), auth_data.clone()))
}

/// A credential public key (RFC 9053 §7.1 EC2 / RFC 8230 §4 RSA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoseKey {
    Es256 { x: Vec<u8>, y: Vec<u8> },
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

impl CoseKey {
    pub fn parse(bytes: &[u8]) -> Result<CoseKey, Refused> {
        let value: Value = ciborium::de::from_reader(bytes).map_err(|_| Refused("the public key is not CBOR"))?;
        let map = value.as_map().ok_or(Refused("the public key is not a COSE map"))?;
        let label = |n: i64| {
            map.iter().find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(n)).map(|(_, v)| v)
        };
        let int = |n: i64| label(n).and_then(Value::as_integer).and_then(|i| i64::try_from(i).ok());
        let bytes_of = |n: i64| label(n).and_then(Value::as_bytes).cloned();
        // Labels: 1 kty, 3 alg; EC2: -1 crv, -2 x, -3 y; RSA: -1 n, -2 e.
        match (int(1), int(3)) {
            (Some(2), Some(ES256)) if int(-1) == Some(1) => match (bytes_of(-2), bytes_of(-3)) {
                (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => Ok(CoseKey::Es256 { x, y }),
                _ => refuse("the P-256 key is malformed"),
            },
            (Some(3), Some(RS256)) => match (bytes_of(-1), bytes_of(-2)) {
                (Some(n), Some(e)) if n.len() >= 256 => Ok(CoseKey::Rs256 { n, e }),
                _ => refuse("the RSA key is malformed or under 2048 bits"),
            },
            _ => refuse("only ES256 (P-256) and RS256 passkeys are accepted"),
        }
    }

    pub fn algorithm(&self) -> i64 {
        match self {
            CoseKey::Es256 { .. } => ES256,
            CoseKey::Rs256 { .. } => RS256,
        }
    }
}

/// An ECDSA signature from ASN.1 DER (as WebAuthn carries it, §6.5.6) to the 64-byte
/// `r ‖ s` WebCrypto verifies.
pub fn der_to_raw_p256(der: &[u8]) -> Option<[u8; 64]> {
    fn integer(bytes: &[u8], at: &mut usize) -> Option<Vec<u8>> {
        if bytes.get(*at)? != &0x02 {
            return None;
        }
        let len = usize::from(*bytes.get(*at + 1)?);
        let value = bytes.get(*at + 2..*at + 2 + len)?;
        *at += 2 + len;
        let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
        (trimmed.len() <= 32).then_some(trimmed)
    }
    if der.first()? != &0x30 || usize::from(*der.get(1)?) != der.len() - 2 {
        return None;
    }
    let mut at = 2;
    let r = integer(der, &mut at)?;
    let s = integer(der, &mut at)?;
    if at != der.len() {
        return None;
    }
    let mut raw = [0u8; 64];
    raw.get_mut(32 - r.len()..32)?.copy_from_slice(&r);
    raw.get_mut(64 - s.len()..64)?.copy_from_slice(&s);
    Some(raw)
}

/// §7.2 step 20: `signature` over `authenticator_data ‖ SHA-256(client_data_json)` by `key`.
pub async fn signature_valid<V: JwsSigner + Es256Verifier>(
    verifier: &V,
    key: &CoseKey,
    authenticator_data: &[u8],
    client_data_json: &[u8],
    signature: &[u8],
) -> Result<bool, InternalError> {
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&Sha256::digest(client_data_json));
    match key {
        CoseKey::Es256 { x, y } => match der_to_raw_p256(signature) {
            Some(raw) => verifier.verify_es256(x, y, &message, &raw).await,
            None => Ok(false),
        },
        CoseKey::Rs256 { n, e } => {
            let public = verifier.import_public(SigningAlg::Rs256, &PublicJwk::rsa(b64url(n), b64url(e))).await?;
            verifier.verify(&public, &message, signature).await
        }
    }
}

/// base64url text from the browser, decoded; a refusal when it is not.
pub fn decode(field: &'static str, text: &str) -> Result<Vec<u8>, Refused> {
    b64url_decode(text).map_err(|_| Refused(field))
}
