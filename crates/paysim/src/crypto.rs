//! The primitives the providers use, written here again on purpose rather than shared
//! with the payment service: paysim is the other side of the wire, and a mistake
//! copied into both sides would pass every test.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::{PrivateKey, PublicKey};

use crate::SimError;

pub fn private_key(pem: &str) -> Result<PrivateKey, SimError> {
    PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| PrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| SimError::Key(e.to_string()))
}

pub fn public_key(pem: &str) -> Result<PublicKey, SimError> {
    PublicKey::from_public_key_pem(pem).map_err(|e| SimError::Key(e.to_string()))
}

/// SHA256withRSA, base64.
pub fn sign(key: &PrivateKey, message: &[u8]) -> Result<String, SimError> {
    key.pkcs1v15_sign::<Sha256>(message)
        .map(|s| B64.encode(s))
        .map_err(|e| SimError::Key(e.to_string()))
}

pub fn verify(key: &PublicKey, message: &[u8], signature_b64: &str) -> bool {
    B64.decode(signature_b64)
        .ok()
        .is_some_and(|sig| key.pkcs1v15_verify::<Sha256>(message, &sig).is_ok())
}

/// AES-256-GCM as WeChat seals notification resources: base64(ciphertext ‖ tag).
pub fn seal(
    key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String, SimError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| SimError::Key(e.to_string()))?;
    let nonce = Nonce::try_from(nonce.as_bytes())
        .map_err(|_| SimError::Key("nonce must be 12 bytes".into()))?;
    cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map(|c| B64.encode(c))
        .map_err(|e| SimError::Key(e.to_string()))
}

/// A random string of `len` upper-case hex digits (nonces, ids).
pub fn random_hex(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string().to_uppercase());
    }
    s.truncate(len);
    s
}
