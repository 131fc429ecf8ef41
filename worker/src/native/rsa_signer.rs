use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::Sha256;

use crate::engine::crypto::jose::{b64url, b64url_decode};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{GeneratedRsaKey, RsaPublicKey, RsaSigner};

/// RS256 with the `rsa` crate. Natively only: in wasm it is ~15x slower than WebCrypto
/// (docs/architecture.md), and rsa 0.9's RUSTSEC-2023-0071 timing issue matters less for a
/// test signer that never faces a network attacker.
pub struct NativeRsaSigner;

impl RsaSigner for NativeRsaSigner {
    type Key = SigningKey<Sha256>;
    type PublicKey = VerifyingKey<Sha256>;

    async fn generate_rsa_2048(&self) -> Result<GeneratedRsaKey, InternalError> {
        let private = RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
            .map_err(|e| InternalError::new(format!("RSA key generation failed: {e}")))?;
        let der = private.to_pkcs8_der().map_err(|e| InternalError::new(format!("PKCS#8 export failed: {e}")))?;
        Ok(GeneratedRsaKey {
            private_pkcs8_der: der.as_bytes().to_vec(),
            public: RsaPublicKey { n: b64url(&private.n().to_bytes_be()), e: b64url(&private.e().to_bytes_be()) },
        })
    }

    async fn import_private_pkcs8(&self, der: &[u8]) -> Result<Self::Key, InternalError> {
        let private =
            RsaPrivateKey::from_pkcs8_der(der).map_err(|e| InternalError::new(format!("PKCS#8 import failed: {e}")))?;
        Ok(SigningKey::<Sha256>::new(private))
    }

    async fn sign_rs256(&self, key: &Self::Key, message: &[u8]) -> Result<Vec<u8>, InternalError> {
        Ok(key.sign(message).to_vec())
    }

    async fn import_public(&self, key: &RsaPublicKey) -> Result<Self::PublicKey, InternalError> {
        let n = rsa::BigUint::from_bytes_be(&b64url_decode(&key.n)?);
        let e = rsa::BigUint::from_bytes_be(&b64url_decode(&key.e)?);
        let public = rsa::RsaPublicKey::new(n, e).map_err(|e| InternalError::new(format!("RSA public key: {e}")))?;
        Ok(VerifyingKey::<Sha256>::new(public))
    }

    async fn verify_rs256(
        &self,
        key: &Self::PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, InternalError> {
        let Ok(signature) = Signature::try_from(signature) else { return Ok(false) };
        Ok(key.verify(message, &signature).is_ok())
    }
}

/// ES256 verification natively with the `p256` crate (RustCrypto).
impl crate::engine::platform::ports::Es256Verifier for NativeRsaSigner {
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

impl crate::engine::platform::ports::Es256Signer for NativeRsaSigner {
    async fn sign_es256(&self, pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, InternalError> {
        use p256::ecdsa::signature::Signer as _;
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8)
            .map_err(|e| InternalError::new(format!("ES256 key: {e}")))?;
        let signature: p256::ecdsa::Signature = key.sign(message);
        Ok(signature.to_bytes().to_vec())
    }
}
