//! Signing keys: Ed25519 keys in `identity.signing_keys`, the newest unretired one signs
//! access tokens. A key older than `identity.key_rotation_days` is replaced (checked at
//! start, hourly, and before signing); `POST /api/v1/auth/keys/rotate` replaces it at
//! once. A retired key stays in the JWKS until every token it signed has expired.
//!
//! Decision: private keys are stored in PostgreSQL as PKCS#8 (the schema is identity's
//! alone); docs/security.md says how to protect that and what encrypting them would add.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::PgPool;

use crate::error::IdentityError;
use crate::store;

/// How long a signing key is cached before the database is asked again (another
/// replica may have rotated).
const RECHECK: Duration = Duration::seconds(30);

#[derive(Clone)]
struct Current {
    kid: String,
    key: EncodingKey,
    created_at: DateTime<Utc>,
    checked_at: DateTime<Utc>,
}

pub struct SigningKeys {
    pool: PgPool,
    rotation: Duration,
    /// Retired keys stay published this long (access TTL + leeway + margin).
    publish_after_retire: Duration,
    current: RwLock<Option<Current>>,
}

impl SigningKeys {
    pub fn new(pool: PgPool, rotation: Duration, publish_after_retire: Duration) -> Self {
        Self {
            pool,
            rotation,
            publish_after_retire,
            current: RwLock::new(None),
        }
    }

    /// The key to sign with now: its `kid` and key.
    pub async fn signing_key(&self) -> Result<(String, EncodingKey), IdentityError> {
        let now = Utc::now();
        if let Ok(c) = self.current.read()
            && let Some(c) = c.as_ref()
            && now - c.checked_at < RECHECK
            && now - c.created_at < self.rotation
        {
            return Ok((c.kid.clone(), c.key.clone()));
        }
        let row = match store::keys::current(&self.pool).await? {
            Some(r) if now - r.created_at < self.rotation => r,
            _ => {
                self.rotate_if_due(false).await?;
                store::keys::current(&self.pool).await?.ok_or_else(|| {
                    IdentityError::Internal("no signing key after rotation".into())
                })?
            }
        };
        let key = EncodingKey::from_ed_der(&row.private_der);
        if let Ok(mut c) = self.current.write() {
            *c = Some(Current {
                kid: row.kid.clone(),
                key: key.clone(),
                created_at: row.created_at,
                checked_at: now,
            });
        }
        Ok((row.kid, key))
    }

    /// Makes a new key when the current one is due (or always, with `force`). Replicas
    /// serialize on an advisory lock, so only one makes it. Returns the new kid.
    pub async fn rotate_if_due(&self, force: bool) -> Result<Option<String>, IdentityError> {
        let mut tx = self.pool.begin().await?;
        store::keys::lock(&mut *tx).await?;
        let due = match store::keys::current(&mut *tx).await? {
            Some(r) => force || Utc::now() - r.created_at >= self.rotation,
            None => true,
        };
        if !due {
            return Ok(None);
        }
        let der = new_ed25519_pkcs8()?;
        let kid = format!("k{}", uuid::Uuid::now_v7().simple());
        store::keys::insert_and_retire_others(&mut tx, &kid, &der).await?;
        store::keys::prune(&mut *tx, Utc::now() - self.publish_after_retire).await?;
        tx.commit().await?;
        if let Ok(mut c) = self.current.write() {
            *c = None;
        }
        tracing::info!(kid, "signing key rotated");
        Ok(Some(kid))
    }

    /// The public keys to publish.
    pub async fn jwks(&self) -> Result<JwkSet, IdentityError> {
        let rows =
            store::keys::published(&self.pool, Utc::now() - self.publish_after_retire).await?;
        let mut keys = Vec::with_capacity(rows.len());
        for r in rows {
            let mut jwk =
                Jwk::from_encoding_key(&EncodingKey::from_ed_der(&r.private_der), Algorithm::EdDSA)
                    .map_err(|e| IdentityError::Crypto(format!("public key of {}: {e}", r.kid)))?;
            jwk.common.key_id = Some(r.kid);
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            jwk.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
            keys.push(jwk);
        }
        Ok(JwkSet { keys })
    }
}

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410): SEQUENCE { version 0,
/// AlgorithmIdentifier { 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A fresh Ed25519 private key as PKCS#8 v1 DER (what jsonwebtoken reads).
fn new_ed25519_pkcs8() -> Result<Vec<u8>, IdentityError> {
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| IdentityError::Crypto("no system randomness".into()))?;
    let mut der = PKCS8_ED25519_PREFIX.to_vec();
    der.extend_from_slice(&seed);
    Ok(der)
}

/// Lets the runtime read the JWKS straight from the key store when identity runs in the
/// same process and `auth.jwks_url` is empty.
pub struct LocalJwks(pub Arc<SigningKeys>);

impl runtime::auth::jwks::JwksSource for LocalJwks {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, runtime::auth::AuthError>> {
        Box::pin(async move {
            self.0
                .jwks()
                .await
                .map_err(|e| runtime::auth::AuthError::Jwks(e.to_string()))
        })
    }
}
