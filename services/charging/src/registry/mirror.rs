//! The gateway's view of the registry: NATS KV bucket `device_registry`, key = canonical
//! device id, value = [`Entry`] as JSON. Written after every committed change and
//! re-synced in full at start and every [`RESYNC_PERIOD`], so a write lost to a NATS
//! hiccup is repaired without anyone noticing more than a short delay. The database is
//! the truth; the bucket is a copy the gateway can read without a database.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures::TryStreamExt;
use serde::Serialize;
use uuid::Uuid;

use super::store::devices::{self, DeviceRow};
use crate::ctx::Ctx;

/// The bucket, shared with the gateway (`gateway.reject_unregistered`).
pub const BUCKET: &str = "device_registry";
/// How often the whole bucket is compared with the database.
pub const RESYNC_PERIOD: Duration = Duration::from_secs(600);

/// What the gateway reads for a device.
#[derive(Debug, Serialize, PartialEq)]
pub struct Entry<'a> {
    pub tenant_id: Uuid,
    pub site_id: Option<Uuid>,
    pub node_path: &'a str,
    pub protocol: &'a str,
    pub model: Option<&'a str>,
}

impl<'a> From<&'a DeviceRow> for Entry<'a> {
    fn from(d: &'a DeviceRow) -> Self {
        Self {
            tenant_id: d.tenant_id,
            site_id: d.site_id,
            node_path: &d.node_path,
            protocol: &d.protocol,
            model: d.model_name.as_deref(),
        }
    }
}

/// Opens the bucket (one value per key: the gateway needs no history).
pub async fn open(ctx: &Ctx) -> Result<kv::Store, bus::BusError> {
    bus::kv::ensure_bucket(&ctx.bus.jetstream, ctx.ns(), BUCKET, 1, Duration::ZERO).await
}

async fn put(store: &kv::Store, d: &DeviceRow) -> anyhow::Result<()> {
    let value = serde_json::to_vec(&Entry::from(d))?;
    store.put(&d.device_id, value.into()).await?;
    Ok(())
}

/// Mirrors a committed create or update. A failure is logged, not returned: the change
/// is committed and the next resync writes it.
pub async fn upsert(ctx: &Ctx, rows: &[DeviceRow]) {
    let r = async {
        let store = open(ctx).await?;
        for d in rows {
            put(&store, d).await?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = r {
        tracing::error!(error = %format!("{e:#}"), "device_registry write failed; the next resync repairs it");
    }
}

/// Mirrors a committed delete (same failure policy as [`upsert`]).
pub async fn remove(ctx: &Ctx, device_id: &str) {
    let r = async {
        open(ctx).await?.delete(device_id).await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = r {
        tracing::error!(error = %format!("{e:#}"), device_id, "device_registry delete failed; the next resync repairs it");
    }
}

/// Writes every device and deletes keys of devices that are gone; (written, deleted).
pub async fn resync(ctx: &Ctx) -> anyhow::Result<(usize, usize)> {
    const BATCH: i64 = 500;
    let store = open(ctx).await?;
    let mut known = HashSet::new();
    let mut after = String::new();
    loop {
        let rows = devices::batch_after(&ctx.pool, &after, BATCH).await?;
        for d in &rows {
            put(&store, d).await?;
            known.insert(d.device_id.clone());
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == BATCH => after = last.device_id.clone(),
            _ => break,
        }
    }
    let keys: Vec<String> = store.keys().await?.try_collect().await?;
    let mut deleted = 0;
    for k in keys.into_iter().filter(|k| !known.contains(k)) {
        store.delete(&k).await?;
        deleted += 1;
    }
    Ok((known.len(), deleted))
}
