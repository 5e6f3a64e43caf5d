//! The verification keys: a cached JWKS, refreshed in the background and on an unknown
//! `kid` (at most once per [`MIN_REFETCH`]). Its source is identity's
//! `/.well-known/jwks.json` over HTTP (`auth.jwks_url`), or, when identity runs in the
//! same process and no URL is set, identity's key store directly.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use tokio::sync::Mutex;

use super::AuthError;

/// An unknown `kid` triggers a re-fetch at most this often, so garbage tokens cannot make
/// every request fetch the JWKS.
pub const MIN_REFETCH: Duration = Duration::from_secs(10);

/// Where the JWKS comes from.
pub trait JwksSource: Send + Sync {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, AuthError>>;
}

/// `GET <url>` returning a JWKS document.
pub struct HttpJwks {
    url: String,
    client: reqwest::Client,
}

impl HttpJwks {
    pub fn new(url: &str) -> Result<Self, AuthError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| AuthError::Jwks(format!("http client: {e}")))?;
        Ok(Self {
            url: url.to_owned(),
            client,
        })
    }
}

impl JwksSource for HttpJwks {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, AuthError>> {
        Box::pin(async move {
            let res = self
                .client
                .get(&self.url)
                .send()
                .await
                .map_err(|e| AuthError::Jwks(format!("GET {}: {e}", self.url)))?;
            if !res.status().is_success() {
                return Err(AuthError::Jwks(format!(
                    "GET {}: status {}",
                    self.url,
                    res.status()
                )));
            }
            res.json::<JwkSet>()
                .await
                .map_err(|e| AuthError::Jwks(format!("GET {}: {e}", self.url)))
        })
    }
}

/// The cached keys by `kid`.
#[derive(Default)]
pub struct Jwks {
    source: RwLock<Option<Arc<dyn JwksSource>>>,
    keys: RwLock<Arc<HashMap<String, DecodingKey>>>,
    last_fetch: Mutex<Option<Instant>>,
}

impl Jwks {
    pub fn new(source: Option<Arc<dyn JwksSource>>) -> Self {
        Self {
            source: RwLock::new(source),
            ..Default::default()
        }
    }

    /// Sets the source when none is configured (identity, running in this process).
    pub fn set_source_if_unset(&self, source: Arc<dyn JwksSource>) {
        if let Ok(mut s) = self.source.write()
            && s.is_none()
        {
            *s = Some(source);
        }
    }

    pub fn has_source(&self) -> bool {
        self.source.read().map(|s| s.is_some()).unwrap_or(false)
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok().and_then(|k| k.get(kid).cloned())
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fetches the JWKS now and replaces the cache (keeps the old one on failure).
    pub async fn refresh(&self) -> Result<usize, AuthError> {
        let source = self
            .source
            .read()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| {
                AuthError::Jwks("no key source: set auth.jwks_url or run identity here".into())
            })?;
        *self.last_fetch.lock().await = Some(Instant::now());
        let set = source.fetch().await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            // Only Ed25519 keys are accepted: a JWKS can never smuggle in an HMAC or RSA
            // key that would let another algorithm through.
            let AlgorithmParameters::OctetKeyPair(okp) = &jwk.algorithm else {
                continue;
            };
            if okp.curve != EllipticCurve::Ed25519 {
                continue;
            }
            match DecodingKey::from_ed_components(&okp.x) {
                Ok(k) => {
                    keys.insert(kid, k);
                }
                Err(e) => tracing::warn!(kid, error = %e, "jwks: unusable key skipped"),
            }
        }
        let n = keys.len();
        if let Ok(mut k) = self.keys.write() {
            *k = Arc::new(keys);
        }
        Ok(n)
    }

    /// The key for `kid`, fetching the JWKS if it is unknown (rate-limited).
    pub async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(k) = self.cached(kid) {
            return Ok(k);
        }
        let due = {
            let last = self.last_fetch.lock().await;
            last.is_none_or(|t| t.elapsed() >= MIN_REFETCH)
        };
        if due {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "jwks refresh failed");
                if self.is_empty() {
                    return Err(e);
                }
            }
            if let Some(k) = self.cached(kid) {
                return Ok(k);
            }
        }
        Err(AuthError::InvalidToken("unknown signing key"))
    }

    /// Refreshes every `every` until `stop`; failures keep the cached keys.
    pub async fn refresh_loop(
        self: Arc<Self>,
        every: Duration,
        stop: tokio_util::sync::CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if !self.has_source() {
                continue;
            }
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "jwks refresh failed; keeping cached keys");
            }
        }
    }
}
