//! Phase `ingest`: load piles offer `--rate` frames per second and the benchmark counts
//! what JetStream stores per second over a sustained window.
//!
//! The load piles (`pump.rs`) are DNY piles that each send a 0x21 heartbeat every
//! `piles / rate` seconds — 60 s / `speed`, as if a pile of the `bench` profile ran its
//! clock `speed` times fast: protocol-true frames, each answered by the gateway and
//! published as one `heartbeat` event (and one raw frame when `gateway.raw_frames` is
//! on).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::child::GatewayProcess;
use super::connect::Idle;
use super::procfs::{self, CpuSample, CpuUse, Pids};
use super::pump::Pump;
use super::stack::Stack;

/// Heartbeat period of the `bench` profile, simulated seconds.
const HEARTBEAT_SECS: u32 = 60;

/// The load fleet.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Frames per second all load piles offer together.
    pub rate: u32,
    pub piles: u32,
    /// First pile index (after the idle fleet's), so ids never collide.
    pub first_index: u32,
    pub sources: Vec<IpAddr>,
    pub connect_rate: u32,
    pub socket_buffer: Option<u32>,
}

/// Running load piles.
pub struct Load {
    pub pump: Pump,
    pub piles: u32,
    pub speed: u32,
    /// Heartbeats per second offered: piles × speed / 60.
    pub offered: f64,
}

impl Load {
    /// Starts the load piles against `target`; `None` when `rate` is 0.
    pub fn start(target: SocketAddr, opts: &LoadOptions) -> anyhow::Result<Option<Load>> {
        if opts.rate == 0 || opts.piles == 0 {
            return Ok(None);
        }
        let speed =
            (u64::from(opts.rate) * u64::from(HEARTBEAT_SECS)).div_ceil(u64::from(opts.piles));
        let speed = u32::try_from(speed.max(1))?;
        let offered = f64::from(opts.piles) * f64::from(speed) / f64::from(HEARTBEAT_SECS);
        // The rate the speed-up gives (at least the one asked for).
        let pump = Pump::start(
            target,
            LoadOptions {
                rate: offered.round() as u32,
                ..opts.clone()
            },
        )?;
        Ok(Some(Load {
            pump,
            piles: opts.piles,
            speed,
            offered,
        }))
    }

    /// Waits (up to the connect time plus 60 s) until every load pile is connected.
    pub async fn wait_connected(&self, connect_rate: u32) -> bool {
        let budget =
            Duration::from_secs_f64(f64::from(self.piles) / f64::from(connect_rate.max(1)) + 60.0);
        let started = Instant::now();
        while started.elapsed() < budget {
            if self.pump.connected() >= u64::from(self.piles) {
                return true;
            }
            if !self.pump.running() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct IngestResult {
    /// What this run was (raw frames on/off, idle piles held).
    pub label: String,
    pub raw_frames: bool,
    pub idle_piles: u32,
    pub load_piles: u32,
    pub speed: u32,
    pub offered_per_s: f64,
    pub seconds: f64,
    /// Device events stored in `PYLON_DEVICE` per second over the window.
    pub events_per_s: f64,
    /// Raw frames stored in `PYLON_RAW` per second.
    pub raw_per_s: f64,
    /// The slowest and fastest one-second intervals.
    pub min_1s: f64,
    pub max_1s: f64,
    /// Frames the piles wrote per second (every pile of the run).
    pub frames_sent_per_s: f64,
    /// Frames written but not (yet) stored as events at the end minus at the start of
    /// the window: growing means the gateway falls behind.
    pub backlog_growth: i64,
    pub publish_failures: u64,
    pub cpu: CpuUse,
    /// CPU time per stored event, microseconds: what one frame costs each side,
    /// whatever else runs on the machine.
    pub gateway_us_per_event: f64,
    pub nats_us_per_event: f64,
    /// The load-taking gateway's resident memory at the end of the window: what it
    /// holds while it keeps up (or falls behind) with the load.
    pub gateway_rss_end_bytes: u64,
}

/// Which run a measurement belongs to.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub label: String,
    pub raw_frames: bool,
    pub idle_piles: u32,
}

/// A measured window, after a warm-up.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: Duration,
    pub seconds: Duration,
}

/// Measures stored events per second over the window. `gateways` are every gateway
/// process (the first takes the load); `idle` the idle piles, if any, whose frames and
/// CPU count too.
pub async fn measure(
    gateways: &[GatewayProcess],
    stack: &Stack,
    load: &Load,
    idle: Option<&Idle>,
    window: Window,
    info: RunInfo,
) -> anyhow::Result<IngestResult> {
    let Window { warmup, seconds } = window;
    tokio::time::sleep(warmup).await;
    let (device, raw) = (stack.device_stream(), stack.raw_stream());
    let frames_sent = || load.pump.frames_sent() + idle.map_or(0, Idle::frames_out);
    let pids = Pids {
        gateways: gateways.iter().map(|g| g.pid).collect(),
        sims: idle.map(Idle::pids).unwrap_or_default(),
    };
    let failures0 = publish_failures(gateways).await?;
    let cpu0 = CpuSample::take(&pids);
    let started = Instant::now();
    let (e0, r0, f0) = (
        stack.stored(&device).await?,
        stack.stored(&raw).await?,
        frames_sent(),
    );
    let mut per_second = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = (e0, Instant::now());
    while started.elapsed() < seconds {
        tick.tick().await;
        let now = (stack.stored(&device).await?, Instant::now());
        per_second.push((now.0 - last.0) as f64 / now.1.duration_since(last.1).as_secs_f64());
        last = now;
    }
    let (e1, r1, f1) = (
        stack.stored(&device).await?,
        stack.stored(&raw).await?,
        frames_sent(),
    );
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu0.until(&CpuSample::take(&pids));
    let gateway_rss_end_bytes = match gateways.first() {
        Some(g) => procfs::rss_bytes(g.pid)?,
        None => 0,
    };
    let failures1 = publish_failures(gateways).await?;
    let events = e1 - e0;
    let sent = f1 - f0;
    Ok(IngestResult {
        label: info.label,
        raw_frames: info.raw_frames,
        idle_piles: info.idle_piles,
        load_piles: load.piles,
        speed: load.speed,
        offered_per_s: load.offered,
        seconds: wall,
        events_per_s: events as f64 / wall,
        raw_per_s: (r1 - r0) as f64 / wall,
        min_1s: per_second
            .iter()
            .copied()
            .reduce(f64::min)
            .unwrap_or_default(),
        max_1s: per_second.iter().copied().fold(0.0, f64::max),
        frames_sent_per_s: sent as f64 / wall,
        backlog_growth: i64::try_from(sent)? - i64::try_from(events)?,
        publish_failures: failures1 - failures0,
        gateway_us_per_event: per_event(cpu.gateway_cores, events, wall),
        nats_us_per_event: per_event(cpu.nats_server_cores, events, wall),
        cpu,
        gateway_rss_end_bytes,
    })
}

async fn publish_failures(gateways: &[GatewayProcess]) -> anyhow::Result<u64> {
    let mut n = 0;
    for g in gateways {
        n += g.metrics().await?.publish_failures;
    }
    Ok(n)
}

/// Microseconds of CPU per event, from cores used over `wall` seconds.
pub fn per_event(cores: f64, events: u64, wall: f64) -> f64 {
    if events == 0 {
        return 0.0;
    }
    cores * wall * 1e6 / events as f64
}
