//! Phase `commands` (`--commands N`; issue 4: commands p99 < 100 ms round trip,
//! excluding the protocol's pacing): N `DeviceControl` calls through the gateway's gRPC
//! to simulated piles connected to it, timed from the call to its result.
//!
//! The mix alternates `QueryPorts` and `GetParameters` (DNY: 0x81 answered by the
//! pile's heartbeat, 0x90 `run11`; GN sockets: 0x0015/0x1D → 0x1C, BKV 0x1012
//! `socket`). Pacing is kept out of the numbers by never sending a device its next
//! command sooner than [`DEVICE_GAP`] after its previous one ended: the executor spaces
//! DNY commands to one pile 0.5 s apart, and a call that had to wait for that would
//! measure the rule, not the gateway. Calls are spread over `--command-piles` devices
//! (the rate is then bounded by piles / 0.6 s) and `--command-concurrency` callers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use proto::pylon::gateway::v1::device_control_client::DeviceControlClient;
use proto::pylon::gateway::v1::{
    CommandOutcome, CommandResult, GetParametersRequest, QueryPortsRequest,
};
use serde::Serialize;
use sim::{Fleet, FleetConfig, NetConfig, Profile, Protocol};
use tonic::transport::Channel;

use super::child::GatewayProcess;

/// Ids of the command piles start here (idle and load piles below, probes from
/// 9,000,000; the simulator's DNY ids end at index 9,011,000).
pub const FIRST_INDEX: u32 = 9_010_000;
/// At most this many command piles (the id range above).
pub const MAX_PILES: u32 = 1_000;
/// The least time between the end of one command to a device and the start of the next
/// (DNY pacing is 0.5 s between sends).
pub const DEVICE_GAP: Duration = Duration::from_millis(600);

