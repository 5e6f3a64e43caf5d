//! Idle piles in `pylon sim` child processes. One process may hold only as many sockets
//! as its RLIMIT_NOFILE allows (20,000 on the project's machine, where the hard limit
//! cannot be raised), so a fleet larger than that is spread over several processes;
//! their one-line summaries (`… connected N … frames out M …`) are read as they come.

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use tokio::io::AsyncBufReadExt as _;

/// One `pylon sim` process's share of the idle fleet.
#[derive(Clone, Debug)]
pub struct SimSpec {
    pub target: SocketAddr,
    pub dny: u32,
    pub gn: u32,
    /// First pile index; shares never overlap, so every pile has its own id.
    pub first_index: u32,
    pub sources: Vec<IpAddr>,
    pub connect_rate: u32,
    pub socket_buffer: Option<u32>,
}

/// A running `pylon sim`; killed when dropped.
pub struct SimProcess {
    child: tokio::process::Child,
    pub pid: u32,
    connected: Arc<AtomicU64>,
    frames_out: Arc<AtomicU64>,
}

impl SimProcess {
    pub fn start(spec: &SimSpec) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the pylon binary")?;
        let sources: Vec<String> = spec.sources.iter().map(IpAddr::to_string).collect();
        let mut cmd = tokio::process::Command::new(exe);
        cmd.args(["sim", "--profile", "bench", "--summary-every", "1"])
            .args(["--dny", &spec.dny.to_string(), "--gn", &spec.gn.to_string()])
            .args(["--target", &spec.target.to_string()])
            .args(["--first-index", &spec.first_index.to_string()])
            .args(["--connect-rate", &spec.connect_rate.to_string()])
            .args(["--source", &sources.join(",")])
            .env("PYLON_TELEMETRY__LOG_FILTER", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(b) = spec.socket_buffer {
            cmd.args(["--socket-buffer", &b.to_string()]);
        }
        let mut child = cmd.spawn().context("starting `pylon sim`")?;
        let pid = child.id().context("pylon sim exited at once")?;
        let stdout = child.stdout.take().context("pylon sim has no stdout")?;
        let (connected, frames_out) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (c, f) = (connected.clone(), frames_out.clone());
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(n) = after(&line, "connected") {
                    c.store(n, Ordering::Relaxed);
                }
                if let Some(n) = after(&line, "out") {
                    f.store(n, Ordering::Relaxed);
                }
            }
        });
        Ok(Self {
            child,
            pid,
            connected,
            frames_out,
        })
    }

    /// Piles connected at the last summary (one a second).
    pub fn connected(&self) -> u64 {
        self.connected.load(Ordering::Relaxed)
    }

    /// Frames written at the last summary.
    pub fn frames_out(&self) -> u64 {
        self.frames_out.load(Ordering::Relaxed)
    }

    /// Freezes the process (SIGSTOP): its sockets stay open and nothing more is sent,
    /// so the gateway's counts can settle.
    pub async fn freeze(&self) -> anyhow::Result<()> {
        let status = tokio::process::Command::new("kill")
            .args(["-STOP", &self.pid.to_string()])
            .status()
            .await?;
        anyhow::ensure!(status.success(), "kill -STOP {} failed", self.pid);
        Ok(())
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The number after `word` in a summary line.
fn after(line: &str, word: &str) -> Option<u64> {
    let mut it = line.split_whitespace();
    while let Some(w) = it.next() {
        if w == word {
            return it.next()?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_line() {
        let line = "sim 0h05m | piles 110 connected 108 registered 110 charging 12 | frames out 2400 in 2380 | commands 40";
        assert_eq!(after(line, "connected"), Some(108));
        assert_eq!(after(line, "out"), Some(2400));
        assert_eq!(after("pylon sim: 3 DNY piles", "connected"), None);
    }
}
