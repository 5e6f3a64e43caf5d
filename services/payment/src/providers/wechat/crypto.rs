//! Notification resources are AES-256-GCM encrypted with the APIv3 key: the 12-byte
//! nonce and the associated data travel in clear beside the base64 ciphertext, whose
//! last 16 bytes are the authentication tag.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::providers::CallbackError;

/// The plaintext, or [`CallbackError::Decrypt`] when anything was altered or the key
/// is wrong (GCM cannot tell these apart, and neither should we).
pub fn decrypt(
    api_v3_key: &[u8; 32],
    associated_data: &str,
    nonce: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, CallbackError> {
    let ciphertext = B64
        .decode(ciphertext_b64)
        .map_err(|_| CallbackError::Malformed("ciphertext is not base64".into()))?;
    let nonce = Nonce::try_from(nonce.as_bytes())
        .map_err(|_| CallbackError::Malformed("nonce is not 12 bytes".into()))?;
    let cipher = Aes256Gcm::new(api_v3_key.into());
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &ciphertext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| CallbackError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST SP 800-38D test case 16 (AES-256, 96-bit IV, AAD): proves the primitive is
    /// plain GCM; paysim's encrypted notifications prove the WeChat framing.
    #[test]
    fn nist_vector_decrypts() {
        let hex = |s: &str| hex::decode(s).unwrap();
        let key: [u8; 32] = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .try_into()
            .unwrap();
        let iv = hex("cafebabefacedbaddecaf888");
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let pt = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let ct = hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        );
        let tag = hex("76fc6ece0f4e1768cddf8853bb2d551b");
        let sealed = B64.encode([ct, tag].concat());
        // The nonce and AAD go in as text in WeChat's framing; these bytes are not
        // UTF-8, so call the cipher the same way decrypt() does.
        let cipher = Aes256Gcm::new((&key).into());
        let nonce = Nonce::try_from(iv.as_slice()).unwrap();
        let out = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &B64.decode(&sealed).unwrap(),
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(out, pt);
    }

    #[test]
    fn tampering_and_wrong_keys_fail() {
        let key = [7u8; 32];
        let cipher = Aes256Gcm::new((&key).into());
        let nonce = Nonce::try_from(&b"0123456789ab"[..]).unwrap();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: b"{\"a\":1}",
                    aad: b"transaction",
                },
            )
            .unwrap();
        let good = B64.encode(&sealed);
        assert_eq!(
            decrypt(&key, "transaction", "0123456789ab", &good).unwrap(),
            b"{\"a\":1}"
        );
        assert_eq!(
            decrypt(&[8u8; 32], "transaction", "0123456789ab", &good),
            Err(CallbackError::Decrypt)
        );
        assert_eq!(
            decrypt(&key, "refund", "0123456789ab", &good),
            Err(CallbackError::Decrypt)
        );
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert_eq!(
            decrypt(&key, "transaction", "0123456789ab", &B64.encode(flipped)),
            Err(CallbackError::Decrypt)
        );
        assert!(matches!(
            decrypt(&key, "transaction", "short", &good),
            Err(CallbackError::Malformed(_))
        ));
    }
}
