//! Phase `latency`: frame-to-event time. Probe connections write hand-built DNY 0x21
//! heartbeats on a fixed schedule, noting the instant each write starts; one JetStream
//! ordered consumer receives the stored events of every probe. The probes are registered
//! (`device_registry`) to an operator of their own, so that consumer's filter matches
//! their events only. A consumer per probe, each filtered on its probe's subject, cost
//! NATS about 0.15 cores at 20,000 frames/s (docs/benchmarks.md, "Eighth machine"), so
//! the measurement loaded the machine it measured. The heartbeat's voltage field carries
//! a sequence number, which the event repeats (`voltage_dv`), so every event is matched
//! to its frame exactly.
//!
//! Sends do not wait for events (open loop), so a slow gateway cannot slow the probes
//! down and hide its own latency.
//!
//! With `gateway.raw_frames` on, the probes' raw frames are timed too, as core NATS
//! delivers them to a plain subscription: the same way from the gateway into NATS as
//! the events, without JetStream storing and delivering them. Where the two tails are
//! alike, the time is spent before JetStream (in the gateway, or in NATS reading it);
//! where the events' tail is longer, in JetStream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt as _;
use prost::Message as _;
use serde::Serialize;

use crate::bench::stats::{Latency, pct};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;

use super::baseline::heartbeat_frame;
use super::procfs::{CpuSample, CpuUse, Pids};
use super::stack::Stack;

/// Probe piles use DNY indices far above any fleet's.
pub const PROBE_FIRST_INDEX: u32 = 9_000_000;
/// The operator the probes are registered to (their events' tenant token).
const PROBE_TENANT: &str = "latencyprobes";

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub probes: u32,
    /// Frames per second per probe.
    pub rate: u32,
    pub warmup: Duration,
    pub seconds: Duration,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencyResult {
    pub probes: u32,
    pub rate_per_probe: u32,
    /// Background frames per second offered by the load piles meanwhile.
    pub background_offered_per_s: f64,
    pub idle_piles: u32,
    pub seconds: f64,
    /// Frames written in the window, events received for them, and frames whose event
    /// never came (within 5 s after the window).
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// The same frames' raw frames from core NATS (`None` with raw frames off).
    pub raw: Option<Latency>,
    pub cpu: CpuUse,
}

/// Frames in flight of one probe: sequence → when its write started, and whether it
/// belongs to the measured window.
type Pending = Arc<Mutex<HashMap<u16, (Instant, bool)>>>;

