//! The yardstick for ingest: a plain async-nats JetStream publish loop on the same
//! machine, into the same streams, with messages of the same sizes and headers the
//! gateway sends per heartbeat — a `DeviceHeartbeat` event (CloudEvents headers,
//! `Nats-Msg-Id`, publish acknowledged) and, in the `events+raw` mode, the raw-frame
//! JSON before it (core NATS, no ack asked for, like the gateway's). `concurrency` tasks each
//! publish and await their ack in a loop, as the gateway's connections do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use codec_dny::{Direction, Frame, MessageId};
use serde::Serialize;

use super::ingest::per_event;
use super::procfs::{CpuSample, CpuUse, Pids};
use super::stack::Stack;

#[derive(Clone, Debug, Serialize)]
pub struct BaselineResult {
    /// `events` or `events+raw`.
    pub mode: String,
    pub concurrency: usize,
    pub seconds: f64,
    /// Events stored per second (each acknowledged).
    pub events_per_s: f64,
    pub raw_per_s: f64,
    /// Payload + header bytes of one event and one raw message.
    pub event_bytes: usize,
    pub raw_bytes: usize,
    pub errors: u64,
    pub cpu: CpuUse,
    /// CPU time per stored event, microseconds: the NATS server and this publishing
    /// client (the gateway's share of the same work).
    pub nats_us_per_event: f64,
    pub client_us_per_event: f64,
}

/// A heartbeat as the simulator's idle 2-port piles send it, with message id `seq` and
/// `voltage_dv` (the piles report `sim::DNY_VOLTAGE_DV`).
pub fn heartbeat_frame(
    id: codec_dny::PhysicalId,
    seq: u16,
    voltage_dv: u16,
) -> anyhow::Result<Bytes> {
    Ok(Frame {
        physical_id: id,
        message_id: MessageId::new(seq),
        message: sim::dny_heartbeat(voltage_dv, Bytes::from_static(&[0, 0])),
    }
    .to_bytes()?)
}

/// The event the gateway publishes for a heartbeat of `device`, with a fresh id (so
/// JetStream's deduplication never drops one).
fn event(ns: &bus::Namespace, device: &str) -> bus::OutgoingEvent {
    let at = chrono::Utc::now();
    bus::OutgoingEvent::new(
        ns.subject(&["device", gateway::events::UNASSIGNED, device, "heartbeat"]),
        gateway::events::SOURCE,
        gateway::events::UNASSIGNED,
        at,
        &proto::events::DeviceHeartbeat {
            device: Some(proto::events::DeviceRef {
                device_id: device.to_owned(),
                protocol: proto::events::Protocol::Dny as i32,
                gateway_id: String::new(),
            }),
            signal: 28,
            iccid: "89860000000000000007".into(),
            firmware: String::new(),
            voltage_dv: u32::from(sim::DNY_VOLTAGE_DV),
            temperature_c: Some(30),
            port_count: 2,
            reported_at: Some(bus::event::timestamp(at)),
        },
    )
}

fn header_bytes(h: &async_nats::HeaderMap) -> usize {
    h.iter()
        .map(|(k, vs)| {
            let name: &str = k.as_ref();
            // `name: value\r\n` on the wire.
            vs.iter()
                .map(|v| name.len() + v.as_str().len() + 4)
                .sum::<usize>()
        })
        .sum()
}

/// Runs the loop for `seconds` (after one second of warm-up) and counts what the
/// streams stored.
pub async fn run(
    stack: &Stack,
    concurrency: usize,
    seconds: Duration,
    with_raw: bool,
) -> anyhow::Result<BaselineResult> {
    let devices: Vec<String> = (0..1000u32)
        .map(|i| sim::ids::dny_physical_id(i, 2).map(|id| id.to_string()))
        .collect::<Result<_, _>>()?;
    let frame = heartbeat_frame(
        sim::ids::dny_physical_id(0, 2)?,
        sim::DNY_VOLTAGE_DV,
        sim::DNY_VOLTAGE_DV,
    )?;
    let raw_json = serde_json::json!({
        "hex": codec_gn::hex::encode(&frame),
        "frame": codec_dny::describe_bytes(&frame, Direction::Up)?,
    });
    let raw_payload = Bytes::from(serde_json::to_vec(&raw_json)?);
    let sample = event(&stack.bus.namespace, &devices[0]);
    let event_bytes = sample.payload.len() + header_bytes(&sample.meta.to_headers());

    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let devices = Arc::new(devices);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..concurrency.max(1) {
        let (client, js, ns, stop, errors, devices, raw_payload) = (
            stack.bus.client.clone(),
            stack.bus.jetstream.clone(),
            stack.bus.namespace.clone(),
            stop.clone(),
            errors.clone(),
            devices.clone(),
            raw_payload.clone(),
        );
        tasks.spawn(async move {
            let mut i = t;
            while !stop.load(Ordering::Relaxed) {
                let device = &devices[i % devices.len()];
                i += concurrency;
                // Core NATS, as the gateway publishes raw frames: the stream stores
                // them and sends no ack back.
                if with_raw
                    && client
                        .publish(ns.subject(&["raw", "dny", device]), raw_payload.clone())
                        .await
                        .is_err()
                {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                let ev = event(&ns, device);
                let acked = match js
                    .publish_with_headers(ev.subject.clone(), ev.meta.to_headers(), ev.payload)
                    .await
                {
                    Ok(ack) => ack.await.is_ok(),
                    Err(_) => false,
                };
                if !acked {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (device, raw) = (stack.device_stream(), stack.raw_stream());
    let cpu0 = CpuSample::take(&Pids::default());
    let started = Instant::now();
    let (e0, r0) = (stack.stored(&device).await?, stack.stored(&raw).await?);
    let errors0 = errors.load(Ordering::Relaxed);
    tokio::time::sleep(seconds).await;
    let (e1, r1) = (stack.stored(&device).await?, stack.stored(&raw).await?);
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu0.until(&CpuSample::take(&Pids::default()));
    let errors1 = errors.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    Ok(BaselineResult {
        mode: if with_raw { "events+raw" } else { "events" }.into(),
        concurrency,
        seconds: wall,
        events_per_s: (e1 - e0) as f64 / wall,
        raw_per_s: (r1 - r0) as f64 / wall,
        event_bytes,
        raw_bytes: if with_raw { raw_payload.len() } else { 0 },
        errors: errors1 - errors0,
        nats_us_per_event: per_event(cpu.nats_server_cores, e1 - e0, wall),
        client_us_per_event: per_event(cpu.bench_cores, e1 - e0, wall),
        cpu,
    })
}
