//! `pylon bench gateway`: the device gateway of issue 4 under simulated piles.
//!
//! The gateway runs as a separate `pylon run gateway` process (in a private NATS
//! namespace, on free loopback ports), so its memory and CPU are read from
//! `/proc/<pid>` apart from the load's (`pump.rs`, in this process) and the idle piles'
//! (`pylon sim` processes), which run on the same cores. Phases, in order, on one gateway:
//! 1. `connect` — `--piles` idle piles connect from `--sources` loopback addresses and
//!    stay; gateway RSS before and after gives the bytes per idle connection.
//! 2. `ingest` — `--load-piles` DNY pile connections (`pump.rs`: one thread, protocol-
//!    true heartbeats, no simulator state) offer `--rate` heartbeats per second; stored
//!    events per second over `--seconds` are counted from the stream (the idle piles
//!    stay connected).
//! 3. `latency` — probe connections write heartbeats and time each until its event
//!    arrives from JetStream, under the same background load.
//!
//! Then the run checks itself (connections and event counts must agree), and with
//! `--raw-frames both` measures ingest again on fresh gateways with `gateway.raw_frames`
//! on and off. Last, a plain async-nats publish loop gives the JetStream rate the ingest
//! is compared with. With `--commands N`, N `DeviceControl` calls go to piles of their
//! own on a fresh gateway (`commands`). Everything created on NATS is deleted at the end.

mod baseline;
mod check;
mod child;
mod commands;
mod connect;
mod ingest;
mod latency;
mod paired;
mod pump;
mod report;
mod simproc;
mod stack;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use super::procfs::{self, Pids};
use child::{ChildOptions, GatewayProcess};
use ingest::{Load, LoadOptions, RunInfo, Window};
use report::{Machine, Report};
use stack::Stack;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    Connect,
    Ingest,
    Latency,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RawFrames {
    On,
    Off,
    /// The main run with raw frames on, then ingest once more with them off.
    Both,
}

/// `pylon bench gateway` options; the defaults are the goals of issue 4.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// Phases, comma-separated: connect, ingest, latency, all.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    phase: Vec<Phase>,
    /// Idle piles to connect (phase connect).
    #[arg(long, default_value_t = 50_000)]
    piles: u32,
    /// GN gateways among the idle piles, percent (the rest are DNY piles).
    #[arg(long, default_value_t = 10)]
    gn_percent: u8,
    /// Piles connect from 127.0.0.2 … 127.0.0.(1+N): one source address gives only
    /// ~28k ephemeral ports towards one listener.
    #[arg(long, default_value_t = 8)]
    sources: u8,
    /// Connects per second while a fleet starts.
    #[arg(long, default_value_t = 2500)]
    connect_rate: u32,
    /// Seconds over which idle CPU is measured after the piles connected (60: each
    /// pile heartbeats once); memory is read after it.
    #[arg(long, default_value_t = 60)]
    idle_seconds: u64,
    /// Seconds of each measured window (ingest, latency).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds before a window starts, for connections and rates to settle.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Frames per second the load piles offer during ingest and latency (each a DNY
    /// heartbeat, i.e. one device event).
    #[arg(long, default_value_t = 20_000)]
    rate: u32,
    /// Piles that offer --rate together (each sends a heartbeat every piles / rate s).
    #[arg(long, default_value_t = 5_000)]
    load_piles: u32,
    /// Probe connections timing frame-to-event latency.
    #[arg(long, default_value_t = 20)]
    probes: u32,
    /// Frames per second per probe.
    #[arg(long, default_value_t = 10)]
    probe_rate: u32,
    /// `gateway.raw_frames` of the gateway under test; `both` adds ingest runs with it
    /// on and off on fresh gateways (without idle piles) to isolate its cost.
    #[arg(long, value_enum, default_value = "both")]
    raw_frames: RawFrames,
    /// Seconds of each plain JetStream publish loop (0 skips it).
    #[arg(long, default_value_t = 10)]
    baseline_seconds: u64,
    /// Publishing tasks of the plain loop, each awaiting its ack like a connection.
    #[arg(long, default_value_t = 500)]
    baseline_concurrency: usize,
    /// Rounds of alternating ingest and plain-publish windows (`--baseline-seconds`
    /// each) on a gateway of its own: the ratio goal is judged on their median, since
    /// adjacent windows see the same machine (0 skips them).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Frames per second the load piles offer in the alternating rounds: more than a
    /// gateway on this machine takes, so the ratio is measured at its limit, as its rule
    /// asks (0: --rate).
    #[arg(long, default_value_t = 80_000)]
    ratio_rate: u32,
    /// SO_SNDBUF/SO_RCVBUF of the simulated piles' sockets (kernel default if unset).
    #[arg(long)]
    socket_buffer: Option<u32>,
    /// DeviceControl calls to time (0: the commands phase does not run). They go to
    /// `--command-piles` piles of their own on a fresh gateway, after the other phases.
    #[arg(long, default_value_t = 0)]
    commands: u32,
    /// Devices the commands are spread over (--gn-percent of them GN gateways); each gets
    /// its next command at least 0.6 s after the last ended, so DNY pacing never applies.
    #[arg(long, default_value_t = 300)]
    command_piles: u32,
    /// Concurrent gRPC callers of the commands phase.
    #[arg(long, default_value_t = 32)]
    command_concurrency: usize,
    /// Print the results as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Exit 1 also when a goal is not met (by default only an inconsistent run fails).
    #[arg(long)]
    check_goals: bool,
}

