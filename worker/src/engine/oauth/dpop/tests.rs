//! DPoP proofs (RFC 9449 §4.3), natively: what is accepted, each refusal by name.

use pollster::block_on;
use serde_json::{json, Value};

use super::*;
use crate::engine::platform::ports::JwsSigner;
use crate::native::{NativeSigner, SqliteStore};

const NOW: UnixTime = 1_800_000_000;
const URL: &str = "https://auth.example.com/token";

struct Key {
    private: Vec<u8>,
    public: Value,
    alg: SigningAlg,
}

fn key(alg: SigningAlg) -> Key {
    let generated = block_on(NativeSigner.generate(alg)).unwrap();
    Key { private: generated.private_pkcs8_der, public: serde_json::to_value(&generated.public).unwrap(), alg }
}

fn sign(key: &Key, header: Value, claims: Value) -> String {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let private = block_on(NativeSigner.import_private(key.alg, &key.private)).unwrap();
    let signature = block_on(NativeSigner.sign(&private, input.as_bytes())).unwrap();
    format!("{input}.{}", b64url(&signature))
}

fn proof(key: &Key, claims: Value) -> String {
    sign(key, json!({ "typ": "dpop+jwt", "alg": key.alg.as_str(), "jwk": key.public }), claims)
}

fn claims(jti: &str) -> Value {
    json!({ "jti": jti, "htm": "POST", "htu": URL, "iat": NOW })
}

fn check(store: &SqliteStore, proof: &str, access_token: Option<&str>) -> Result<Proof, String> {
    let expected = Expected { htm: "POST", htu: "https://auth.example.com/token?x=1", access_token, nonce_key: None };
    block_on(verify(&NativeSigner, store, proof, &expected, NOW)).unwrap().map_err(|refused| match refused {
        Refused::Invalid(why) => why,
        Refused::UseNonce => "use_dpop_nonce".into(),
    })
}

#[test]
fn rfc9449_4_3_a_proof_binds_to_its_key_thumbprint_once() {
    let store = SqliteStore::open_in_memory().unwrap();
    for alg in [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa] {
        let k = key(alg);
        let p = proof(&k, claims("one"));
        let accepted = check(&store, &p, None).unwrap();
        let jwk: PublicJwk = serde_json::from_value(k.public.clone()).unwrap();
        assert_eq!(accepted.jkt, thumbprint(&jwk));
        assert!(check(&store, &p, None).unwrap_err().contains("used before"), "{alg:?}: §11.1");
    }
}

#[test]
fn rfc9449_4_3_each_broken_rule_is_refused_by_name() {
    let store = SqliteStore::open_in_memory().unwrap();
    let k = key(SigningAlg::Es256);
    let with = |change: Value| {
        let mut c = claims("x");
        for (name, value) in change.as_object().unwrap() {
            c[name] = value.clone();
        }
        c
    };
    for (i, (change, says)) in [
        (json!({ "htm": "GET" }), "htm"),
        (json!({ "htu": "https://auth.example.com/other" }), "htu"),
        (json!({ "iat": NOW - 301 }), "iat"),
        (json!({ "iat": NOW + 120 }), "iat"),
        (json!({ "jti": null }), "jti"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = with(change);
        if c["jti"] == "x" {
            c["jti"] = json!(format!("j{i}"));
        }
        assert!(check(&store, &proof(&k, c), None).unwrap_err().contains(says), "{says}");
    }
    // Not dpop+jwt; HMAC; a private key in the header; another key's signature.
    let bad_typ = sign(&k, json!({ "typ": "JWT", "alg": "ES256", "jwk": k.public }), claims("t"));
    assert!(check(&store, &bad_typ, None).unwrap_err().contains("typ"));
    let hmac = format!(
        "{}.{}.{}",
        b64url(json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": k.public }).to_string().as_bytes()),
        b64url(claims("h").to_string().as_bytes()),
        b64url(b"mac")
    );
    assert!(check(&store, &hmac, None).unwrap_err().contains("HMAC"));
    let mut private = k.public.clone();
    private["d"] = json!("c2VjcmV0");
    let leaked = sign(&k, json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": private }), claims("d"));
    assert!(check(&store, &leaked, None).unwrap_err().contains("private key"));
    let other = key(SigningAlg::Es256);
    let forged = sign(&other, json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": k.public }), claims("f"));
    assert!(check(&store, &forged, None).unwrap_err().contains("does not verify"));
}

#[test]
fn rfc9449_7_at_a_resource_ath_is_the_hash_of_the_token() {
    let store = SqliteStore::open_in_memory().unwrap();
    let k = key(SigningAlg::Es256);
    let mut c = claims("a1");
    c["ath"] = json!(ath("the-token"));
    assert!(check(&store, &proof(&k, c), Some("the-token")).is_ok());
    let mut other = claims("a2");
    other["ath"] = json!(ath("another-token"));
    assert!(check(&store, &proof(&k, other), Some("the-token")).unwrap_err().contains("ath"));
}

#[test]
fn rfc9449_8_with_nonces_on_a_proof_needs_a_current_one_which_any_isolate_accepts() {
    let store = SqliteStore::open_in_memory().unwrap();
    let secret = crate::engine::platform::config::Secret::for_tests("0123456789abcdef0123456789abcdef");
    let k = key(SigningAlg::Es256);
    let expected = Expected { htm: "POST", htu: URL, access_token: None, nonce_key: Some(&secret) };
    let run = |c: Value, now: UnixTime| block_on(verify(&NativeSigner, &store, &proof(&k, c), &expected, now)).unwrap();
    assert_eq!(run(claims("n1"), NOW).unwrap_err(), Refused::UseNonce, "no nonce");
    let mut stale = claims("n2");
    stale["nonce"] = json!(current_nonce(&secret, NOW - 900));
    assert_eq!(run(stale, NOW).unwrap_err(), Refused::UseNonce, "a nonce two windows old");
    let mut fresh = claims("n3");
    fresh["nonce"] = json!(current_nonce(&secret, NOW));
    assert!(run(fresh, NOW).is_ok());
    let mut previous = claims("n4");
    previous["nonce"] = json!(current_nonce(&secret, NOW - 300));
    assert!(run(previous, NOW).is_ok(), "the window before still counts");
}
