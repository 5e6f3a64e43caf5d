//! The `registry` capability: sites, device models, devices with their ports and QR
//! codes, CSV import/export, GN socket provisioning, and the mirror of devices to the
//! gateway's KV bucket `device_registry` (docs/charging.md "Registry").
//!
//! Layers: `domain` (pure rules) ← `app` (use cases) ← `http` (REST adapters);
//! `store` (SQL), `mirror` (NATS KV) and `provision` (gateway gRPC) do the I/O.

pub mod app;
pub mod domain;
pub mod http;
pub mod mirror;
pub mod provision;
pub mod store;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;

/// Re-syncs the gateway mirror in full before the service reports ready (so a gateway
/// that rejects unregistered devices sees every device), then every
/// [`mirror::RESYNC_PERIOD`] until `stop`.
pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    let (written, deleted) = mirror::resync(&ctx).await?;
    tracing::info!(written, deleted, "device_registry synced");
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(mirror::RESYNC_PERIOD) => {}
            }
            match mirror::resync(&ctx).await {
                Ok((written, deleted)) => {
                    tracing::debug!(written, deleted, "device_registry resynced")
                }
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "device_registry resync failed")
                }
            }
        }
    });
    Ok(())
}
