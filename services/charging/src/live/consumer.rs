//! The live-state consumer: a durable pull consumer of PYLON_DEVICE (every tenant, `_`
//! included) that merges each device event into `live_devices` / `live_ports` /
//! `live_alarms`. The claim in `processed_events` and the merge commit together, so a
//! redelivered event changes nothing; the merge rules (domain/) make the order of
//! different events irrelevant.
//!
//! Events come in batches (what one pull returns, up to [`BATCH`]) and a batch is
//! merged in stream order and written in one transaction: one claim, one locking read of
//! its devices' rows (in id order, so concurrent replicas cannot deadlock), one write per
//! table. A fleet's heartbeats, the bulk of device events, thus cost a row each, not a
//! transaction each.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bus::{ConsumerSpec, Delivery, HandleError};
use chrono::{DateTime, Utc};
use proto::events as pb;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::domain::device::{self, DeviceFact, DeviceLive, HeartbeatInfo, Seen};
use super::domain::port::{self, Meter, PortFact, PortLive, PortState};
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
        batch: BATCH,
    };
    // Ctx carries no health registry; the flag is kept for the consumer's contract.
    let running = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        let bus = ctx.bus.clone();
        let handled = bus::consume::run_consumer_batched(
            &bus,
            spec,
            |ds| {
                let ctx = ctx.clone();
                async move { handle(&ctx, ds).await }
            },
            LINGER,
            stop,
            running,
        )
        .await;
        if let Err(e) = handled {
            tracing::error!(error = %e, "live-state consumer stopped");
        }
    });
}

/// Events merged per transaction at most: a fleet's heartbeats (one per device and
/// period) are the bulk of device events and each changes one row.
const BATCH: usize = 256;

/// After a batch that was not full, how long the consumer waits before pulling again:
/// a fleet's heartbeats then come as a few larger transactions a second rather than
/// many small ones, for a live view at most this much later.
const LINGER: Duration = Duration::from_millis(100);

/// What one event says, in domain terms.
struct Observation {
    event_id: Uuid,
    seen: Seen,
    device: DeviceFact,
    port: Option<(u32, PortFact)>,
    alarm: Option<Alarm>,
}

/// One result per event: undecodable ones fail on their own; the others commit together
/// or are all retried.
async fn handle(ctx: &Ctx, ds: Vec<Delivery>) -> Vec<Result<(), HandleError>> {
    let mut results = vec![Ok(()); ds.len()];
    let (mut positions, mut observations) = (Vec::new(), Vec::with_capacity(ds.len()));
    for (i, d) in ds.iter().enumerate() {
        match observe(d) {
            Ok(Some(obs)) => {
                positions.push(i);
                observations.push(obs);
            }
            // A kind the live state does not follow (card swipes, parameters, firmware).
            Ok(None) => {}
            Err(e) => results[i] = Err(e),
        }
    }
    if let Err(e) = apply(ctx, observations).await {
        for i in positions {
            results[i] = Err(HandleError::Retry(e.to_string()));
        }
    }
    results
}

/// Merges the events, in stream order, into the rows of their devices and ports, and
/// writes what changed: one claim, one read and one write per table for the batch.
async fn apply(ctx: &Ctx, observations: Vec<Observation>) -> Result<(), sqlx::Error> {
    if observations.is_empty() {
        return Ok(());
    }
    let mut tx = ctx.pool.begin().await?;
    let ids: Vec<Uuid> = observations.iter().map(|o| o.event_id).collect();
    let mut fresh = bus::idempotency::claim_many(&mut tx, crate::SCHEMA, CONSUMER, &ids)
        .await
        .map_err(|e| match e {
            bus::BusError::Database(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })?;
    // A redelivered event was merged before; an id given twice is merged once.
    let todo: Vec<Observation> = observations
        .into_iter()
        .filter(|o| fresh.remove(&o.event_id))
        .collect();
    if todo.is_empty() {
        return tx.commit().await;
    }
    let mut device_ids: Vec<String> = todo.iter().map(|o| o.seen.device_id.clone()).collect();
    device_ids.sort();
    device_ids.dedup();
    let stored_devices = store::devices::lock_many(&mut tx, &device_ids).await?;
    let stored_ports = store::ports::of_devices_in(&mut tx, &device_ids).await?;

    let mut devices: HashMap<String, DeviceLive> = HashMap::new();
    let mut ports: HashMap<(String, u32), PortLive> = HashMap::new();
    let mut alarms = Vec::new();
    for obs in &todo {
        let id = &obs.seen.device_id;
        let current = devices.get(id).or_else(|| stored_devices.get(id)).cloned();
        devices.insert(id.clone(), device::merge(current, &obs.seen, &obs.device));
        if let Some((n, fact)) = &obs.port {
            let key = (id.clone(), *n);
            let current = ports.get(&key).or_else(|| stored_ports.get(&key));
            if let Some(next) = port::merge(current, obs.seen.at, fact) {
                ports.insert(key, next);
            }
        }
        if let Some(alarm) = &obs.alarm {
            alarms.push((id, alarm));
        }
    }
    let changed_devices: Vec<&DeviceLive> = devices
        .values()
        .filter(|d| stored_devices.get(&d.device_id) != Some(d))
        .collect();
    store::devices::save_many(&mut tx, &changed_devices).await?;
    let changed_ports: Vec<(&(String, u32), &PortLive)> = ports
        .iter()
        .filter(|(k, p)| stored_ports.get(*k) != Some(*p))
        .collect();
    store::ports::save_many(&mut tx, &changed_ports).await?;
    for (id, alarm) in alarms {
        store::devices::record_alarm(&mut tx, id, alarm).await?;
    }
    tx.commit().await
}

fn when(t: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    t.and_then(bus::event::datetime).unwrap_or(fallback)
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
    let event_id = d.meta.id;
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
            event_id,
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
            port_obs(event_id, seen(e.device.as_ref(), at), e.port, fact)
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
            port_obs(event_id, seen(e.device.as_ref(), at), e.port, fact)
        }
        "charging_started" => {
            let e: pb::ChargingStarted = d.decode().map_err(|e| permanent(&e))?;
            let at = when(e.started_at.as_ref(), fallback);
            port_obs(
                event_id,
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
                event_id,
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
fn port_obs(event_id: Uuid, seen: Seen, n: u32, fact: PortFact) -> Option<Observation> {
    Some(Observation {
        event_id,
        seen,
        device: DeviceFact::Other,
        port: (n >= 1).then_some((n, fact)),
        alarm: None,
    })
}
