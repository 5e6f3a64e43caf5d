//! RSA keys as the merchant platforms hand them out, and SHA256withRSA (RSASSA-PKCS1-v1_5
//! with SHA-256) signatures in base64, which both WeChat Pay v3 and Alipay RSA2 use.
//!
//! Accepted forms: PEM `PRIVATE KEY` (PKCS#8, WeChat's `apiclient_key.pem`), `RSA
//! PRIVATE KEY` (PKCS#1), `PUBLIC KEY` (SPKI, WeChat's `pub_key.pem`), `RSA PUBLIC KEY`,
//! `CERTIFICATE` (a WeChat platform certificate), and the bare base64 of the DER that
//! Alipay's key tool prints (no PEM lines).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::{PrivateKey, PublicKey};
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

use super::ProviderError;

/// Our private key: signs requests (and WeChat JSAPI parameters).
pub struct SigningKey(PrivateKey);

/// A provider's public key: verifies its responses and notifications.
#[derive(Clone)]
pub struct VerifyingKey(PublicKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(********)")
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyingKey")
    }
}

fn config_err(what: &str, e: impl fmt::Display) -> ProviderError {
    ProviderError::Config(format!("{what}: {e}"))
}

/// The base64 body of a key file without PEM lines, decoded.
fn bare_der(text: &str) -> Result<Vec<u8>, ProviderError> {
    let compact: String = text.split_whitespace().collect();
    B64.decode(compact)
        .map_err(|e| config_err("key is neither PEM nor base64", e))
}

impl SigningKey {
    pub fn from_text(text: &str) -> Result<Self, ProviderError> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            PrivateKey::from_pkcs8_pem(text).map_err(|e| config_err("PKCS#8 private key", e))?
        } else if text.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            PrivateKey::from_pkcs1_pem(text).map_err(|e| config_err("PKCS#1 private key", e))?
        } else if text.starts_with("-----") {
            return Err(ProviderError::Config(
                "private key: expected PEM `PRIVATE KEY` or `RSA PRIVATE KEY`".into(),
            ));
        } else {
            let der = bare_der(text)?;
            PrivateKey::from_pkcs8_der(&der)
                .or_else(|_| PrivateKey::from_pkcs1_der(&der))
                .map_err(|e| config_err("private key (base64 DER)", e))?
        };
        Ok(Self(key))
    }

    /// SHA256withRSA over `message`, base64. PKCS#1 v1.5 is deterministic, so the same
    /// key and message always give the same signature (our tests rely on it).
    pub fn sign_base64(&self, message: &[u8]) -> Result<String, ProviderError> {
        let sig = self
            .0
            .pkcs1v15_sign::<Sha256>(message)
            .map_err(|e| config_err("signing", e))?;
        Ok(B64.encode(sig))
    }
}

impl VerifyingKey {
    /// A public key, or the key of a certificate. For a certificate the serial number
    /// (upper-case hex, as WeChat writes it in `Wechatpay-Serial`) comes back too.
    pub fn from_text(text: &str) -> Result<(Self, Option<String>), ProviderError> {
        let text = text.trim();
        if text.starts_with("-----BEGIN CERTIFICATE-----") {
            let cert = Certificate::from_pem(text).map_err(|e| config_err("certificate", e))?;
            let tbs = cert.tbs_certificate();
            let spki = tbs
                .subject_public_key_info()
                .to_der()
                .map_err(|e| config_err("certificate key", e))?;
            let key = PublicKey::from_public_key_der(&spki)
                .map_err(|e| config_err("certificate key", e))?;
            let serial = tbs.serial_number().as_bytes();
            // DER keeps a leading zero byte to stay positive; WeChat's serial has none.
            let first = serial.iter().position(|b| *b != 0).unwrap_or(serial.len());
            let serial: String = serial[first..].iter().map(|b| format!("{b:02X}")).collect();
            return Ok((Self(key), Some(serial)));
        }
        let key = if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            PublicKey::from_public_key_pem(text).map_err(|e| config_err("public key", e))?
        } else if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
            PublicKey::from_pkcs1_pem(text).map_err(|e| config_err("PKCS#1 public key", e))?
        } else if text.starts_with("-----") {
            return Err(ProviderError::Config(
                "public key: expected PEM `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`".into(),
            ));
        } else {
            let der = bare_der(text)?;
            PublicKey::from_public_key_der(&der)
                .or_else(|_| PublicKey::from_pkcs1_der(&der))
                .map_err(|e| config_err("public key (base64 DER)", e))?
        };
        Ok((Self(key), None))
    }

    /// Whether `signature_b64` is this key's SHA256withRSA signature of `message`.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> bool {
        match B64.decode(signature_b64.trim()) {
            Ok(sig) => self.0.pkcs1v15_verify::<Sha256>(message, &sig).is_ok(),
            Err(_) => false,
        }
    }
}

/// Reads a key file named in the configuration; the error names the key and the path.
pub fn read_key_file(key: &str, path: &str) -> Result<String, ProviderError> {
    std::fs::read_to_string(path).map_err(|e| ProviderError::Config(format!("{key} {path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_loads() {
        let (k, serial) = VerifyingKey::from_text(paysim::keys::WECHAT_PLATFORM_CERT).unwrap();
        assert_eq!(
            serial.as_deref(),
            Some("5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
        );
        let (k2, none) = VerifyingKey::from_text(paysim::keys::WECHAT_PLATFORM_PUB).unwrap();
        assert!(none.is_none());
        let signer = SigningKey::from_text(paysim::keys::WECHAT_PLATFORM_KEY).unwrap();
        let sig = signer.sign_base64(b"x").unwrap();
        assert!(k.verify_base64(b"x", &sig) && k2.verify_base64(b"x", &sig));

        // Alipay's tool prints bare base64; its PKCS#1 app key must load as well.
        let bare: String = paysim::keys::ALIPAY_PLATFORM_PUB
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let (bare_key, _) = VerifyingKey::from_text(&bare).unwrap();
        let alipay = SigningKey::from_text(paysim::keys::ALIPAY_PLATFORM_KEY).unwrap();
        assert!(bare_key.verify_base64(b"y", &alipay.sign_base64(b"y").unwrap()));
        assert!(SigningKey::from_text(paysim::keys::ALIPAY_APP_KEY).is_ok());
    }

    #[test]
    fn garbage_is_a_config_error() {
        assert!(matches!(
            SigningKey::from_text("-----BEGIN EC PRIVATE KEY-----\nAAAA\n"),
            Err(ProviderError::Config(_))
        ));
        assert!(VerifyingKey::from_text("not base64 !").is_err());
        let (k, _) = VerifyingKey::from_text(paysim::keys::WECHAT_PLATFORM_PUB).unwrap();
        assert!(!k.verify_base64(b"x", "AAAA"));
        assert!(!k.verify_base64(b"x", "%%%"));
    }
}