/// Which phases run.
#[derive(Clone, Copy, Debug)]
struct Phases {
    connect: bool,
    ingest: bool,
    latency: bool,
}

impl GatewayArgs {
    fn phases(&self) -> Phases {
        let has = |p| self.phase.contains(&p) || self.phase.contains(&Phase::All);
        Phases {
            connect: has(Phase::Connect),
            ingest: has(Phase::Ingest),
            latency: has(Phase::Latency),
        }
    }

    fn validate(&self) -> Result<(), String> {
        let p = self.phases();
        if p.connect && self.piles == 0 {
            return Err("--piles must be > 0 for the connect phase".into());
        }
        if !(1..=250).contains(&self.sources) {
            return Err("--sources must be 1..=250".into());
        }
        if self.gn_percent > 100 {
            return Err("--gn-percent must be 0..=100".into());
        }
        if p.ingest && (self.rate == 0 || self.load_piles == 0) {
            return Err("the ingest phase needs --rate > 0 and --load-piles > 0".into());
        }
        if p.latency && (self.probes == 0 || self.probe_rate == 0) {
            return Err("the latency phase needs --probes > 0 and --probe-rate > 0".into());
        }
        if self.commands > 0 && (self.command_piles as usize) < self.command_concurrency.max(1) {
            return Err("--command-piles must be at least --command-concurrency".into());
        }
        if self.command_piles > commands::MAX_PILES {
            return Err(format!(
                "--command-piles must be at most {}",
                commands::MAX_PILES
            ));
        }
        if self.seconds == 0 {
            return Err("--seconds must be > 0".into());
        }
        // Idle piles, then load piles, then probes: their DNY ids must not collide.
        if u64::from(self.piles) + u64::from(self.load_piles)
            > u64::from(latency::PROBE_FIRST_INDEX)
        {
            return Err("--piles + --load-piles must stay below 9,000,000".into());
        }
        Ok(())
    }

    /// 127.0.0.2 … 127.0.0.(1+sources); the gateway listens on 127.0.0.1.
    fn source_addrs(&self) -> Vec<IpAddr> {
        (0..self.sources)
            .map(|i| IpAddr::from([127, 0, 0, i.saturating_add(2)]))
            .collect()
    }

