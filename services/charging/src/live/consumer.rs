//! The live-state consumer: a durable pull consumer of PYLON_DEVICE (every tenant, `_`
//! included) that merges each device event into `live_devices` / `live_ports` /
//! `live_alarms`. The claim in `processed_events` and the merge commit together, so a
//! redelivered event changes nothing; the merge rules (domain/) make the order of
//! different events irrelevant.
//!
//! Events are handled `charging.device_event_concurrency` at a time, in order per
//! device: every write is to that device's rows (its `live_devices` row is locked
//! first), so devices do not race each other.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bus::consume::Lanes;
use bus::{ConsumerSpec, Delivery, HandleError};
use chrono::{DateTime, Utc};
use proto::events as pb;
use tokio_util::sync::CancellationToken;

use super::domain::device::{self, DeviceFact, HeartbeatInfo, Seen};
use super::domain::port::{self, Meter, PortFact, PortState};
use super::store::{self, devices::Alarm};
use crate::ctx::Ctx;

/// Durable name of the consumer (also its key in `processed_events`).
pub const CONSUMER: &str = "charging-live";

/// Starts the consumer; it runs until `stop`.
pub fn spawn(ctx: Ctx, stop: CancellationToken) {
    let ns = ctx.ns();
    let spec = ConsumerSpec {
        stream: ns.name("PYLON_DEVICE"),
        durable: CONSUMER.into(),
        filter_subject: ns.subject(&["device", ">"]),
        max_deliver: ctx.config.bus.max_deliver,
        ack_wait: Duration::from_secs(ctx.config.bus.ack_wait_secs),
        batch: 64,
    };
    let lanes = Lanes::per_device(ctx.config.charging.device_event_concurrency);
    // Ctx carries no health registry; the flag is kept for the consumer's contract.
    let running = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        let bus = ctx.bus.clone();
        let handled = bus::consume::run_consumer_keyed(
            &bus,
            spec,
            lanes,
            |d| {
                let ctx = ctx.clone();
                async move { handle(&ctx, d).await }
            },
            stop,
            running,
        )
        .await;
        if let Err(e) = handled {
            tracing::error!(error = %e, "live-state consumer stopped");
        }
    });
}

/// What one event says, in domain terms.
struct Observation {
    seen: Seen,
    device: DeviceFact,
    port: Option<(u32, PortFact)>,
    alarm: Option<Alarm>,
}

async fn handle(ctx: &Ctx, d: Delivery) -> Result<(), HandleError> {
    let Some(obs) = observe(&d)? else {
        // A kind the live state does not follow (card swipes, parameters, firmware).
        return Ok(());
    };
    apply(ctx, &d, &obs)
        .await
        .map_err(|e| HandleError::Retry(e.to_string()))
}

