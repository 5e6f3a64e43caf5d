//! Third-party app credentials as verifiers see them, and the nonce replay cache.
//!
//! Identity writes each app's credential to the NATS KV bucket [`APPS_BUCKET`] (and
//! re-syncs it at start); every process keeps the bucket's latest values in memory via a
//! watch, so verifying a signature needs no call to identity and a revocation reaches
//! every replica within moments. Nonces are `create`d in [`NONCES_BUCKET`], which fails
//! when the key exists: a replay.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_nats::jetstream::kv;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::AuthError;
use super::principal::{Grant, OrgPath, Principal, PrincipalKind};

/// Bucket holding app credentials, keyed by app id.
pub const APPS_BUCKET: &str = "identity_apps";
/// Bucket of seen nonces, keyed `<app id>.<nonce>`.
pub const NONCES_BUCKET: &str = "auth_nonces";

/// An app credential (the JSON value in [`APPS_BUCKET`]). The secret is here because an
/// HMAC verifier needs it: the bucket, like the streams, is for Pylon's own NATS user
/// only (docs/security.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredential {
    pub app_id: String,
    pub tenant: String,
    /// The node the app is confined to (often the tenant root).
    pub path: OrgPath,
    /// Permissions the app holds there.
    pub scopes: Vec<String>,
    pub secret: String,
    pub active: bool,
}

impl AppCredential {
    pub fn principal(&self) -> Principal {
        Principal {
            subject: self.app_id.clone(),
            kind: PrincipalKind::App,
            tenant: self.tenant.clone(),
            roles: vec!["third_party".into()],
            grants: vec![Grant {
                role: "third_party".into(),
                path: self.path.clone(),
                permissions: self.scopes.clone(),
            }],
            platform_admin: false,
        }
    }
}

/// A valid app id: `app_` and 8–64 letters or digits (also a valid KV key).
pub fn valid_app_id(id: &str) -> bool {
    id.strip_prefix("app_").is_some_and(|rest| {
        (8..=64).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// The in-memory mirror of [`APPS_BUCKET`].
#[derive(Default)]
pub struct AppRegistry {
    apps: RwLock<HashMap<String, AppCredential>>,
    store: RwLock<Option<kv::Store>>,
}

impl AppRegistry {
    pub fn get(&self, app_id: &str) -> Option<AppCredential> {
        self.apps.read().ok().and_then(|a| a.get(app_id).cloned())
    }

    /// Reads the bucket directly when the mirror does not know the app yet (an app
    /// created a moment ago on another replica).
    pub async fn lookup(&self, app_id: &str) -> Result<Option<AppCredential>, AuthError> {
        if let Some(a) = self.get(app_id) {
            return Ok(Some(a));
        }
        let store = self.store.read().ok().and_then(|s| s.clone());
        let Some(store) = store else {
            return Ok(None);
        };
        let value = store
            .get(app_id)
            .await
            .map_err(|e| AuthError::Unavailable(format!("app registry: {e}")))?;
        let Some(bytes) = value else {
            return Ok(None);
        };
        let cred: AppCredential = serde_json::from_slice(&bytes)
            .map_err(|e| AuthError::Unavailable(format!("app registry entry: {e}")))?;
        self.upsert(cred.clone());
        Ok(Some(cred))
    }

    fn upsert(&self, cred: AppCredential) {
        if let Ok(mut a) = self.apps.write() {
            a.insert(cred.app_id.clone(), cred);
        }
    }

    fn remove(&self, app_id: &str) {
        if let Ok(mut a) = self.apps.write() {
            a.remove(app_id);
        }
    }

    /// Opens the bucket, loads it and follows its changes until `stop`.
    pub async fn follow(self: Arc<Self>, store: kv::Store, stop: CancellationToken) {
        if let Ok(mut s) = self.store.write() {
            *s = Some(store.clone());
        }
        let mut backoff = Duration::from_millis(200);
        while !stop.is_cancelled() {
            match store.watch_with_history(">").await {
                Ok(mut watch) => {
                    backoff = Duration::from_millis(200);
                    loop {
                        let next = tokio::select! {
                            _ = stop.cancelled() => return,
                            n = watch.next() => n,
                        };
                        match next {
                            Some(Ok(entry)) => self.apply(entry),
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, "app registry watch error");
                                break;
                            }
                            None => break,
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "app registry watch failed"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    fn apply(&self, entry: kv::Entry) {
        match entry.operation {
            kv::Operation::Put => match serde_json::from_slice::<AppCredential>(&entry.value) {
                Ok(c) => self.upsert(c),
                Err(e) => tracing::warn!(key = %entry.key, error = %e, "bad app registry entry"),
            },
            kv::Operation::Delete | kv::Operation::Purge => self.remove(&entry.key),
        }
    }
}

/// Remembers nonces in NATS KV, shared by every replica.
#[derive(Clone)]
pub struct NonceStore {
    store: kv::Store,
}

impl NonceStore {
    pub fn new(store: kv::Store) -> Self {
        Self { store }
    }

    /// Records `nonce` for `app_id`; `Ok(false)` if it was seen before.
    pub async fn claim(&self, app_id: &str, nonce: &str) -> Result<bool, AuthError> {
        match self
            .store
            .create(format!("{app_id}.{nonce}"), bytes::Bytes::new())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(AuthError::Unavailable(format!("nonce cache: {e}"))),
        }
    }
}
