//! JWS signing through WebCrypto (SubtleCrypto): RS256 ≈1 ms per signature in workerd,
//! against ≈15 ms for the `rsa` crate compiled to wasm (docs/architecture.md, measured on
//! these machines); ES256 and Ed25519 much less. Also ECDSA for passkeys and Apple.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::engine::crypto::jose::b64url;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Es256Signer, Es256Verifier, GeneratedKey, JwsSigner, PublicJwk, SigningAlg};

/// RSASSA-PKCS1-v1_5 with SHA-256 is JOSE's RS256 (RFC 7518 §3.3).
const RSA: &str = "RSASSA-PKCS1-v1_5";

pub struct WebCryptoSigner;

fn js_err(what: &str) -> impl Fn(JsValue) -> InternalError + '_ {
    move |e| {
        InternalError::new(format!(
            "WebCrypto {what}: {}",
            js_sys::JSON::stringify(&e).map(String::from).unwrap_or_default()
        ))
    }
}

fn subtle() -> Result<SubtleCrypto, InternalError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(js_err("crypto global"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(js_err("crypto.subtle"))?;
    if subtle.is_undefined() {
        return Err(InternalError::new("WebCrypto crypto.subtle is not available"));
    }
    Ok(subtle.unchecked_into())
}

fn set(obj: &Object, key: &str, value: &JsValue) -> Result<(), InternalError> {
    Reflect::set(obj, &JsValue::from_str(key), value).map(|_| ()).map_err(js_err("building parameters"))
}

/// The WebCrypto algorithm object of `alg`: for importing and generating (`for_key`) or
/// for signing and verifying.
fn algorithm(alg: SigningAlg, for_key: bool, with_generation: bool) -> Result<Object, InternalError> {
    let params = Object::new();
    match alg {
        SigningAlg::Rs256 => {
            set(&params, "name", &JsValue::from_str(RSA))?;
            set(&params, "hash", &JsValue::from_str("SHA-256"))?;
            if with_generation {
                set(&params, "modulusLength", &JsValue::from_f64(2048.0))?;
                // 65537, big-endian.
                set(&params, "publicExponent", &Uint8Array::from(&[1u8, 0, 1][..]))?;
            }
        }
        SigningAlg::Es256 => {
            set(&params, "name", &JsValue::from_str("ECDSA"))?;
            if for_key {
                set(&params, "namedCurve", &JsValue::from_str("P-256"))?;
            } else {
                set(&params, "hash", &JsValue::from_str("SHA-256"))?;
            }
        }
        SigningAlg::EdDsa => set(&params, "name", &JsValue::from_str("Ed25519"))?,
    }
    Ok(params)
}

fn usages(list: &[&str]) -> Array {
    list.iter().map(|u| JsValue::from_str(u)).collect()
}

fn string_member(obj: &JsValue, key: &str) -> Result<String, InternalError> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| InternalError::new(format!("WebCrypto JWK export lacks `{key}`")))
}

/// A key imported for one algorithm.
#[derive(Clone)]
pub struct AlgKey {
    alg: SigningAlg,
    key: CryptoKey,
}

impl JwsSigner for WebCryptoSigner {
    type Key = AlgKey;
    type PublicKey = AlgKey;