    fn window(&self) -> Window {
        Window {
            warmup: Duration::from_secs(self.warmup),
            seconds: Duration::from_secs(self.seconds),
        }
    }

    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            rate: self.rate,
            piles: self.load_piles,
            first_index: self.piles,
            sources: self.source_addrs(),
            connect_rate: self.connect_rate,
            socket_buffer: self.socket_buffer,
        }
    }

    /// The load of the alternating rounds (`--ratio-rate`).
    fn ratio_load_options(&self) -> LoadOptions {
        LoadOptions {
            rate: match self.ratio_rate {
                0 => self.rate,
                r => r,
            },
            ..self.load_options()
        }
    }

    /// Sockets the load piles and probes take on the first gateway.
    fn reserved(&self) -> u32 {
        let p = self.phases();
        let load = if p.ingest || p.latency {
            self.load_piles + self.probes
        } else {
            0
        };
        load.max(if self.commands > 0 {
            self.command_piles
        } else {
            0
        })
    }

    /// Idle piles per gateway process, none holding more than `cap` connections
    /// (including the first one's load piles and probes).
    fn shares(&self, cap: u32) -> Result<Vec<u32>, String> {
        let reserved = self.reserved();
        if reserved >= cap {
            return Err(format!(
                "--load-piles + --probes ({reserved}) exceed what one process may open ({cap})"
            ));
        }
        if !self.phases().connect {
            return Ok(vec![0]);
        }
        let total = self.piles + reserved;
        let n = total.div_ceil(cap).max(1);
        let even = total.div_ceil(n);
        let first = even.saturating_sub(reserved).min(self.piles);
        let rest = self.piles - first;
        let others = n - 1;
        let mut shares = vec![first];
        for i in 0..others {
            shares.push(rest / others + u32::from(i < rest % others));
        }
        Ok(shares)
    }
}

/// Descriptors a process keeps for everything but device sockets (NATS, HTTP, logs).
const FD_MARGIN: u64 = 1000;

/// A namespace no one else uses, inside the configured one if there is one.
fn private_namespace(configured: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let id = id.get(..8).unwrap_or_default();
    if configured.is_empty() {
        format!("gwbench{id}")
    } else {
        format!("{configured}_gwbench{id}")
    }
}

