//! Token material: signing access tokens, and the opaque refresh tokens and one-time
//! codes (random, stored only as SHA-256).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::{SecureRandom, SystemRandom};
use runtime::auth::claims::AccessClaims;
use sha2::{Digest, Sha256};

use crate::error::IdentityError;

pub fn sign_access(
    kid: &str,
    key: &EncodingKey,
    claims: &AccessClaims,
) -> Result<String, IdentityError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key)
        .map_err(|e| IdentityError::Crypto(format!("signing: {e}")))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], IdentityError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| IdentityError::Crypto("no system randomness".into()))?;
    Ok(b)
}

/// A refresh token: 32 random bytes, base64url.
pub fn new_refresh_token() -> Result<String, IdentityError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// An app secret: 32 random bytes, base64url (`sk_…`).
pub fn new_app_secret() -> Result<String, IdentityError> {
    Ok(format!(
        "sk_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    ))
}

/// A six-digit code.
pub fn new_code() -> Result<String, IdentityError> {
    let n = u32::from_le_bytes(random_bytes::<4>()?) % 1_000_000;
    Ok(format!("{n:06}"))
}

pub fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// What a code is stored as: bound to its tenant and phone, so a hash is useless
/// elsewhere.
pub fn code_hash(tenant: &uuid::Uuid, phone: &str, code: &str) -> Vec<u8> {
    sha256(&format!("{tenant}\n{phone}\n{code}"))
}
