//! argon2id password hashing, off the async runtime (STYLE §11): each hash costs tens of
//! milliseconds of CPU by design.

use argon2::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};

use crate::error::IdentityError;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A hash of a random password, verified when the user does not exist so that the
    /// answer takes as long as for a real account (no user enumeration by timing).
    dummy: String,
}

impl Hasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, IdentityError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| IdentityError::Crypto(format!("argon2 parameters: {e}")))?;
        let dummy = hash_with(&params, "dummy-password-for-timing-0")?;
        Ok(Self { params, dummy })
    }

    pub async fn hash(&self, password: &str) -> Result<String, IdentityError> {
        let params = self.params.clone();
        let pw = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&params, &pw))
            .await
            .map_err(|e| IdentityError::Internal(format!("hash task: {e}")))?
    }

    /// Checks `password` against `hash` (or against a dummy when `hash` is `None`, which
    /// always fails after the same work).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, IdentityError> {
        let (stored, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.clone(), false),
        };
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| IdentityError::Crypto(format!("stored hash: {e}")))?;
            Ok::<_, IdentityError>(
                Argon2::default()
                    .verify_password(pw.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .map_err(|e| IdentityError::Internal(format!("verify task: {e}")))??;
        Ok(ok && real)
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, IdentityError> {
    let hash: Result<PasswordHash, _> =
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password(password.as_bytes());
    hash.map(|h| h.to_string())
        .map_err(|e| IdentityError::Crypto(format!("argon2: {e}")))
}