pub async fn execute(
    args: GatewayArgs,
    config: runtime::Config,
    config_path: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    if let Err(e) = args.validate() {
        eprintln!("pylon: {e}");
        return Ok(ExitCode::from(2));
    }
    // As high as this process may go; children inherit it. Where the hard limit cannot
    // be raised (no CAP_SYS_RESOURCE), larger fleets are spread over more processes.
    let nofile = procfs::raise_nofile(1 << 20).context("raising RLIMIT_NOFILE")?;
    let cap = u32::try_from(nofile.saturating_sub(FD_MARGIN)).unwrap_or(u32::MAX);
    let shares = match args.shares(cap) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pylon: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let namespace = private_namespace(&config.nats.namespace);
    let stack = Stack::connect(&config, &namespace).await?;
    let mut report = Report {
        machine: Machine {
            cores: procfs::cores(),
            mem_total_bytes: procfs::mem_total_bytes(),
            nofile_limit: nofile,
        },
        namespace,
        connect: None,
        ingest: Vec::new(),
        latency: None,
        baseline: Vec::new(),
        paired: None,
        consistency: None,
        commands: commands::not_measured(),
        goals: Vec::new(),
        streams_deleted: 0,
    };
    let outcome = run(&args, &config, config_path, &stack, &shares, &mut report).await;
    report.streams_deleted = stack.cleanup().await;
    outcome?;
    report.judge();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(if !report.consistent() {
        eprintln!("bench: the run is inconsistent (see connections, events, lost frames)");
        ExitCode::FAILURE
    } else if args.check_goals && !report.goals_met() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run(
    args: &GatewayArgs,
    config: &runtime::Config,
    config_path: Option<PathBuf>,
    stack: &Stack,
    shares: &[u32],
    report: &mut Report,
) -> anyhow::Result<()> {
    let phases = args.phases();
    let child = |raw_frames| ChildOptions {
        config_path: config_path.clone(),
        nats_url: config.nats.url.clone(),
        namespace: stack.namespace.clone(),
        raw_frames,
    };
    let raw_first = args.raw_frames != RawFrames::Off;
    let mut gateways = Vec::new();
    for _ in shares {
        let gw = GatewayProcess::start(&child(raw_first)).await?;
        eprintln!("bench: gateway pid {} on {}", gw.pid, gw.device);
        gateways.push(gw);
    }
    let main = gateways.first().context("no gateway")?;

    let idle = if phases.connect {
        let opts = connect::IdleOptions {
            gn_percent: args.gn_percent,
            sources: args.source_addrs(),
            connect_rate: args.connect_rate,
            socket_buffer: args.socket_buffer,
            settle: Duration::from_secs(args.warmup.max(1)),
            idle_window: Duration::from_secs(args.idle_seconds.max(1)),
        };
        let (idle, r) = connect::run(&gateways, shares, &opts).await?;
        eprintln!(
            "bench: {} idle piles connected to {} gateway(s), {:.1} KiB per connection",
            r.connected_gateway,
            r.gateways,
            r.gateway_bytes_per_connection / 1024.0
        );
        report.connect = Some(r);
        Some(idle)
    } else {
        None
    };
    let idle_piles = if phases.connect { args.piles } else { 0 };

    let load = if phases.ingest || phases.latency {
        start_load(main, &args.load_options()).await?
    } else {
        None
    };
    if phases.ingest
        && let Some(load) = &load
    {
        let info = RunInfo {
            label: format!("main ({idle_piles} idle piles held)"),
            raw_frames: raw_first,
            idle_piles,
        };
        let r = ingest::measure(&gateways, stack, load, idle.as_ref(), args.window(), info).await?;
        eprintln!("bench: ingest {:.0} events/s", r.events_per_s);
        report.ingest.push(r);
    }
    if phases.latency {
        let probes = latency::ProbeOptions {
            probes: args.probes,
            rate: args.probe_rate,
            warmup: Duration::from_secs(args.warmup),
            seconds: Duration::from_secs(args.seconds),
        };
        let pids = Pids {
            gateways: gateways.iter().map(|g| g.pid).collect(),
            sims: idle.as_ref().map(connect::Idle::pids).unwrap_or_default(),
        };
        let background = load.as_ref().map_or(0.0, |l| l.offered);
        let r = latency::run(
            main.device,
            &pids,
            stack,
            &probes,
            background,
            idle_piles,
            raw_first,
        )
        .await?;
        eprintln!("bench: latency p99 {:.2} ms", r.p99_ms);
        report.latency = Some(r);
    }
    let load_pump = load.as_ref().map(|l| &l.pump);
    report.consistency = Some(check::run(&gateways, stack, load_pump, idle.as_ref()).await?);
    // The gateways go first: stopping the piles while they run would only make them
    // publish a disconnect per pile.
    for gw in gateways {
        gw.stop();
    }
    drop(load);
    if let Some(idle) = idle {
        idle.stop().await;
    }

    if phases.ingest && args.raw_frames == RawFrames::Both {
        // Same load on fresh gateways without idle piles, so only the switch differs.
        let settings: &[bool] = if phases.connect {
            &[true, false]
        } else {
            &[false]
        };
        for &raw_frames in settings {
            let r = ingest_alone(args, stack, &child(raw_frames), raw_frames).await?;
            eprintln!(
                "bench: ingest with raw frames {}: {:.0} events/s",
                if raw_frames { "on" } else { "off" },
                r.events_per_s
            );
            report.ingest.push(r);
        }
    }

    if phases.ingest && args.baseline_seconds > 0 && args.rounds > 0 {
        let r = paired_alone(args, stack, &child(raw_first), raw_first).await?;
        eprintln!(
            "bench: ingest vs plain publish, median of {} rounds: {:.0} %",
            r.rounds.len(),
            r.median_ratio * 100.0
        );
        report.paired = Some(r);
    }

    if args.commands > 0 {
        let opts = commands::CommandsOptions {
            calls: args.commands,
            piles: args.command_piles,
            gn_percent: args.gn_percent,
            concurrency: args.command_concurrency,
            connect_rate: args.connect_rate,
        };
        let gw = GatewayProcess::start(&child(raw_first)).await?;
        let r = commands::run(&gw, &opts).await;
        gw.stop();
        let r = r?;
        eprintln!(
            "bench: {} commands, p99 {:.1} ms ({})",
            r.calls, r.all.p99_ms, r.note
        );
        report.commands = r;
    }

    if phases.ingest && args.baseline_seconds > 0 {
        let modes: &[bool] = match args.raw_frames {
            RawFrames::On => &[true],
            RawFrames::Off => &[false],
            RawFrames::Both => &[true, false],
        };
        for &with_raw in modes {
            let b = baseline::run(
                stack,
                args.baseline_concurrency,
                Duration::from_secs(args.baseline_seconds),
                with_raw,
            )
            .await?;
            eprintln!(
                "bench: plain publish ({}) {:.0} events/s",
                b.mode, b.events_per_s
            );
            report.baseline.push(b);
        }
    }
    Ok(())
}

/// Starts the load piles and waits until they are all connected.
async fn start_load(gw: &GatewayProcess, opts: &LoadOptions) -> anyhow::Result<Option<Load>> {
    let load = Load::start(gw.device, opts)?;
    if let Some(l) = &load {
        anyhow::ensure!(
            l.wait_connected(opts.connect_rate).await,
            "the load piles did not all connect"
        );
        eprintln!(
            "bench: {} load piles at speed {} offer {:.0} frames/s",
            l.piles, l.speed, l.offered
        );
    }
    Ok(load)
}

/// Runs `measure` on a fresh gateway of its own with the load piles connected to it,
/// then stops both: the gateway first (stopping the piles while it runs would only make
/// it publish a disconnect per pile).
async fn on_loaded_gateway<T>(
    child: &ChildOptions,
    load: &LoadOptions,
    measure: impl AsyncFnOnce(&GatewayProcess, &Load) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let gw = GatewayProcess::start(child).await?;
    let load = start_load(&gw, load)
        .await?
        .context("the ingest phase needs load piles")?;
    let r = measure(&gw, &load).await;
    gw.stop();
    drop(load);
    r
}

/// One ingest measurement on a gateway of its own.
async fn ingest_alone(
    args: &GatewayArgs,
    stack: &Stack,
    child: &ChildOptions,
    raw_frames: bool,
) -> anyhow::Result<ingest::IngestResult> {
    let info = RunInfo {
        label: "raw-frames comparison".into(),
        raw_frames,
        idle_piles: 0,
    };
    on_loaded_gateway(child, &args.load_options(), async |gw, load| {
        ingest::measure(
            std::slice::from_ref(gw),
            stack,
            load,
            None,
            args.window(),
            info,
        )
        .await
    })
    .await
}

/// Alternating ingest and plain-publish windows on a gateway of its own.
async fn paired_alone(
    args: &GatewayArgs,
    stack: &Stack,
    child: &ChildOptions,
    raw_frames: bool,
) -> anyhow::Result<paired::PairedResult> {
    let opts = paired::PairedOptions {
        rounds: args.rounds,
        seconds: Duration::from_secs(args.baseline_seconds),
        warmup: Duration::from_secs(args.warmup),
        concurrency: args.baseline_concurrency,
        raw_frames,
    };
    on_loaded_gateway(child, &args.ratio_load_options(), async |gw, load| {
        paired::run(gw, stack, load, opts).await
    })
    .await
}
