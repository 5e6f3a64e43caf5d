//! What the kernel says about the processes under test (every `pylon bench`): resident
//! memory, CPU time, socket memory, file-descriptor limits, load. Read from `/proc`, so the gateway is measured
//! the way an operator's `top` sees it, from outside its own allocator.

use std::io;
use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` and `/proc/stat` (USER_HZ). It is 100
/// on every Linux architecture Pylon targets; reading `sysconf` would need `unsafe`.
const USER_HZ: f64 = 100.0;

fn read(path: &str) -> io::Result<String> {
    std::fs::read_to_string(path)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// A `kB` line of `/proc/<pid>/status` (e.g. `VmRSS`), in bytes.
fn status_kb(pid: u32, key: &str) -> io::Result<u64> {
    let status = read(&format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| invalid(key))
}

/// Resident memory now.
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    status_kb(pid, "VmRSS")
}

/// The most resident memory the process ever had.
pub fn peak_rss_bytes(pid: u32) -> io::Result<u64> {
    status_kb(pid, "VmHWM")
}

/// User + system CPU time of all the process's threads, in seconds.
pub fn cpu_seconds(pid: u32) -> io::Result<f64> {
    let stat = read(&format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count fields
    // from the last ')'. After it come field 3 (state) … 14 (utime), 15 (stime).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| invalid("stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| invalid("stat field"))
    };
    Ok((tick(11)? + tick(12)?) as f64 / USER_HZ)
}

/// Processes whose command name is `name` (e.g. the local `nats-server`), so their CPU
/// time can be read too. Unreadable entries (processes that just ended) are skipped.
pub fn pids_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| read(&format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name))
        .collect()
}

/// Busy and total CPU time of the whole machine (all cores), in seconds.
pub fn machine_cpu() -> io::Result<(f64, f64)> {
    let stat = read("/proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .ok_or_else(|| invalid("/proc/stat"))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    // idle + iowait are the time nobody could use the core for work.
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Ok(((total - idle) as f64 / USER_HZ, total as f64 / USER_HZ))
}

/// Kernel memory held by all TCP sockets (both ends of loopback connections), bytes.
pub fn tcp_kernel_bytes() -> io::Result<u64> {
    let sockstat = read("/proc/net/sockstat")?;
    let line = sockstat
        .lines()
        .find(|l| l.starts_with("TCP:"))
        .ok_or_else(|| invalid("sockstat"))?;
    let mut it = line.split_whitespace();
    while let Some(k) = it.next() {
        if k == "mem" {
            // In pages.
            return it
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .map(|pages| pages * 4096)
                .ok_or_else(|| invalid("sockstat mem"));
        }
    }
    Err(invalid("sockstat mem"))
}

/// Online cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Total memory of the machine, bytes.
pub fn mem_total_bytes() -> u64 {
    read("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU time of the gateway, the NATS server, this process and the machine, read at two
/// moments, so a phase can say who used the cores.
#[derive(Clone, Debug)]
pub struct CpuSample {
    at: Instant,
    gateway: f64,
    nats: f64,
    bench: f64,
    machine_busy: f64,
    machine_total: f64,
}

/// Cores used (CPU seconds per wall second) over a window; `machine` is the busy
/// fraction of all cores.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct CpuUse {
    pub gateway_cores: f64,
    pub nats_server_cores: f64,
    /// This process (load piles, probes, publish loops) and its `pylon sim` children.
    pub bench_cores: f64,
    pub machine_busy_pct: f64,
    /// Cores busy with anything else (other builds on a shared machine, PostgreSQL…).
    pub other_cores: f64,
}

/// The processes a phase involves besides this one and the NATS server.
#[derive(Clone, Debug, Default)]
pub struct Pids {
    /// Gateways under test.
    pub gateways: Vec<u32>,
    /// `pylon sim` processes holding idle piles.
    pub sims: Vec<u32>,
}

impl CpuSample {
    /// Reads the gateway processes, the simulator processes (this one and `sims`), the
    /// NATS server and the machine.
    pub fn take(pids: &Pids) -> Self {
        let (gateways, sims) = (&pids.gateways, &pids.sims);
        let sum = |pids: &mut dyn Iterator<Item = u32>| -> f64 {
            pids.filter_map(|p| cpu_seconds(p).ok()).sum()
        };
        let nats = sum(&mut pids_named("nats-server").into_iter());
        let (machine_busy, machine_total) = machine_cpu().unwrap_or((0.0, 0.0));
        Self {
            at: Instant::now(),
            gateway: sum(&mut gateways.iter().copied()),
            nats,
            bench: sum(&mut sims.iter().copied().chain([std::process::id()])),
            machine_busy,
            machine_total,
        }
    }

    /// What was used between `self` and `later`.
    pub fn until(&self, later: &CpuSample) -> CpuUse {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let total = (later.machine_total - self.machine_total).max(1e-3);
        let busy = (later.machine_busy - self.machine_busy) / wall;
        let gateway_cores = (later.gateway - self.gateway) / wall;
        let nats_server_cores = (later.nats - self.nats) / wall;
        let bench_cores = (later.bench - self.bench) / wall;
        CpuUse {
            gateway_cores,
            nats_server_cores,
            bench_cores,
            machine_busy_pct: 100.0 * (later.machine_busy - self.machine_busy) / total,
            other_cores: (busy - gateway_cores - nats_server_cores - bench_cores).max(0.0),
        }
    }
}

/// Raises this process's open-file limit towards `want` (children inherit it). Root may
/// raise the hard limit up to `/proc/sys/fs/nr_open`; others get at most their hard
/// limit. Returns the soft limit now in force.
pub fn raise_nofile(want: u64) -> io::Result<u64> {
    use rlimit::Resource;
    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE)?;
    if soft >= want {
        return Ok(soft);
    }
    let nr_open = read("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(hard);
    let target = want.min(nr_open.max(hard));
    if target > hard && rlimit::setrlimit(Resource::NOFILE, target, target).is_ok() {
        return Ok(target);
    }
    let target = target.min(hard);
    rlimit::setrlimit(Resource::NOFILE, target, hard)?;
    Ok(target)
}

/// The 1, 5 and 15 minute load averages, if `/proc/loadavg` can be read.
pub fn load_average() -> Option<[f64; 3]> {
    let text = read("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    Some([it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(peak_rss_bytes(me).unwrap() >= rss_bytes(me).unwrap() / 2);
        assert!(cpu_seconds(me).unwrap() >= 0.0);
        assert!(tcp_kernel_bytes().is_ok());
        assert!(cores() >= 1 && mem_total_bytes() > 0);
        let pids = Pids {
            gateways: vec![me],
            sims: Vec::new(),
        };
        let a = CpuSample::take(&pids);
        let b = CpuSample::take(&pids);
        assert!(a.until(&b).machine_busy_pct >= 0.0);
    }
}