#[derive(Clone, Debug)]
pub struct CommandsOptions {
    pub calls: u32,
    /// Devices commanded: DNY piles and GN gateways (one socket each).
    pub piles: u32,
    pub gn_percent: u8,
    pub concurrency: usize,
    pub connect_rate: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Percentiles {
    pub calls: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CommandsResult {
    pub measured: bool,
    pub note: String,
    pub dny_piles: u32,
    pub gn_gateways: u32,
    pub concurrency: usize,
    pub calls: u64,
    /// Outcome name → count (anything but `OK` is a failed call).
    pub outcomes: BTreeMap<String, u64>,
    pub seconds: f64,
    pub calls_per_s: f64,
    /// Every call, then per protocol and command.
    pub all: Percentiles,
    pub by_kind: BTreeMap<String, Percentiles>,
}

/// What the report says when `--commands` was not given.
pub fn not_measured() -> CommandsResult {
    CommandsResult {
        measured: false,
        note: "not measured (run with --commands N)".into(),
        dny_piles: 0,
        gn_gateways: 0,
        concurrency: 0,
        calls: 0,
        outcomes: BTreeMap::new(),
        seconds: 0.0,
        calls_per_s: 0.0,
        all: Percentiles::default(),
        by_kind: BTreeMap::new(),
    }
}

/// A commanded device and when it may be commanded again.
struct Target {
    device: String,
    protocol: Protocol,
    ready_at: Instant,
    /// Alternates the two commands.
    n: u64,
}

/// Connects the command piles to `gw`, sends the calls, and stops the piles.
pub async fn run(gw: &GatewayProcess, opts: &CommandsOptions) -> anyhow::Result<CommandsResult> {
    let gn = opts.piles * u32::from(opts.gn_percent) / 100;
    let dny = opts.piles - gn;
    let mut cfg = FleetConfig::new(dny, gn, NetConfig::new(gw.device));
    cfg.profile = Profile::bench();
    cfg.first_index = FIRST_INDEX;
    cfg.connect_rate = opts.connect_rate;
    let fleet = Fleet::start(cfg)?;
    let result = measure(gw, &fleet, opts, dny, gn).await;
    fleet.shutdown(Duration::from_secs(5)).await;
    result
}

async fn measure(
    gw: &GatewayProcess,
    fleet: &Fleet,
    opts: &CommandsOptions,
    dny: u32,
    gn: u32,
) -> anyhow::Result<CommandsResult> {
    // Every device identified (its session recorded) before the first call.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let held = gw.metrics().await.map(|m| m.connections).unwrap_or(0);
        if held >= u64::from(opts.piles) {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the command piles did not connect ({held} of {})",
            opts.piles
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let now = Instant::now();
    let targets: VecDeque<Target> = fleet
        .piles()
        .iter()
        .filter_map(|p| {
            let device = match p.protocol() {
                Protocol::Dny => p.id().to_owned(),
                Protocol::Gn => p.ports().first()?.device.clone(),
            };
            Some(Target {
                device,
                protocol: p.protocol(),
                ready_at: now,
                n: 0,
            })
        })
        .collect();
    let targets = Arc::new(Mutex::new(targets));
    let left = Arc::new(std::sync::atomic::AtomicU64::new(u64::from(opts.calls)));
    let client = DeviceControlClient::connect(format!("http://{}", gw.grpc))
        .await
        .context("connecting to the gateway's gRPC")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..opts.concurrency.max(1) {
        let (targets, left, client) = (targets.clone(), left.clone(), client.clone());
        tasks.spawn(caller(targets, left, client));
    }
    let mut samples: Vec<(String, Duration, CommandOutcome)> = Vec::new();
    while let Some(r) = tasks.join_next().await {
        samples.extend(r??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut outcomes = BTreeMap::new();
    let mut by_kind: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut all = Vec::new();
    for (kind, took, outcome) in samples {
        *outcomes
            .entry(
                outcome
                    .as_str_name()
                    .trim_start_matches("COMMAND_OUTCOME_")
                    .to_owned(),
            )
            .or_insert(0) += 1;
        by_kind.entry(kind).or_default().push(took);
        all.push(took);
    }
    let calls = all.len() as u64;
    let ok = outcomes.get("OK").copied().unwrap_or(0);
    Ok(CommandsResult {
        measured: true,
        note: format!("{ok} of {calls} OK"),
        dny_piles: dny,
        gn_gateways: gn,
        concurrency: opts.concurrency,
        calls,
        outcomes,
        seconds,
        calls_per_s: calls as f64 / seconds.max(1e-9),
        all: percentiles(all),
        by_kind: by_kind
            .into_iter()
            .map(|(k, v)| (k, percentiles(v)))
            .collect(),
    })
}

/// One caller: takes the device that has waited longest, waits out its gap, calls.
async fn caller(
    targets: Arc<Mutex<VecDeque<Target>>>,
    left: Arc<std::sync::atomic::AtomicU64>,
    mut client: DeviceControlClient<Channel>,
) -> anyhow::Result<Vec<(String, Duration, CommandOutcome)>> {
    use std::sync::atomic::Ordering;
    let mut out = Vec::new();
    while left
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        let Some(mut t) = targets.lock().ok().and_then(|mut q| q.pop_front()) else {
            anyhow::bail!("fewer command piles than callers");
        };
        tokio::time::sleep_until(t.ready_at.into()).await;
        let query = t.n.is_multiple_of(2);
        t.n += 1;
        let kind = format!(
            "{} {}",
            match t.protocol {
                Protocol::Dny => "dny",
                Protocol::Gn => "gn",
            },
            if query { "QueryPorts" } else { "GetParameters" }
        );
        let begun = Instant::now();
        let r: Result<CommandResult, tonic::Status> = if query {
            client
                .query_ports(QueryPortsRequest {
                    device_id: t.device.clone(),
                })
                .await
                .map(tonic::Response::into_inner)
        } else {
            client
                .get_parameters(GetParametersRequest {
                    device_id: t.device.clone(),
                    group: match t.protocol {
                        Protocol::Dny => "run11",
                        Protocol::Gn => "socket",
                    }
                    .into(),
                })
                .await
                .map(tonic::Response::into_inner)
        };
        let took = begun.elapsed();
        let outcome = match r {
            Ok(res) => CommandOutcome::try_from(res.outcome).unwrap_or(CommandOutcome::Unspecified),
            Err(s) => anyhow::bail!("{kind} to {}: {s}", t.device),
        };
        out.push((kind, took, outcome));
        t.ready_at = Instant::now() + DEVICE_GAP;
        if let Ok(mut q) = targets.lock() {
            q.push_back(t);
        }
    }
    Ok(out)
}

fn percentiles(mut v: Vec<Duration>) -> Percentiles {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Percentiles {
        calls: v.len() as u64,
        p50_ms: ms(crate::bench::stats::pct(&v, 50.0)),
        p90_ms: ms(crate::bench::stats::pct(&v, 90.0)),
        p99_ms: ms(crate::bench::stats::pct(&v, 99.0)),
        max_ms: ms(v.last().copied().unwrap_or_default()),
    }
}
