//! Remote operations and OTA campaigns (docs/charging.md "Remote operations and OTA").
//!
//! - `domain/`: pure rules — parameters per protocol, voice, firmware, targets, the
//!   campaign's stages and states, a device's rollout steps, gateway outcomes;
//! - `store/`: SQL (`device_operations`, `firmware_images`, `ota_campaigns`,
//!   `ota_campaign_devices`);
//! - `app/`: use cases — single operations through the gateway's `DeviceControl`, the
//!   audit, firmware uploads, campaigns and their rollout;
//! - `runner`: the campaign loop; `consumer`: firmware progress from PYLON_DEVICE;
//! - `http`: REST.
//!
//! Outcomes are published as `operation.recorded` (`proto::events::OperationRecorded`)
//! on PYLON_CHARGING through the outbox.

pub mod app;
pub mod consumer;
pub mod domain;
pub mod http;
pub mod runner;
pub mod store;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;

/// Starts the progress consumer and the campaign runner.
pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    let consumer_ctx = ctx.clone();
    let consumer_stop = stop.clone();
    tokio::spawn(async move {
        if let Err(e) = consumer::run(consumer_ctx, consumer_stop).await {
            tracing::error!(error = %format!("{e:#}"), "firmware progress consumer stopped");
        }
    });
    tokio::spawn(runner::run(ctx, stop));
    Ok(())
}
