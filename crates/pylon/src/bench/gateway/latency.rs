//! Phase `latency`: frame-to-event time. Probe connections write hand-built DNY 0x21
//! heartbeats on a fixed schedule, noting the instant each write starts; one JetStream
//! ordered consumer per probe (filtered on its own `heartbeat` subject) receives the
//! stored events. The heartbeat's voltage field carries a sequence number, which the
//! event repeats (`voltage_dv`), so every event is matched to its frame exactly.
//!
//! Sends do not wait for events (open loop), so a slow gateway cannot slow the probes
//! down and hide its own latency.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt as _;
use prost::Message as _;
use serde::Serialize;

use crate::bench::stats::pct;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;

use super::baseline::heartbeat_frame;
use super::procfs::{CpuSample, CpuUse, Pids};
use super::stack::Stack;

/// Probe piles use DNY indices far above any fleet's.
pub const PROBE_FIRST_INDEX: u32 = 9_000_000;

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
    let mut probes = tokio::task::JoinSet::new();
    for p in 0..opts.probes {
        let id = sim::ids::dny_physical_id(PROBE_FIRST_INDEX + p, 2)?;
        let subject = stack.device_subject(&id.to_string(), "heartbeat");
        // Subscribed before the first frame, delivering only what is stored from now on.
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: subject,
                deliver_policy: DeliverPolicy::New,
                ..Default::default()
            })
            .await
            .context("creating a probe's ordered consumer")?;
        let mut events = consumer.messages().await?;
        let conn = tokio::net::TcpStream::connect(device_port).await?;
        conn.set_nodelay(true)?;
        let (mut rd, mut wr) = conn.into_split();
        let pending: Pending = Arc::default();
        // Answers are read and dropped, so the gateway never blocks on this probe.
        let drain = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while matches!(rd.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        let sender_pending = pending.clone();
        // Probes are spread evenly over one period.
        let first = start + period.mul_f64(f64::from(p) / f64::from(opts.probes.max(1)));
        let sends = u64::try_from(total.as_nanos() / period.as_nanos().max(1))?;
        let sender = async move {
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
                if let Ok(mut m) = sender_pending.lock() {
                    m.insert(seq, (now, measured));
                }
                if wr.write_all(&frame).await.is_err() {
                    break;
                }
                sent += u64::from(measured);
            }
            sent
        };
        let receiver = async move {
            let mut lat = Vec::new();
            let deadline = start + total + Duration::from_secs(5);
            loop {
                let next = tokio::time::timeout_at(deadline, events.next()).await;
                let Ok(Some(Ok(msg))) = next else {
                    break;
                };
                let at = Instant::now();
                let Ok(ev) = proto::events::DeviceHeartbeat::decode(msg.payload.as_ref()) else {
                    continue;
                };
                let seq = (ev.voltage_dv % 65_536) as u16;
                let sent = pending.lock().ok().and_then(|mut m| m.remove(&seq));
                if let Some((t, true)) = sent {
                    lat.push(at.duration_since(t));
                }
                let empty = pending.lock().map(|m| m.is_empty()).unwrap_or(true);
                if empty && Instant::now() > start + total {
                    break;
                }
            }
            lat
        };
        probes.spawn(async move {
            let (sent, lat) = tokio::join!(sender, receiver);
            drain.abort();
            (sent, lat)
        });
    }
    let cpu0 = CpuSample::take(pids);
    let mut sent = 0;
    let mut lat = Vec::new();
    while let Some(r) = probes.join_next().await {
        let (s, l) = r?;
        sent += s;
        lat.extend(l);
    }
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
        cpu,
    })
}
