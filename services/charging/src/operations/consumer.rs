//! Firmware progress from the gateway (stream PYLON_DEVICE, `firmware_progress`): each
//! packet answer moves a campaign device's `packets_done`; the transfer's end settles
//! it (succeeded, failed, or pending again) and completes its audit row. Durable and
//! idempotent: only a device still `sending` changes, and an event older than the
//! current attempt is ignored.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bus::{ConsumerSpec, Delivery, HandleError};
use chrono::{DateTime, Utc};
use proto::events::{FirmwareProgress, FirmwareTransferEnd};
use tokio_util::sync::CancellationToken;

use super::app::now;
use super::app::rollout::settle;
use super::domain::rollout::{after_end, end_outcome};
use super::store::audit::Completion;
use super::store::{campaigns, devices};
use crate::ctx::Ctx;
use crate::error::ChargingError;

pub const CONSUMER: &str = "charging-operations";

/// Clock skew tolerated between the gateway's `reported_at` and our `sent_at`.
const SKEW_SECS: i64 = 5;

pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    let ns = ctx.ns().clone();
    let spec = ConsumerSpec {
        stream: ns.name("PYLON_DEVICE"),
        durable: CONSUMER.into(),
        filter_subject: ns.subject(&["device", "*", "*", "firmware_progress"]),
        max_deliver: ctx.config.bus.max_deliver,
        ack_wait: Duration::from_secs(ctx.config.bus.ack_wait_secs),
        batch: 64,
    };
    let bus = ctx.bus.clone();
    bus::run_consumer(
        &bus,
        spec,
        |d| {
            let ctx = ctx.clone();
            async move { handle(&ctx, d).await }
        },
        stop,
        Arc::new(AtomicBool::new(false)),
    )
    .await?;
    Ok(())
}

fn retry(e: ChargingError) -> HandleError {
    match e {
        ChargingError::Db(_) | ChargingError::Bus(_) | ChargingError::Upstream(_) => {
            HandleError::Retry(e.to_string())
        }
        other => HandleError::Permanent(other.to_string()),
    }
}

fn at(t: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.as_ref().and_then(bus::event::datetime)
}

async fn handle(ctx: &Ctx, d: Delivery) -> Result<(), HandleError> {
    let ev: FirmwareProgress = d
        .decode()
        .map_err(|e| HandleError::Permanent(e.to_string()))?;
    apply(ctx, &ev).await.map_err(retry)
}

async fn apply(ctx: &Ctx, ev: &FirmwareProgress) -> Result<(), ChargingError> {
    let device = ev
        .device
        .as_ref()
        .map(|d| d.device_id.as_str())
        .unwrap_or_default();
    let mut tx = ctx.pool.begin().await?;
    let Some(t) = devices::lock_sending_device(&mut tx, device).await? else {
        return Ok(());
    };
    let reported = at(ev.reported_at);
    if let (Some(r), Some(sent)) = (reported, t.sent_at)
        && r < sent - chrono::Duration::seconds(SKEW_SECS)
    {
        return Ok(());
    }
    let end = FirmwareTransferEnd::try_from(ev.end).unwrap_or(FirmwareTransferEnd::Unspecified);
    let packet = i32::try_from(ev.packet).unwrap_or(i32::MAX);
    let total = i32::try_from(ev.total).unwrap_or(0);
    if end == FirmwareTransferEnd::Unspecified {
        // A packet answer: progress only when the pile accepted it.
        if ev.result == 0 {
            devices::progress(&mut tx, t.campaign_id, device, packet, total, now()).await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    let Some(c) = campaigns::get(&mut *tx, None, t.campaign_id).await? else {
        return Ok(());
    };
    let Some(op) = t.operation_id else {
        return Ok(());
    };
    if end == FirmwareTransferEnd::Completed {
        devices::progress(&mut tx, t.campaign_id, device, packet, total, now()).await?;
    }
    let step = after_end(end, &ev.detail, t.attempts, c.max_attempts);
    let completion = Completion {
        outcome: end_outcome(end).into(),
        device_code: i32::try_from(ev.result).ok().filter(|c| *c != 0),
        detail: ev.detail.clone(),
        result: Some(serde_json::json!({"packet": ev.packet, "total": ev.total})),
    };
    settle(&mut tx, ctx, &c, &t, op, &step, &completion).await?;
    tx.commit().await?;
    Ok(())
}
