//! Who used the cores during the load window: the platform process, the NATS server,
//! PostgreSQL (all its backends), this process (simulated piles and drivers) and
//! everything else on the machine. Read from `/proc` (Linux), in cores (CPU seconds per
//! wall second).

use std::time::Instant;

use serde::Serialize;

/// USER_HZ of `/proc/<pid>/stat` and `/proc/stat`: 100 on every Linux Pylon targets.
const USER_HZ: f64 = 100.0;

fn process_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): 14 utime, 15 stime.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / USER_HZ)
}

fn named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

/// (busy, total) CPU seconds of all cores.
fn machine() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some(((total - idle) as f64 / USER_HZ, total as f64 / USER_HZ))
}

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
        let sum = |pids: Vec<u32>| pids.into_iter().filter_map(process_seconds).sum::<f64>();
        let (busy, total) = machine().unwrap_or((0.0, 0.0));
        Self {
            at: Instant::now(),
            platform: process_seconds(platform).unwrap_or(0.0),
            nats: sum(named("nats-server")),
            postgres: sum(named("postgres")),
            bench: process_seconds(std::process::id()).unwrap_or(0.0),
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

/// The 1, 5 and 15 minute load averages, if `/proc/loadavg` can be read.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    Some([it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?])
}
