//! Phase `connect`: idle piles (the `bench` profile: heartbeats every 60 s, GN status
//! clusters every 5 min) connect and stay; the gateways' resident memory before and
//! after gives what one idle connection costs.
//!
//! The piles run in `pylon sim` processes, and when the open-file limit keeps one
//! process from holding them all, on several gateway replicas (`shares`), each process
//! within its limit.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::child::GatewayProcess;
use super::procfs::{self, CpuSample, CpuUse, Pids};
use super::simproc::{SimProcess, SimSpec};

/// The idle fleet.
#[derive(Clone, Debug)]
pub struct IdleOptions {
    /// GN gateways among the piles, percent; the rest are DNY piles.
    pub gn_percent: u8,
    pub sources: Vec<IpAddr>,
    pub connect_rate: u32,
    pub socket_buffer: Option<u32>,
    /// Wait after the last connect (connected events and session writes finish).
    pub settle: Duration,
    /// Then measure idle CPU over this window (a 60 s heartbeat period makes every
    /// pile send once and every connection tick once); memory is read after it.
    pub idle_window: Duration,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnectResult {
    pub piles: u32,
    pub dny: u32,
    pub gn: u32,
    pub sources: usize,
    pub connect_rate: u32,
    /// Gateway processes holding them, and how many piles each.
    pub gateways: usize,
    pub piles_per_gateway: Vec<u32>,
    pub connected_sim: u64,
    pub connected_gateway: u64,
    pub all_connected: bool,
    pub refused_by_gateway: u64,
    pub seconds_to_connect: f64,
    /// Summed over the gateways.
    pub gateway_rss_before_bytes: u64,
    pub gateway_rss_after_bytes: u64,
    pub gateway_peak_rss_bytes: u64,
    /// (RSS after − RSS before) / connections.
    pub gateway_bytes_per_connection: f64,
    /// Kernel TCP memory per connection, both loopback ends together (not in RSS).
    pub kernel_tcp_bytes_per_connection: f64,
    /// The simulators' resident memory per pile.
    pub sim_bytes_per_pile: f64,
    /// CPU while the piles idle (heartbeats, the gateway's per-connection ticks).
    pub idle_cpu: CpuUse,
    pub idle_seconds: f64,
}

/// The idle piles, in their processes.
pub struct Idle {
    pub sims: Vec<SimProcess>,
}

impl Idle {
    pub fn connected(&self) -> u64 {
        self.sims.iter().map(SimProcess::connected).sum()
    }

    pub fn frames_out(&self) -> u64 {
        self.sims.iter().map(SimProcess::frames_out).sum()
    }

    pub fn pids(&self) -> Vec<u32> {
        self.sims.iter().map(|s| s.pid).collect()
    }

    /// Freezes every simulator process (see [`SimProcess::freeze`]).
    pub async fn freeze(&self) -> anyhow::Result<()> {
        for s in &self.sims {
            s.freeze().await?;
        }
        Ok(())
    }

    pub async fn stop(self) {
        for s in self.sims {
            s.stop().await;
        }
    }
}

fn pids(gateways: &[GatewayProcess], sims: Vec<u32>) -> Pids {
    Pids {
        gateways: gateways.iter().map(|g| g.pid).collect(),
        sims,
    }
}

/// Connects `shares[i]` idle piles to `gateways[i]` and waits until they hold them all.
pub async fn run(
    gateways: &[GatewayProcess],
    shares: &[u32],
    opts: &IdleOptions,
) -> anyhow::Result<(Idle, ConnectResult)> {
    // Let the gateways' start-up allocations settle before the baseline reading.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = |f: fn(u32) -> std::io::Result<u64>| -> anyhow::Result<u64> {
        gateways.iter().map(|g| Ok(f(g.pid)?)).sum()
    };
    let rss_before = rss(procfs::rss_bytes)?;
    let kernel_before = procfs::tcp_kernel_bytes().unwrap_or(0);

    let started = Instant::now();
    let mut sims = Vec::new();
    let (mut first_index, mut dny_total, mut gn_total) = (0u32, 0u32, 0u32);
    for (gw, &share) in gateways.iter().zip(shares).filter(|(_, s)| **s > 0) {
        let gn = u32::try_from(u64::from(share) * u64::from(opts.gn_percent) / 100)?;
        let spec = SimSpec {
            target: gw.device,
            dny: share - gn,
            gn,
            first_index,
            sources: opts.sources.clone(),
            // The processes connect side by side: together at the rate asked for.
            connect_rate: opts.connect_rate / u32::try_from(shares.len().max(1))?,
            socket_buffer: opts.socket_buffer,
        };
        sims.push(SimProcess::start(&spec)?);
        first_index += share;
        dny_total += share - gn;
        gn_total += gn;
    }
    let idle = Idle { sims };
    let piles: u32 = shares.iter().sum();
    let want = u64::from(piles);
    let budget =
        Duration::from_secs_f64(f64::from(piles) / f64::from(opts.connect_rate.max(1)) + 60.0);
    let gateway_connections = async || -> u64 {
        let mut n = 0;
        for g in gateways {
            n += g.metrics().await.map(|m| m.connections).unwrap_or(0);
        }
        n
    };
    let mut last_report = Instant::now();
    loop {
        let (sim, gw) = (idle.connected(), gateway_connections().await);
        if (sim >= want && gw >= want) || started.elapsed() > budget {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!("bench: connecting: piles {sim}/{want}, gateways {gw}");
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let seconds_to_connect = started.elapsed().as_secs_f64();
    let sim_rss: u64 = idle
        .sims
        .iter()
        .filter_map(|s| procfs::rss_bytes(s.pid).ok())
        .sum();

    tokio::time::sleep(opts.settle).await;
    let pids = pids(gateways, idle.pids());
    let cpu0 = CpuSample::take(&pids);
    tokio::time::sleep(opts.idle_window).await;
    let idle_cpu = cpu0.until(&CpuSample::take(&pids));
    let rss_after = rss(procfs::rss_bytes)?;
    let kernel_after = procfs::tcp_kernel_bytes().unwrap_or(0);
    let (mut connected_gateway, mut refused) = (0, 0);
    for g in gateways {
        let m = g.metrics().await?;
        connected_gateway += m.connections;
        refused += m.refused;
    }
    let connected_sim = idle.connected();
    let per = |a: u64, b: u64, n: u64| (a.saturating_sub(b)) as f64 / n.max(1) as f64;
    let result = ConnectResult {
        piles,
        dny: dny_total,
        gn: gn_total,
        sources: opts.sources.len(),
        connect_rate: opts.connect_rate,
        gateways: shares.iter().filter(|s| **s > 0).count(),
        piles_per_gateway: shares.to_vec(),
        connected_sim,
        connected_gateway,
        all_connected: connected_sim == want && connected_gateway == want,
        refused_by_gateway: refused,
        seconds_to_connect,
        gateway_rss_before_bytes: rss_before,
        gateway_rss_after_bytes: rss_after,
        gateway_peak_rss_bytes: rss(procfs::peak_rss_bytes)?,
        gateway_bytes_per_connection: per(rss_after, rss_before, connected_gateway),
        kernel_tcp_bytes_per_connection: per(kernel_after, kernel_before, connected_gateway),
        sim_bytes_per_pile: sim_rss as f64 / want.max(1) as f64,
        idle_cpu,
        idle_seconds: opts.idle_window.as_secs_f64(),
    };
    Ok((idle, result))
}
