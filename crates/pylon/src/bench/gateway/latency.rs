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
use std::time::{Duration, SystemTime};

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
    /// Where the events' time went, by the clocks of the machine: the gateway's decode
    /// time (the event's `reported_at`) and JetStream's store time split each sample.
    pub stages: Stages,
    pub cpu: CpuUse,
}

/// The events' latency in three stretches, each summarized on its own (percentiles of
/// the parts do not add up to the whole's, but the stretch whose tail is long is where
/// the whole's tail forms).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stages {
    /// Write started → the gateway decoded the frame (the kernel's delivery, the
    /// gateway's reading and decoding).
    pub to_gateway: Latency,
    /// Decoded → stored by JetStream (the gateway's publishing, NATS reading it and
    /// storing).
    pub to_stored: Latency,
    /// Stored → received by the benchmark's consumer (JetStream's delivery).
    pub to_consumer: Latency,
}

/// When a frame's event was decoded by the gateway and stored by JetStream.
#[derive(Clone, Copy)]
struct Stamps {
    decoded: SystemTime,
    stored: SystemTime,
}

/// A frame written: when, by both clocks, and whether it belongs to the measured window.
#[derive(Clone, Copy)]
struct Written {
    at: Instant,
    wall: SystemTime,
    measured: bool,
}

/// Frames in flight of one probe, by sequence number.
type Pending = Arc<Mutex<HashMap<u16, Written>>>;

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
    let events = stream
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
    let mut in_flight = InFlight::default();
    let mut raw_in_flight = InFlight::default();
    let mut probes = tokio::task::JoinSet::new();
    for (p, id) in ids.into_iter().enumerate() {
        let conn = tokio::net::TcpStream::connect(device_port).await?;
        conn.set_nodelay(true)?;
        let (mut rd, mut wr) = conn.into_split();
        let pending: Pending = Arc::default();
        in_flight.0.insert(id.to_string(), pending.clone());
        let raw_pending: Option<Pending> = raw_frames.then(Arc::default);
        if let Some(p) = &raw_pending {
            raw_in_flight.0.insert(id.to_string(), p.clone());
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
                // The sequence number rides in the voltage, which the event repeats.
                let Ok(frame) = heartbeat_frame(id, seq, seq) else {
                    continue;
                };
                let now = Instant::now();
                let measured = now >= measure_from;
                let written = Written {
                    at: now,
                    wall: SystemTime::now(),
                    measured,
                };
                for p in std::iter::once(&pending).chain(raw_pending.as_ref()) {
                    if let Ok(mut m) = p.lock() {
                        m.insert(seq, written);
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
    let sending_ends = start + total;
    // The events of every probe, matched by the device in their subject and the sequence
    // number in their voltage.
    let events = events
        .take_while(|m| std::future::ready(m.is_ok()))
        .filter_map(|m| std::future::ready(m.ok()));
    let receiver = collect(events, in_flight, sending_ends, |msg| {
        let device = msg.subject.rsplit('.').nth(1)?;
        let ev = proto::events::DeviceHeartbeat::decode(msg.payload.as_ref()).ok()?;
        let stamps = ev.reported_at.and_then(|t| {
            Some(Stamps {
                decoded: SystemTime::try_from(t).ok()?,
                stored: SystemTime::from(msg.info().ok()?.published),
            })
        });
        Some((device, (ev.voltage_dv % 65_536) as u16, stamps))
    });
    // Their raw frames, matched by the device (the subject's last token) and the DNY
    // message id, which the probes set to the sequence number.
    let raw_frames_in = futures::stream::select_all(raw_subscriptions);
    let raw_receiver = collect(raw_frames_in, raw_in_flight, sending_ends, |msg| {
        let device = msg.subject.rsplit('.').next()?;
        let raw = serde_json::from_slice::<RawFrame>(&msg.payload).ok()?;
        Some((device, raw.frame.message_id, None))
    });
    let cpu0 = CpuSample::take(pids);
    let senders = async {
        let mut sent = 0;
        while let Some(r) = probes.join_next().await {
            sent += r?;
        }
        anyhow::Ok(sent)
    };
    let (sent, arrived, raw) = tokio::join!(senders, receiver, raw_receiver);
    let sent = sent?;
    let cpu = cpu0.until(&CpuSample::take(pids));
    let mut lat: Vec<Duration> = arrived.total;
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
        raw: raw_frames.then(|| Latency::of(raw.total)),
        stages: arrived.stages,
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

/// How long after the last write arrivals are still waited for.
const LATE: Duration = Duration::from_secs(5);

/// The frames of every probe written and not yet seen arriving, by device.
#[derive(Default)]
struct InFlight(HashMap<String, Pending>);

impl InFlight {
    /// `device`'s frame `seq` arrived: how it was written, if in the measured window.
    fn arrived(&self, device: &str, seq: u16) -> Option<Written> {
        let sent = self.0.get(device)?.lock().ok()?.remove(&seq)?;
        sent.measured.then_some(sent)
    }

    fn all_arrived(&self) -> bool {
        self.0
            .values()
            .all(|p| p.lock().map(|m| m.is_empty()).unwrap_or(true))
    }
}

/// What [`collect`] measured.
#[derive(Default)]
struct Arrivals {
    total: Vec<Duration>,
    stages: Stages,
}

/// The latencies of the probes' frames as `arrivals` brings them (`identify` names a
/// message's device and sequence number, and the stamps that split its time if it has
/// them; others are skipped); ends once every frame arrived after the sending ended, or
/// [`LATE`] after it.
async fn collect<M>(
    arrivals: impl futures::Stream<Item = M>,
    in_flight: InFlight,
    sending_ends: Instant,
    identify: impl Fn(&M) -> Option<(&str, u16, Option<Stamps>)>,
) -> Arrivals {
    let mut total = Vec::new();
    let mut stages: [Vec<Duration>; 3] = Default::default();
    if in_flight.0.is_empty() {
        return Arrivals::default();
    }
    tokio::pin!(arrivals);
    while let Ok(Some(msg)) = tokio::time::timeout_at(sending_ends + LATE, arrivals.next()).await {
        let at = Instant::now();
        let wall = SystemTime::now();
        if let Some((device, seq, stamps)) = identify(&msg)
            && let Some(written) = in_flight.arrived(device, seq)
        {
            total.push(at.duration_since(written.at));
            if let Some(s) = stamps {
                // A clock step between two stamps reads as zero, not as a failure.
                let gap =
                    |from: SystemTime, to: SystemTime| to.duration_since(from).unwrap_or_default();
                stages[0].push(gap(written.wall, s.decoded));
                stages[1].push(gap(s.decoded, s.stored));
                stages[2].push(gap(s.stored, wall));
            }
        }
        if at > sending_ends && in_flight.all_arrived() {
            break;
        }
    }
    let [to_gateway, to_stored, to_consumer] = stages.map(Latency::of);
    Arrivals {
        total,
        stages: Stages {
            to_gateway,
            to_stored,
            to_consumer,
        },
    }
}
