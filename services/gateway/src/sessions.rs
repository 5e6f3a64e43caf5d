//! Live sessions in the NATS KV bucket `device_sessions`: which replica holds a device's
//! connection, so a command arriving at any replica reaches the right one.

use std::time::Duration;

use async_nats::jetstream::kv;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::DeviceKey;

pub const BUCKET: &str = "device_sessions";

/// One live session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionRecord {
    pub replica: String,
    pub protocol: String,
    pub remote_addr: String,
    pub connected_since: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Sessions {
    store: kv::Store,
}

impl Sessions {
    pub async fn open(bus: &bus::Bus) -> Result<Self, bus::BusError> {
        // History 1: only the current holder matters. Entries of a replica that died
        // expire after a day even if nobody cleans them.
        let store = bus::kv::ensure_bucket(
            &bus.jetstream,
            &bus.namespace,
            BUCKET,
            1,
            Duration::from_secs(24 * 3600),
        )
        .await?;
        Ok(Self { store })
    }

    pub async fn put(&self, device: &DeviceKey, record: &SessionRecord) {
        let Ok(value) = serde_json::to_vec(record) else {
            return;
        };
        if let Err(e) = self.store.put(&device.device_id, value.into()).await {
            tracing::warn!(device = %device.device_id, error = %e, "cannot record session");
        }
    }

    pub async fn get(&self, device_id: &str) -> Option<SessionRecord> {
        let entry = self.store.get(device_id).await.ok()??;
        serde_json::from_slice(&entry).ok()
    }

    /// Removes the session if this replica still holds it (a newer connection on another
    /// replica must not be erased by the old one closing).
    pub async fn remove_if_ours(&self, device: &DeviceKey, replica: &str) {
        if let Ok(Some(entry)) = self.store.entry(&device.device_id).await
            && let Ok(rec) = serde_json::from_slice::<SessionRecord>(&entry.value)
            && rec.replica == replica
            && let Err(e) = self
                .store
                .delete_expect_revision(&device.device_id, Some(entry.revision))
                .await
        {
            tracing::debug!(device = %device.device_id, error = %e, "session changed before removal");
        }
    }
}
