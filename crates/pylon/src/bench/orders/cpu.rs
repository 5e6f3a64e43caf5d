//! Who used the cores during the load window: the platform process, the NATS server,
//! PostgreSQL (all its backends), this process (simulated piles and drivers) and
//! everything else on the machine. Read from `/proc` (Linux), in cores (CPU seconds per
//! wall second).

use std::time::Instant;

use serde::Serialize;

use crate::bench::procfs;

#[derive(Clone, Debug)]
pub struct Sample {
    at: Instant,
    platform: f64,
    nats: f64,
    postgres: f64,
    bench: f64,
    busy: f64,
    total: f64,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CpuUse {
    /// `pylon run gateway identity charging billing payment`.
    pub platform_cores: f64,
    pub nats_server_cores: f64,
    /// Every `postgres` process (backends serving the platform, and the rest).
    pub postgres_cores: f64,
    /// This process: simulated piles and drivers.
    pub bench_cores: f64,
    pub machine_busy_pct: f64,
    /// Busy with anything else (other work on a shared machine).
    pub other_cores: f64,
}

impl Sample {
    pub fn take(platform: u32) -> Self {
        let seconds = |pid: u32| procfs::cpu_seconds(pid).ok();
        let sum = |pids: Vec<u32>| pids.into_iter().filter_map(seconds).sum::<f64>();
        let (busy, total) = procfs::machine_cpu().unwrap_or((0.0, 0.0));
        Self {
            at: Instant::now(),
            platform: seconds(platform).unwrap_or(0.0),
            nats: sum(procfs::pids_named("nats-server")),
            postgres: sum(procfs::pids_named("postgres")),
            bench: seconds(std::process::id()).unwrap_or(0.0),
            busy,
            total,
        }
    }

    pub fn until(&self, later: &Sample) -> CpuUse {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let per = |a: f64, b: f64| ((b - a) / wall).max(0.0);
        let platform_cores = per(self.platform, later.platform);
        let nats_server_cores = per(self.nats, later.nats);
        let postgres_cores = per(self.postgres, later.postgres);
        let bench_cores = per(self.bench, later.bench);
        let busy = per(self.busy, later.busy);
        let total = (later.total - self.total).max(1e-3);
        CpuUse {
            platform_cores,
            nats_server_cores,
            postgres_cores,
            bench_cores,
            machine_busy_pct: 100.0 * (later.busy - self.busy) / total,
            other_cores: (busy - platform_cores - nats_server_cores - postgres_cores - bench_cores)
                .max(0.0),
        }
    }
}
