use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::Sha256;

use crate::engine::crypto::jose::{b64url, b64url_decode};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{GeneratedKey, JwsSigner, PublicJwk, SigningAlg};

/// The JWS algorithms natively: RS256 with the `rsa` crate, ES256 with `p256`, EdDSA with
/// `ed25519-dalek` (all RustCrypto). Natively only: in wasm `rsa` is ~15x slower than
/// WebCrypto (docs/architecture.md), and rsa 0.9's RUSTSEC-2023-0071 timing issue matters
/// less for a test signer that never faces a network attacker.
pub struct NativeSigner;

/// A private key of one of the algorithms.
#[derive(Clone)]
pub enum NativeKey {
    Rs256(SigningKey<Sha256>),
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

/// A public key of one of the algorithms.
#[derive(Clone)]
pub enum NativePublicKey {
    Rs256(VerifyingKey<Sha256>),
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

fn failed(what: &'static str) -> impl Fn(String) -> InternalError {
    move |e| InternalError::new(format!("{what}: {e}"))
}

impl JwsSigner for NativeSigner {
    type Key = NativeKey;
    type PublicKey = NativePublicKey;

    async fn generate(&self, alg: SigningAlg) -> Result<GeneratedKey, InternalError> {
        let mut rng = rand_core::OsRng;
        Ok(match alg {
            SigningAlg::Rs256 => {
                let private =
                    RsaPrivateKey::new(&mut rng, 2048).map_err(|e| failed("RSA key generation")(e.to_string()))?;
                let der = private.to_pkcs8_der().map_err(|e| failed("PKCS#8 export")(e.to_string()))?;
                GeneratedKey {
                    private_pkcs8_der: der.as_bytes().to_vec(),
                    public: PublicJwk::rsa(b64url(&private.n().to_bytes_be()), b64url(&private.e().to_bytes_be())),
                }
            }
            SigningAlg::Es256 => {
                let private = p256::SecretKey::random(&mut rng);
                let der = private.to_pkcs8_der().map_err(|e| failed("PKCS#8 export")(e.to_string()))?;
                let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&private.public_key(), false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err(InternalError::new("P-256 public point without coordinates"));
                };
                GeneratedKey {
                    private_pkcs8_der: der.as_bytes().to_vec(),
                    public: PublicJwk {
                        kty: "EC".into(),
                        crv: "P-256".into(),
                        x: b64url(x),
                        y: b64url(y),
                        ..PublicJwk::default()
                    },
                }
            }
            SigningAlg::EdDsa => {
                let private = ed25519_dalek::SigningKey::generate(&mut rng);
                let der = private.to_pkcs8_der().map_err(|e| failed("PKCS#8 export")(e.to_string()))?;
                GeneratedKey {
                    private_pkcs8_der: der.as_bytes().to_vec(),
                    public: PublicJwk {
                        kty: "OKP".into(),
                        crv: "Ed25519".into(),
                        x: b64url(private.verifying_key().as_bytes()),
                        ..PublicJwk::default()
                    },
                }
            }
        })
    }

    async fn import_private(&self, alg: SigningAlg, der: &[u8]) -> Result<NativeKey, InternalError> {
        let import = failed("PKCS#8 import");
        Ok(match alg {
            SigningAlg::Rs256 => NativeKey::Rs256(SigningKey::<Sha256>::new(
                RsaPrivateKey::from_pkcs8_der(der).map_err(|e| import(e.to_string()))?,
            )),
            SigningAlg::Es256 => {
                NativeKey::Es256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| import(e.to_string()))?)
            }
            SigningAlg::EdDsa => {
                NativeKey::EdDsa(ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|e| import(e.to_string()))?)
            }
        })
    }

    async fn sign(&self, key: &NativeKey, message: &[u8]) -> Result<Vec<u8>, InternalError> {
        Ok(match key {
            NativeKey::Rs256(k) => k.sign(message).to_vec(),
            NativeKey::Es256(k) => {
                let signature: p256::ecdsa::Signature = k.sign(message);
                signature.to_bytes().to_vec()
            }
            NativeKey::EdDsa(k) => k.sign(message).to_bytes().to_vec(),
        })
    }

    async fn import_public(&self, alg: SigningAlg, key: &PublicJwk) -> Result<NativePublicKey, InternalError> {
        let public = failed("public key");
        Ok(match alg {
            SigningAlg::Rs256 => {
                let n = rsa::BigUint::from_bytes_be(&b64url_decode(&key.n)?);
                let e = rsa::BigUint::from_bytes_be(&b64url_decode(&key.e)?);
                let rsa = rsa::RsaPublicKey::new(n, e).map_err(|e| public(e.to_string()))?;
                NativePublicKey::Rs256(VerifyingKey::<Sha256>::new(rsa))
            }
            SigningAlg::Es256 => {
                let mut sec1 = vec![0x04];
                sec1.extend_from_slice(&b64url_decode(&key.x)?);
                sec1.extend_from_slice(&b64url_decode(&key.y)?);
                NativePublicKey::Es256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| public(e.to_string()))?,
                )
            }
            SigningAlg::EdDsa => {
                let bytes: [u8; 32] =
                    b64url_decode(&key.x)?.try_into().map_err(|_| public("Ed25519 key length".into()))?;
                NativePublicKey::EdDsa(
                    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|e| public(e.to_string()))?,
                )
            }
        })
    }

    fn alg_of(&self, key: &NativePublicKey) -> SigningAlg {
        match key {
            NativePublicKey::Rs256(_) => SigningAlg::Rs256,
            NativePublicKey::Es256(_) => SigningAlg::Es256,
            NativePublicKey::EdDsa(_) => SigningAlg::EdDsa,
        }
    }

    async fn verify(&self, key: &NativePublicKey, message: &[u8], signature: &[u8]) -> Result<bool, InternalError> {
        Ok(match key {
            NativePublicKey::Rs256(k) => Signature::try_from(signature).is_ok_and(|s| k.verify(message, &s).is_ok()),
            NativePublicKey::Es256(k) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
            NativePublicKey::EdDsa(k) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| k.verify(message, &s).is_ok())
            }
        })
    }
}

/// ES256 verification natively with the `p256` crate (RustCrypto).
impl crate::engine::platform::ports::Es256Verifier for NativeSigner {
    async fn verify_es256(&self, x: &[u8], y: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, InternalError> {
        use p256::ecdsa::signature::Verifier as _;
        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(x);
        sec1.extend_from_slice(y);
        let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1) else { return Ok(false) };
        let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else { return Ok(false) };
        Ok(key.verify(message, &signature).is_ok())
    }
}

impl crate::engine::platform::ports::Es256Signer for NativeSigner {
    async fn sign_es256(&self, pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, InternalError> {
        use p256::ecdsa::signature::Signer as _;
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8)
            .map_err(|e| InternalError::new(format!("ES256 key: {e}")))?;
        let signature: p256::ecdsa::Signature = key.sign(message);
        Ok(signature.to_bytes().to_vec())
    }
}