/// Runs the probes against the gateway's device port; `background` and `idle_piles`
/// only label the result.
pub async fn run(
    device_port: SocketAddr,
    pids: &Pids,
    stack: &Stack,
    opts: &ProbeOptions,
    background: f64,
    idle_piles: u32,
    raw_frames: bool,
) -> anyhow::Result<LatencyResult> {
    let stream = stack
        .bus
        .jetstream
        .get_stream(stack.device_stream())
        .await
        .context("opening PYLON_DEVICE")?;
    let total = opts.warmup + opts.seconds;
    let period = Duration::from_secs_f64(1.0 / f64::from(opts.rate.max(1)));
    let start = Instant::now() + Duration::from_millis(500);
    let measure_from = start + opts.warmup;
    // Registered before they connect: the gateway reads a device's operator when it
    // identifies it.
    let registry = gateway::open_registry(&stack.bus)
        .await
        .context("opening device_registry")?;
    let entry = serde_json::to_vec(&serde_json::json!({ "tenant_id": PROBE_TENANT }))?;
    let mut ids = Vec::new();
    for p in 0..opts.probes {
        let id = sim::ids::dny_physical_id(PROBE_FIRST_INDEX + p, 2)?;
        registry
            .put(id.to_string(), entry.clone().into())
            .await
            .context("registering a probe")?;
        ids.push(id);
    }
    // Subscribed before the first frame, delivering only what is stored from now on.
    let mut events = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: stack.bus.namespace.subject(&[
                "device",
                PROBE_TENANT,
                "*",
                "heartbeat",
            ]),
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .context("creating the probes' ordered consumer")?
        .messages()
        .await?;
    let mut raw_subscriptions = Vec::new();
    if raw_frames {
        for id in &ids {
            let subject = stack
                .bus
                .namespace
                .subject(&["raw", "dny", &id.to_string()]);
            raw_subscriptions.push(stack.bus.client.subscribe(subject).await?);
        }
        stack.bus.client.flush().await?;
    }
    let mut pendings: HashMap<String, Pending> = HashMap::new();
    let mut raw_pendings: HashMap<String, Pending> = HashMap::new();
    let mut probes = tokio::task::JoinSet::new();
    for (p, id) in ids.into_iter().enumerate() {
        let conn = tokio::net::TcpStream::connect(device_port).await?;
        conn.set_nodelay(true)?;
        let (mut rd, mut wr) = conn.into_split();
        let pending: Pending = Arc::default();
        pendings.insert(id.to_string(), pending.clone());
        let raw_pending: Option<Pending> = raw_frames.then(Arc::default);
        if let Some(p) = &raw_pending {
            raw_pendings.insert(id.to_string(), p.clone());
        }
        // Answers are read and dropped, so the gateway never blocks on this probe.
        let drain = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while matches!(rd.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        // Probes are spread evenly over one period.
        let first = start + period.mul_f64(p as f64 / f64::from(opts.probes.max(1)));
        let sends = u64::try_from(total.as_nanos() / period.as_nanos().max(1))?;
        probes.spawn(async move {
            let mut sent = 0u64;
            for k in 0..sends {
                let due = first + period.mul_f64(k as f64);
                tokio::time::sleep_until(due).await;
                let seq = (k % 65_536) as u16;
                let Ok(frame) = heartbeat_frame(id, seq) else {
                    continue;
                };
                let now = Instant::now();
                let measured = now >= measure_from;
                for p in std::iter::once(&pending).chain(raw_pending.as_ref()) {
                    if let Ok(mut m) = p.lock() {
                        m.insert(seq, (now, measured));
                    }
                }
                if wr.write_all(&frame).await.is_err() {
                    break;
                }
                sent += u64::from(measured);
            }
            drain.abort();
            sent
        });
    }
    // The events of every probe, matched by the device in their subject.
    let receiver = async move {
        let mut lat = Vec::new();
        let deadline = start + total + Duration::from_secs(5);
        loop {
            let next = tokio::time::timeout_at(deadline, events.next()).await;
            let Ok(Some(Ok(msg))) = next else {
                break;
            };
            let at = Instant::now();
            let device = msg.subject.rsplit('.').nth(1).unwrap_or_default();
            let Some(pending) = pendings.get(device) else {
                continue;
            };
            let Ok(ev) = proto::events::DeviceHeartbeat::decode(msg.payload.as_ref()) else {
                continue;
            };
            let seq = (ev.voltage_dv % 65_536) as u16;
            let sent = pending.lock().ok().and_then(|mut m| m.remove(&seq));
            if let Some((t, true)) = sent {
                lat.push(at.duration_since(t));
            }
            if Instant::now() > start + total
                && pendings
                    .values()
                    .all(|p| p.lock().map(|m| m.is_empty()).unwrap_or(true))
            {
                break;
            }
        }
        lat
    };
    let raw_deadline = start + total + Duration::from_secs(5);
    let raw_receiver = raw_latencies(raw_subscriptions, raw_pendings, raw_deadline);
    let cpu0 = CpuSample::take(pids);
    let senders = async {
        let mut sent = 0;
        while let Some(r) = probes.join_next().await {
            sent += r?;
        }
        anyhow::Ok(sent)
    };
    let (sent, mut lat, raw) = tokio::join!(senders, receiver, raw_receiver);
    let sent = sent?;
    let cpu = cpu0.until(&CpuSample::take(pids));
    lat.sort();
    let received = lat.len() as u64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(LatencyResult {
        probes: opts.probes,
        rate_per_probe: opts.rate,
        background_offered_per_s: background,
        idle_piles,
        seconds: opts.seconds.as_secs_f64(),
        sent,
        received,
        lost: sent.saturating_sub(received),
        p50_ms: ms(pct(&lat, 50.0)),
        p90_ms: ms(pct(&lat, 90.0)),
        p99_ms: ms(pct(&lat, 99.0)),
        p999_ms: ms(pct(&lat, 99.9)),
        max_ms: ms(lat.last().copied().unwrap_or_default()),
        raw: raw_frames.then(|| Latency::of_ms(raw.iter().map(|d| ms(*d)).collect())),
        cpu,
    })
}

/// What the raw-frame subscriber decodes of a raw frame: the DNY message id, which the
/// probes set to the frame's sequence number.
#[derive(serde::Deserialize)]
struct RawFrame {
    frame: RawFrameHeader,
}

#[derive(serde::Deserialize)]
struct RawFrameHeader {
    message_id: u16,
}

/// The probes' raw frames as core NATS delivers them, matched by device (the subject's
/// last token) and message id; ends once every frame was seen or at `deadline`.
async fn raw_latencies(
    subscriptions: Vec<async_nats::Subscriber>,
    pendings: HashMap<String, Pending>,
    deadline: Instant,
) -> Vec<Duration> {
    let mut lat = Vec::new();
    if subscriptions.is_empty() {
        return lat;
    }
    let mut frames = futures::stream::select_all(subscriptions);
    let sending_ends = deadline - Duration::from_secs(5);
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, frames.next()).await {
        let at = Instant::now();
        let device = msg.subject.rsplit('.').next().unwrap_or_default();
        let (Some(pending), Ok(raw)) = (
            pendings.get(device),
            serde_json::from_slice::<RawFrame>(&msg.payload),
        ) else {
            continue;
        };
        let sent = pending
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&raw.frame.message_id));
        if let Some((t, true)) = sent {
            lat.push(at.duration_since(t));
        }
        if at > sending_ends
            && pendings
                .values()
                .all(|p| p.lock().map(|m| m.is_empty()).unwrap_or(true))
        {
            break;
        }
    }
    lat
}