async fn apply(ctx: &Ctx, d: &Delivery, obs: &Observation) -> Result<(), sqlx::Error> {
    let mut tx = ctx.pool.begin().await?;
    let first = bus::idempotency::claim(&mut tx, crate::SCHEMA, CONSUMER, d.meta.id)
        .await
        .map_err(|e| match e {
            bus::BusError::Database(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })?;
    if !first {
        return Ok(());
    }
    let id = &obs.seen.device_id;
    let current = store::devices::lock(&mut tx, id).await?;
    let merged = device::merge(current.clone(), &obs.seen, &obs.device);
    if current.as_ref() != Some(&merged) {
        store::devices::save(&mut tx, &merged).await?;
    }
    if let Some((n, fact)) = &obs.port {
        let current = store::ports::get_in(&mut tx, id, *n).await?;
        if let Some(next) = port::merge(current.as_ref(), obs.seen.at, fact) {
            store::ports::save(&mut tx, id, *n, &next).await?;
        }
    }
    if let Some(alarm) = &obs.alarm {
        store::devices::record_alarm(&mut tx, id, alarm).await?;
    }
    tx.commit().await
}

fn when(t: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or(fallback)
}

fn state(s: i32) -> PortState {
    match pb::PortState::try_from(s).unwrap_or(pb::PortState::Unspecified) {
        pb::PortState::Unspecified => PortState::Unknown,
        pb::PortState::Idle => PortState::Idle,
        pb::PortState::Charging => PortState::Charging,
        pb::PortState::Full => PortState::Full,
        pb::PortState::Fault => PortState::Fault,
        pb::PortState::Offline => PortState::Offline,
        pb::PortState::Occupied => PortState::Occupied,
    }
}

fn reason(r: i32) -> String {
    pb::DisconnectReason::try_from(r)
        .map(|r| {
            r.as_str_name()
                .trim_start_matches("DISCONNECT_REASON_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| "unspecified".into())
}

/// Decodes the event by its kind (the subject's last token); `None` for kinds the live
/// state ignores. Undecodable payloads are permanent failures.
fn observe(d: &Delivery) -> Result<Option<Observation>, HandleError> {
    let permanent = |e: &dyn std::fmt::Display| HandleError::Permanent(e.to_string());
    // `…device.<tenant>.<device>.<kind>`, counted from the end: a namespace may prefix it.
    let mut tokens = d.subject.rsplit('.');
    let (Some(kind), Some(subject_device), Some(tenant)) =
        (tokens.next(), tokens.next(), tokens.next())
    else {
        return Err(HandleError::Permanent(format!(
            "unexpected subject {}",
            d.subject
        )));
    };
    let fallback = d.meta.time;
    let seen = |r: Option<&pb::DeviceRef>, at: DateTime<Utc>| {
        let r = r.cloned().unwrap_or_default();
        Seen {
            device_id: if r.device_id.is_empty() {
                subject_device.to_owned()
            } else {
                r.device_id
            },
            tenant: tenant.to_owned(),
            protocol: match pb::Protocol::try_from(r.protocol) {
                Ok(pb::Protocol::Dny) => "dny".into(),
                Ok(pb::Protocol::Gn) => "gn".into(),
                _ => String::new(),
            },
            gateway_id: r.gateway_id,
            at,
        }
    };
    let obs = |seen, device, port, alarm| {
        Some(Observation {
            seen,
            device,
            port,
            alarm,
        })
    };
    Ok(match kind {
        "connected" => {
            let e: pb::DeviceConnected = d.decode().map_err(|e| permanent(&e))?;
            obs(
                seen(e.device.as_ref(), when(e.connected_at.as_ref(), fallback)),
                DeviceFact::Connected,
                None,
                None,
            )
        }
        "disconnected" => {
            let e: pb::DeviceDisconnected = d.decode().map_err(|e| permanent(&e))?;
            let fact = DeviceFact::Disconnected {
                reason: reason(e.reason),
            };
            obs(
                seen(
                    e.device.as_ref(),
                    when(e.disconnected_at.as_ref(), fallback),
                ),
                fact,
                None,
                None,
            )
        }
        "heartbeat" => {
            let e: pb::DeviceHeartbeat = d.decode().map_err(|e| permanent(&e))?;
            let fact = DeviceFact::Heartbeat(HeartbeatInfo {
                signal: e.signal,
                firmware: e.firmware,
                iccid: e.iccid,
                port_count: e.port_count,
            });
            obs(
                seen(e.device.as_ref(), when(e.reported_at.as_ref(), fallback)),
                fact,
                None,
                None,
            )
        }
        "port_status" => {
            let e: pb::PortStatusChanged = d.decode().map_err(|e| permanent(&e))?;
            let fact = PortFact::Status {
                state: state(e.state),
                raw_status: e.raw_status,
            };
            let at = when(e.reported_at.as_ref(), fallback);
            port_obs(seen(e.device.as_ref(), at), e.port, fact)
        }
        "meter" => {
            let e: pb::MeterSample = d.decode().map_err(|e| permanent(&e))?;
            let fact = PortFact::Meter {
                order_ref: e.order_ref,
                meter: Meter {
                    power_dw: e.power_dw,
                    voltage_dv: e.voltage_dv,
                    current_ma: e.current_ma,
                    energy_wh: e.energy_wh,
                    elapsed_secs: e.elapsed_secs,
                },
            };
            let at = when(e.sampled_at.as_ref(), fallback);
            port_obs(seen(e.device.as_ref(), at), e.port, fact)
        }
        "charging_started" => {
            let e: pb::ChargingStarted = d.decode().map_err(|e| permanent(&e))?;
            let at = when(e.started_at.as_ref(), fallback);
            port_obs(
                seen(e.device.as_ref(), at),
                e.port,
                PortFact::Started {
                    order_ref: e.order_ref,
                },
            )
        }
        "charging_ended" => {
            let e: pb::ChargingEnded = d.decode().map_err(|e| permanent(&e))?;
            let at = when(e.ended_at.as_ref(), fallback);
            port_obs(
                seen(e.device.as_ref(), at),
                e.port,
                PortFact::Ended {
                    order_ref: e.order_ref,
                },
            )
        }
        "alarm" => {
            let e: pb::DeviceAlarm = d.decode().map_err(|e| permanent(&e))?;
            let at = when(e.raised_at.as_ref(), fallback);
            let alarm = Alarm {
                port: i32::try_from(e.port).unwrap_or(0),
                kind: e.kind,
                raw_code: i64::from(e.raw_code),
                detail: e.detail,
                raised_at: at,
            };
            obs(
                seen(e.device.as_ref(), at),
                DeviceFact::Other,
                None,
                Some(alarm),
            )
        }
        _ => None,
    })
}

/// A port event; port 0 (not a port) only counts as liveness.
fn port_obs(seen: Seen, n: u32, fact: PortFact) -> Option<Observation> {
    Some(Observation {
        seen,
        device: DeviceFact::Other,
        port: (n >= 1).then_some((n, fact)),
        alarm: None,
    })
}