    async fn generate(&self, alg: SigningAlg) -> Result<GeneratedKey, InternalError> {
        let subtle = subtle()?;
        // Extractable once, so the private half can be sealed and stored; the key that
        // signs afterwards is re-imported as non-extractable.
        let promise = subtle
            .generate_key_with_object(&algorithm(alg, true, true)?, true, &usages(&["sign", "verify"]))
            .map_err(js_err("generateKey"))?;
        let pair = JsFuture::from(promise).await.map_err(js_err("generateKey"))?;
        let private: CryptoKey =
            Reflect::get(&pair, &JsValue::from_str("privateKey")).map_err(js_err("privateKey"))?.unchecked_into();
        let public: CryptoKey =
            Reflect::get(&pair, &JsValue::from_str("publicKey")).map_err(js_err("publicKey"))?.unchecked_into();

        let pkcs8 = subtle.export_key("pkcs8", &private).map_err(js_err("exportKey pkcs8"))?;
        let pkcs8 = JsFuture::from(pkcs8).await.map_err(js_err("exportKey pkcs8"))?;
        let jwk = subtle.export_key("jwk", &public).map_err(js_err("exportKey jwk"))?;
        let jwk = JsFuture::from(jwk).await.map_err(js_err("exportKey jwk"))?;
        // WebCrypto's JWK export is already base64url without padding (RFC 7518 §6).
        let public = match alg {
            SigningAlg::Rs256 => PublicJwk::rsa(string_member(&jwk, "n")?, string_member(&jwk, "e")?),
            SigningAlg::Es256 => PublicJwk {
                kty: "EC".into(),
                crv: "P-256".into(),
                x: string_member(&jwk, "x")?,
                y: string_member(&jwk, "y")?,
                ..PublicJwk::default()
            },
            SigningAlg::EdDsa => PublicJwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: string_member(&jwk, "x")?,
                ..PublicJwk::default()
            },
        };
        Ok(GeneratedKey { private_pkcs8_der: Uint8Array::new(&pkcs8).to_vec(), public })
    }

    async fn import_private(&self, alg: SigningAlg, der: &[u8]) -> Result<AlgKey, InternalError> {
        let promise = subtle()?
            .import_key_with_object(
                "pkcs8",
                &Uint8Array::from(der),
                &algorithm(alg, true, false)?,
                false,
                &usages(&["sign"]),
            )
            .map_err(js_err("importKey"))?;
        Ok(AlgKey { alg, key: JsFuture::from(promise).await.map_err(js_err("importKey"))?.unchecked_into() })
    }

    async fn import_public(&self, alg: SigningAlg, key: &PublicJwk) -> Result<AlgKey, InternalError> {
        let jwk = Object::new();
        set(&jwk, "kty", &JsValue::from_str(&key.kty))?;
        for (member, value) in [("n", &key.n), ("e", &key.e), ("crv", &key.crv), ("x", &key.x), ("y", &key.y)] {
            if !value.is_empty() {
                set(&jwk, member, &JsValue::from_str(value))?;
            }
        }
        let promise = subtle()?
            .import_key_with_object("jwk", &jwk, &algorithm(alg, true, false)?, false, &usages(&["verify"]))
            .map_err(js_err("importKey jwk"))?;
        Ok(AlgKey { alg, key: JsFuture::from(promise).await.map_err(js_err("importKey jwk"))?.unchecked_into() })
    }

    fn alg_of(&self, key: &AlgKey) -> SigningAlg {
        key.alg
    }

    async fn verify(&self, key: &AlgKey, message: &[u8], signature: &[u8]) -> Result<bool, InternalError> {
        let promise = subtle()?
            .verify_with_object_and_buffer_source_and_buffer_source(
                &algorithm(key.alg, false, false)?,
                &key.key,
                &Uint8Array::from(signature),
                &Uint8Array::from(message),
            )
            .map_err(js_err("verify"))?;
        Ok(JsFuture::from(promise).await.map_err(js_err("verify"))?.as_bool().unwrap_or(false))
    }

    async fn sign(&self, key: &AlgKey, message: &[u8]) -> Result<Vec<u8>, InternalError> {
        let promise = subtle()?
            .sign_with_object_and_buffer_source(
                &algorithm(key.alg, false, false)?,
                &key.key,
                &Uint8Array::from(message),
            )
            .map_err(js_err("sign"))?;
        let signature = JsFuture::from(promise).await.map_err(js_err("sign"))?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}

/// ECDSA P-256 verification for passkeys: the public point imported as a JWK (RFC 7518
/// §6.2.1), the signature in WebCrypto's `r ‖ s` form.
impl Es256Verifier for WebCryptoSigner {
    async fn verify_es256(&self, x: &[u8], y: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, InternalError> {
        let jwk = Object::new();
        set(&jwk, "kty", &JsValue::from_str("EC"))?;
        set(&jwk, "crv", &JsValue::from_str("P-256"))?;
        set(&jwk, "x", &JsValue::from_str(&b64url(x)))?;
        set(&jwk, "y", &JsValue::from_str(&b64url(y)))?;
        let import = Object::new();
        set(&import, "name", &JsValue::from_str("ECDSA"))?;
        set(&import, "namedCurve", &JsValue::from_str("P-256"))?;
        let promise = subtle()?
            .import_key_with_object("jwk", &jwk, &import, false, &usages(&["verify"]))
            .map_err(js_err("importKey EC jwk"))?;
        // A point off the curve fails to import: not a valid signature, not a server error.
        let Ok(key) = JsFuture::from(promise).await else { return Ok(false) };
        let key: CryptoKey = key.unchecked_into();
        let algorithm = Object::new();
        set(&algorithm, "name", &JsValue::from_str("ECDSA"))?;
        set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;
        let promise = subtle()?
            .verify_with_object_and_buffer_source_and_buffer_source(
                &algorithm,
                &key,
                &Uint8Array::from(signature),
                &Uint8Array::from(message),
            )
            .map_err(js_err("verify ECDSA"))?;
        Ok(JsFuture::from(promise).await.map_err(js_err("verify ECDSA"))?.as_bool().unwrap_or(false))
    }
}

impl Es256Signer for WebCryptoSigner {
    async fn sign_es256(&self, pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, InternalError> {
        let import = Object::new();
        set(&import, "name", &JsValue::from_str("ECDSA"))?;
        set(&import, "namedCurve", &JsValue::from_str("P-256"))?;
        let promise = subtle()?
            .import_key_with_object("pkcs8", &Uint8Array::from(pkcs8), &import, false, &usages(&["sign"]))
            .map_err(js_err("importKey EC pkcs8"))?;
        let key: CryptoKey = JsFuture::from(promise).await.map_err(js_err("importKey EC pkcs8"))?.unchecked_into();
        let algorithm = Object::new();
        set(&algorithm, "name", &JsValue::from_str("ECDSA"))?;
        set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;
        // WebCrypto's ECDSA signature is already `r ‖ s`, the JWS form (RFC 7518 §3.4).
        let promise = subtle()?
            .sign_with_object_and_buffer_source(&algorithm, &key, &Uint8Array::from(message))
            .map_err(js_err("sign ECDSA"))?;
        let signature = JsFuture::from(promise).await.map_err(js_err("sign ECDSA"))?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}
