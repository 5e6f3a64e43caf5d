//! What orders learn from the piles (stream PYLON_DEVICE): the start confirmed, meter
//! samples, and the end with the pile's settlement. Durable and idempotent: the state
//! machine ignores repeats, meter updates are last-write.
//!
//! Events are handled `charging.device_event_concurrency` at a time, in order per
//! device: a `charging_ended` carries its settlement (rating, capture) before it is
//! acked, so one pile's settlement must not hold the others'. Across devices the
//! handlers touch different orders, and each transition locks its order row (which
//! also serialises them with the drivers' API and the sweeper).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bus::consume::Lanes;
use bus::{ConsumerSpec, Delivery, HandleError};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::app::transition::{Patch, transition_from};
use super::app::{effects, settle};
use super::domain::state::Input;
use super::store::{self, OrderRow};
use crate::ctx::Ctx;
use crate::error::ChargingError;

pub const CONSUMER: &str = "charging-orders";

/// How long a pile's start report waits for the answer to a start command this process
/// has in flight on that port (usually milliseconds; past it, the report is applied as
/// usual).
const START_ANSWER_WAIT: Duration = Duration::from_secs(5);

pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    let ns = ctx.ns().clone();
    let spec = ConsumerSpec {
        stream: ns.name("PYLON_DEVICE"),
        durable: CONSUMER.into(),
        filter_subject: ns.subject(&["device", ">"]),
        max_deliver: ctx.config.bus.max_deliver,
        ack_wait: Duration::from_secs(ctx.config.bus.ack_wait_secs),
        batch: 64,
    };
    let bus = ctx.bus.clone();
    let lanes = Lanes::per_device(ctx.config.charging.device_event_concurrency);
    bus::consume::run_consumer_keyed(
        &bus,
        spec,
        lanes,
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

fn at(t: Option<prost_types::Timestamp>) -> DateTime<Utc> {
    t.as_ref()
        .and_then(bus::event::datetime)
        .unwrap_or_else(Utc::now)
}

fn retry(e: ChargingError) -> HandleError {
    match e {
        ChargingError::Db(_) | ChargingError::Bus(_) | ChargingError::Upstream(_) => {
            HandleError::Retry(e.to_string())
        }
        other => HandleError::Permanent(other.to_string()),
    }
}

async fn handle(ctx: &Ctx, d: Delivery) -> Result<(), HandleError> {
    let kind = d.subject.rsplit('.').next().unwrap_or_default();
    let permanent = |e: &dyn std::fmt::Display| HandleError::Permanent(e.to_string());
    match kind {
        "charging_started" => {
            let ev: proto::events::ChargingStarted = d.decode().map_err(|e| permanent(&e))?;
            let device = ev.device.map(|d| d.device_id).unwrap_or_default();
            if ctx
                .starts
                .already_applied(&device, ev.port, &ev.order_ref, START_ANSWER_WAIT)
                .await
            {
                return Ok(());
            }
            let Some(o) = find(ctx, &device, ev.port, &ev.order_ref)
                .await
                .map_err(retry)?
            else {
                return Ok(());
            };
            let patch = Patch {
                device_order_ref: (o.device_order_ref.is_empty() && !ev.order_ref.is_empty())
                    .then(|| ev.order_ref.clone()),
                started_at: Some(at(ev.started_at)),
                ..Patch::default()
            };
            let (o, effects) = transition_from(
                ctx,
                o,
                Input::StartConfirmed,
                "the pile reports the start",
                patch,
            )
            .await
            .map_err(retry)?;
            effects::run(ctx, o, effects).await.map_err(retry)?;
        }
        "meter" => {
            let ev: proto::events::MeterSample = d.decode().map_err(|e| permanent(&e))?;
            let device = ev.device.map(|d| d.device_id).unwrap_or_default();
            store::record_meter(
                &ctx.orders_by_key,
                &store::Meter {
                    device_id: &device,
                    port: i32::try_from(ev.port).unwrap_or(0),
                    order_ref: &ev.order_ref,
                    energy_wh: i64::try_from(ev.energy_wh).unwrap_or(i64::MAX),
                    at: at(ev.sampled_at),
                    power_dw: i32::try_from(ev.power_dw).unwrap_or(i32::MAX),
                },
            )
            .await
            .map_err(|e| retry(e.into()))?;
        }
        "charging_ended" => {
            let ev: proto::events::ChargingEnded = d.decode().map_err(|e| permanent(&e))?;
            let device = ev.device.clone().map(|d| d.device_id).unwrap_or_default();
            let Some(o) = find(ctx, &device, ev.port, &ev.order_ref)
                .await
                .map_err(retry)?
            else {
                return Ok(());
            };
            let patch = Patch {
                ended_at: Some(at(ev.ended_at)),
                energy_wh: i64::try_from(ev.energy_wh).ok(),
                duration_secs: i64::try_from(ev.duration_secs).ok(),
                max_power_dw: i32::try_from(ev.settle_power_dw).ok().filter(|p| *p > 0),
                end_reason: Some(format!("{:?}", ev.reason()).to_lowercase()),
                device_amount_fen: Some(ev.amount_fen).filter(|a| *a > 0),
                ..Patch::default()
            };
            let (o, effects) = settle::end(ctx, o, patch).await.map_err(retry)?;
            effects::run(ctx, o, effects).await.map_err(retry)?;
        }
        _ => {}
    }
    Ok(())
}

/// The order a device event is about: by the pile's own order reference, else the live
/// order on the port (a GN socket's first report may come before we learned its number).
async fn find(
    ctx: &Ctx,
    device: &str,
    port: u32,
    order_ref: &str,
) -> Result<Option<OrderRow>, ChargingError> {
    if !order_ref.is_empty()
        && let Some(o) = store::by_device_ref(&ctx.orders_by_key, device, order_ref).await?
    {
        return Ok(Some(o));
    }
    if let Some(o) =
        store::live_on_port(&ctx.orders_by_key, device, i32::try_from(port).unwrap_or(0)).await?
    {
        return Ok(Some(o));
    }
    // No order: a card session started by the pile itself, if a swipe was approved.
    super::app::card::from_swipe(ctx, device, port, order_ref).await
}
