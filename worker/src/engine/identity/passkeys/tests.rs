//! Passkey ceremonies against the real schema, with an authenticator simulated here (a
//! P-256 key, WebAuthn's byte layouts): registration, usernameless sign-in, and each
//! refusal a relying party owes (§7.1, §7.2).

use ciborium::Value;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use pollster::block_on;
use sha2::{Digest, Sha256};
use shared::passkeys::{AssertionResponse, NewPasskey, RegistrationResponse};

use super::*;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::ports::UnixTime;
use crate::engine::test_support::fixtures::{alice, config_with};
use crate::engine::test_support::{context_of, NativePlatform, NO_KV};
use crate::native::{NativeSigner, SqliteStore};

const NOW: UnixTime = 1_700_000_000;
const ORIGIN: &str = "http://localhost:8787";
const META: RequestMeta = RequestMeta { ip_address: None, user_agent: None, location: None };

struct Authenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
    flags: u8,
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

impl Authenticator {
    fn new() -> Authenticator {
        let key = SigningKey::random(&mut rand_core::OsRng);
        Authenticator { key, credential_id: vec![7; 16], counter: 0, flags: 0x05 }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let int = |i: i64| Value::Integer(i.into());
        cbor(&Value::Map(vec![
            (int(1), int(2)),
            (int(3), int(-7)),
            (int(-1), int(1)),
            (int(-2), Value::Bytes(point.x().unwrap().to_vec())),
            (int(-3), Value::Bytes(point.y().unwrap().to_vec())),
        ]))
    }

    fn auth_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(self.flags | if attested { 0x40 } else { 0 });
        data.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            data.extend_from_slice(&[0u8; 16]);
            data.extend_from_slice(&u16::try_from(self.credential_id.len()).unwrap().to_be_bytes());
            data.extend_from_slice(&self.credential_id);
            data.extend_from_slice(&self.cose_key());
        }
        data
    }

    fn register(&self, challenge: &str, origin: &str) -> NewPasskey {
        let client_data = format!(r#"{{"type":"webauthn.create","challenge":"{challenge}","origin":"{origin}"}}"#);
        let attestation = cbor(&Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(self.auth_data("localhost", true))),
        ]));
        NewPasskey {
            name: Some("Laptop".into()),
            credential: RegistrationResponse {
                id: b64url(&self.credential_id),
                client_data_json: b64url(client_data.as_bytes()),
                attestation_object: b64url(&attestation),
                transports: vec!["internal".into()],
            },
        }
    }

    fn assert(&mut self, challenge: &str, rp_id: &str) -> AssertionResponse {
        self.counter += 1;
        let client_data = format!(r#"{{"type":"webauthn.get","challenge":"{challenge}","origin":"{ORIGIN}"}}"#);
        let auth_data = self.auth_data(rp_id, false);
        let mut message = auth_data.clone();
        message.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature: Signature = self.key.sign(&message);
        AssertionResponse {
            id: b64url(&self.credential_id),
            client_data_json: b64url(client_data.as_bytes()),
            authenticator_data: b64url(&auth_data),
            signature: b64url(signature.to_der().as_bytes()),
            user_handle: Some(user_handle(&alice().id)),
        }
    }
}

struct Fixture {
    config: Config,
    store: SqliteStore,
}

impl Fixture {
    fn new() -> Fixture {
        let config = config_with(|v| {
            v.insert("ISSUER", ORIGIN.into());
        });
        let store = SqliteStore::open_in_memory().unwrap();
        store.insert_user(&alice()).unwrap();
        Fixture { config, store }
    }

    fn passkeys(&self) -> Passkeys<'_, NativePlatform> {
        Passkeys { rc: context_of(&self.config, &self.store, &NO_KV, &META, NOW) }
    }

    fn registered(&self, authenticator: &Authenticator) {
        let options = block_on(self.passkeys().registration_options(&alice())).unwrap();
        assert_eq!(options.rp.id, "localhost");
        assert_eq!(options.user.id, user_handle(&alice().id), "the user handle is the id, not the email");
        block_on(self.passkeys().register(&alice(), &authenticator.register(&options.challenge, ORIGIN))).unwrap();
    }

    fn challenge(&self) -> String {
        block_on(self.passkeys().sign_in_options(None)).unwrap().challenge
    }
}

fn code(result: Result<impl std::fmt::Debug, ApiError>) -> String {
    use crate::engine::platform::error::ErrorResponse;
    result.unwrap_err().code().to_owned()
}

#[test]
fn webauthn_7_1_registration_then_usernameless_sign_in_with_user_verification() {
    let f = Fixture::new();
    let mut authenticator = Authenticator::new();
    f.registered(&authenticator);
    let listed = block_on(f.passkeys().list(&alice().id)).unwrap();
    assert_eq!((listed.len(), listed[0].name.as_str(), listed[0].synced), (1, "Laptop", false));
    let options = block_on(f.passkeys().sign_in_options(None)).unwrap();
    assert!(options.allow_credentials.is_empty(), "usernameless: the authenticator offers its passkeys");
    let asserted =
        block_on(f.passkeys().verify_assertion(&authenticator.assert(&options.challenge, "localhost"))).unwrap();
    assert_eq!(asserted, Asserted { user_id: alice().id, amr: vec!["hwk", "mfa"] });
    let events: Vec<String> =
        f.store.audit_events().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, vec!["passkey.registered"]);
}

