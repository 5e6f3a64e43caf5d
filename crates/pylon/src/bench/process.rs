//! A `pylon run …` process a benchmark starts: its stderr goes to a log file, it is
//! ready when its `/readyz` says so, and it is killed when dropped (no graceful drain:
//! a drain would only add load the benchmarks do not measure).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

pub struct Spawned {
    child: Option<Child>,
    pub pid: u32,
    log: PathBuf,
    /// What it is, for error messages ("the gateway").
    what: &'static str,
}

/// The ports a benchmark hands its children, apart from the tests' range
/// (`testkit::free_port`, 20000–32000).
static BENCH_PORTS: runtime::net::PortRange = runtime::net::PortRange::new(10_000..20_000);

/// A free port on 127.0.0.1 below the ephemeral range, never the same twice in one run.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let port = BENCH_PORTS
        .free()
        .context("no free port on 127.0.0.1 in 10000..20000")?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

impl Spawned {
    /// Starts `cmd` (its arguments and environment already set) with stderr in `log`.
    pub fn start(mut cmd: Command, log: PathBuf, what: &'static str) -> anyhow::Result<Self> {
        let stderr = std::fs::File::create(&log)
            .with_context(|| format!("creating the log {}", log.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        Ok(Self {
            pid: child.id(),
            child: Some(child),
            log,
            what,
        })
    }

    /// Waits until `GET http://<http>/readyz` succeeds; fails at once if the process
    /// exits, or after `within`.
    pub async fn wait_ready(
        &mut self,
        client: &reqwest::Client,
        http: SocketAddr,
        within: Duration,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        let url = format!("http://{http}/readyz");
        while tokio::time::Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!(
                    "{} exited ({status}) before it was ready: {}",
                    self.what,
                    self.log_tail()
                );
            }
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!(
            "{} was not ready within {within:?}: {}",
            self.what,
            self.log_tail()
        )
    }

    /// The end of the process's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        format!(
            "{} (log {})",
            text.get(start..).unwrap_or_default().trim(),
            self.log.display()
        )
    }

    /// Kills the process and removes its log.
    pub fn stop(mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}