#[test]
fn webauthn_7_2_a_challenge_works_once_and_only_for_this_origin_and_relying_party() {
    let f = Fixture::new();
    let mut authenticator = Authenticator::new();
    f.registered(&authenticator);
    let challenge = f.challenge();
    let answer = authenticator.assert(&challenge, "localhost");
    block_on(f.passkeys().verify_assertion(&answer)).unwrap();
    assert_eq!(code(block_on(f.passkeys().verify_assertion(&answer))), INVALID_PASSKEY, "replayed");
    let other_rp = authenticator.assert(&f.challenge(), "evil.example");
    assert_eq!(code(block_on(f.passkeys().verify_assertion(&other_rp))), INVALID_PASSKEY);
    let mut forged = authenticator.assert(&f.challenge(), "localhost");
    forged.signature = b64url(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
    assert_eq!(code(block_on(f.passkeys().verify_assertion(&forged))), INVALID_PASSKEY, "bad signature");
    // A registration from another origin is refused.
    let options = block_on(f.passkeys().registration_options(&alice())).unwrap();
    let mut other = Authenticator::new();
    other.credential_id = vec![9; 16];
    let foreign = other.register(&options.challenge, "https://evil.example");
    assert_eq!(code(block_on(f.passkeys().register(&alice(), &foreign))), INVALID_PASSKEY);
}

#[test]
fn webauthn_7_2_step_21_a_counter_that_goes_back_is_refused_and_audited() {
    let f = Fixture::new();
    let mut authenticator = Authenticator::new();
    f.registered(&authenticator);
    authenticator.counter = 10;
    block_on(f.passkeys().verify_assertion(&authenticator.assert(&f.challenge(), "localhost"))).unwrap();
    authenticator.counter = 3; // a clone's counter
    let cloned = authenticator.assert(&f.challenge(), "localhost");
    assert_eq!(code(block_on(f.passkeys().verify_assertion(&cloned))), INVALID_PASSKEY);
    let events = f.store.audit_events().unwrap();
    assert!(events.iter().any(|e| e["event"] == "passkey.counter_mismatch"));
}

#[test]
fn webauthn_7_2_step_17_usernameless_sign_in_needs_user_verification() {
    let f = Fixture::new();
    let mut authenticator = Authenticator::new();
    f.registered(&authenticator);
    authenticator.flags = 0x01; // present, not verified
    let unverified = authenticator.assert(&f.challenge(), "localhost");
    assert_eq!(code(block_on(f.passkeys().verify_assertion(&unverified))), INVALID_PASSKEY);
}

#[test]
fn passkeys_need_a_host_name_issuer() {
    let config = config_with(|_| {});
    assert_eq!(rp_id(&config), None, "the dev default is an IP address");
    let f = Fixture::new();
    assert_eq!(rp_id(&f.config).as_deref(), Some("localhost"));
}

#[test]
fn der_signatures_become_r_and_s_of_32_bytes() {
    let der = [0x30, 0x08, 0x02, 0x02, 0x00, 0x81, 0x02, 0x02, 0x01, 0x02];
    let raw = webauthn::der_to_raw_p256(&der).unwrap();
    assert_eq!(raw[31], 0x81);
    assert_eq!(&raw[62..], &[0x01, 0x02]);
    assert!(webauthn::der_to_raw_p256(&der[..9]).is_none(), "truncated");
}

/// Recorded from Chromium's virtual authenticator (CTAP2, internal transport, resident key,
/// user verification) answering the account page and the sign-in page at http://localhost:36031.
mod recorded {
    pub const ORIGIN: &str = "http://localhost:36031";
    pub const CREDENTIAL_ID: &str = "pK-Omg6s6d2m1BYWDHY6L4DTYRzTsmxUpEUudmR7P6g";
    pub const REGISTRATION_CLIENT_DATA: &str = "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiZENGWEZDajhZQ3NWLU9TTnlHZmJCcmlKWjIzQ0x3TUpoQ2lKNHNfMnBWNCIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6MzYwMzEiLCJjcm9zc09yaWdpbiI6ZmFsc2UsIm90aGVyX2tleXNfY2FuX2JlX2FkZGVkX2hlcmUiOiJkbyBub3QgY29tcGFyZSBjbGllbnREYXRhSlNPTiBhZ2FpbnN0IGEgdGVtcGxhdGUuIFNlZSBodHRwczovL2dvby5nbC95YWJQZXgifQ";
    pub const ATTESTATION_OBJECT: &str = "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVikSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAQECAwQFBgcIAQIDBAUGBwgAIKSvjpoOrOndptQWFgx2Oi-A02Ec07JsVKRFLnZkez-opQECAyYgASFYIN6j6kws3zx6nY2gvzx4G_GPKljgeJVetTX7Wbe_Mb3dIlggiC0qZ-rwiWeyqnP4UELXE40jUJkiZpGZRY0vuCQZWow";
    pub const ASSERTION_CLIENT_DATA: &str = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiVE5TMHVYOHVWUlJEWm1wNDlCczFQTjJ4UHBlcUZmTjZhM0lGZjF0Y3FBWSIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6MzYwMzEiLCJjcm9zc09yaWdpbiI6ZmFsc2V9";
    pub const AUTHENTICATOR_DATA: &str = "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAg";
    pub const SIGNATURE: &str =
        "MEYCIQDc7WMl30YgywPGiplujeL_T5cDmIOVVR0EKuZproQ-0QIhAIGbldUctPahActD5bqAyI7DJAYoSFP1TUizA9_r0sXt";
}

#[test]
fn webauthn_chromium_recorded_registration_and_assertion_verify() {
    use crate::engine::crypto::jose::b64url_decode;
    let client_data = b64url_decode(recorded::REGISTRATION_CLIENT_DATA).unwrap();
    let created: serde_json::Value = serde_json::from_slice(&client_data).unwrap();
    let challenge = created["challenge"].as_str().unwrap();
    webauthn::check_client_data(&client_data, "webauthn.create", challenge, recorded::ORIGIN).unwrap();
    let (format, auth_data) =
        webauthn::attestation_auth_data(&b64url_decode(recorded::ATTESTATION_OBJECT).unwrap()).unwrap();
    assert_eq!(format, "none");
    let data = webauthn::AuthenticatorData::parse(&auth_data).unwrap();
    data.check("localhost", true).unwrap();
    let credential = data.credential.unwrap();
    assert_eq!(b64url(&credential.credential_id), recorded::CREDENTIAL_ID);
    let key = webauthn::CoseKey::parse(&credential.public_key).unwrap();
    assert_eq!(key.algorithm(), webauthn::ES256);

    let client_data = b64url_decode(recorded::ASSERTION_CLIENT_DATA).unwrap();
    let got: serde_json::Value = serde_json::from_slice(&client_data).unwrap();
    webauthn::check_client_data(&client_data, "webauthn.get", got["challenge"].as_str().unwrap(), recorded::ORIGIN)
        .unwrap();
    let auth_data = b64url_decode(recorded::AUTHENTICATOR_DATA).unwrap();
    let assertion = webauthn::AuthenticatorData::parse(&auth_data).unwrap();
    assertion.check("localhost", true).unwrap();
    assert!(assertion.sign_count > data.sign_count, "the counter moved forward");
    let signature = b64url_decode(recorded::SIGNATURE).unwrap();
    let valid =
        |message: &[u8]| block_on(webauthn::signature_valid(&NativeSigner, &key, message, &client_data, &signature));
    assert!(valid(&auth_data).unwrap(), "Chromium's signature verifies");
    let mut altered = auth_data.clone();
    altered[33] ^= 1;
    assert!(!valid(&altered).unwrap(), "a changed byte does not");
    assert_eq!(
        webauthn::check_client_data(
            &client_data,
            "webauthn.get",
            got["challenge"].as_str().unwrap(),
            "http://evil.example"
        ),
        Err(webauthn::Refused("the origin is not this server's"))
    );
}

#[test]
fn rfc8812_rs256_passkeys_verify_too() {
    use rsa::pkcs1v15::SigningKey as RsaSigningKey;
    use rsa::signature::{SignatureEncoding, Signer as _};
    use rsa::traits::PublicKeyParts;
    let private = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let int = |i: i64| Value::Integer(i.into());
    let cose = cbor(&Value::Map(vec![
        (int(1), int(3)),
        (int(3), int(-257)),
        (int(-1), Value::Bytes(private.n().to_bytes_be())),
        (int(-2), Value::Bytes(private.e().to_bytes_be())),
    ]));
    let key = CoseKey::parse(&cose).unwrap();
    assert_eq!(key.algorithm(), RS256);
    let auth_data = {
        let mut data = Sha256::digest(b"localhost").to_vec();
        data.extend_from_slice(&[0x05, 0, 0, 0, 1]);
        data
    };
    let client_data = br#"{"type":"webauthn.get","challenge":"c","origin":"http://localhost:8787"}"#;
    let mut message = auth_data.clone();
    message.extend_from_slice(&Sha256::digest(client_data));
    let signature = RsaSigningKey::<Sha256>::new(private).sign(&message).to_vec();
    let valid = |data: &[u8]| block_on(webauthn::signature_valid(&NativeSigner, &key, data, client_data, &signature));
    assert!(valid(&auth_data).unwrap());
    let mut altered = auth_data.clone();
    altered[32] ^= 0x10;
    assert!(!valid(&altered).unwrap());
    // A key under 2048 bits is refused at registration.
    let short = cbor(&Value::Map(vec![
        (int(1), int(3)),
        (int(3), int(-257)),
        (int(-1), Value::Bytes(vec![0xff; 128])),
        (int(-2), Value::Bytes(vec![1, 0, 1])),
    ]));
    assert!(CoseKey::parse(&short).is_err());
}
