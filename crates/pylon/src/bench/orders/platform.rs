//! The platform under test: one `pylon run gateway identity charging billing payment`
//! process on a scratch database, in a private NATS namespace, on free loopback ports.
//! Its CPU is then its own (read from `/proc/<pid>`), apart from the simulated piles and
//! drivers, which run in the benchmark's process.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

/// The services an order touches; notification and analytics are not on its path.
pub const SERVICES: [&str; 5] = ["gateway", "identity", "charging", "billing", "payment"];

pub struct Platform {
    child: Option<Child>,
    pub pid: u32,
    pub http: SocketAddr,
    pub device: SocketAddr,
    log: PathBuf,
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

impl Platform {
    /// Starts the process (it migrates the scratch database itself) and waits until it
    /// is ready.
    pub async fn start(
        config_path: Option<&PathBuf>,
        config: &runtime::Config,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the pylon binary")?;
        let (http, grpc, device) = (free_port()?, free_port()?, free_port()?);
        let grpc_url = format!("http://{grpc}");
        let log =
            std::env::temp_dir().join(format!("pylon-bench-orders-{}.log", config.nats.namespace));
        let stderr = std::fs::File::create(&log)
            .with_context(|| format!("creating the platform log {}", log.display()))?;
        let mut cmd = Command::new(exe);
        if let Some(path) = config_path {
            cmd.arg("--config").arg(path);
        }
        cmd.arg("run")
            .args(SERVICES)
            .env("PYLON_DATABASE__URL", database_url)
            .env("PYLON_DATABASE__MIGRATE_ON_START", "true")
            .env("PYLON_NATS__URL", &config.nats.url)
            .env("PYLON_NATS__NAMESPACE", &config.nats.namespace)
            .env("PYLON_HTTP__LISTEN", http.to_string())
            .env("PYLON_GRPC__LISTEN", grpc.to_string())
            .env("PYLON_GATEWAY__DEVICE_LISTEN", device.to_string())
            .env("PYLON_CHARGING__GATEWAY_GRPC_URL", &grpc_url)
            .env("PYLON_CHARGING__PAYMENT_GRPC_URL", &grpc_url)
            .env("PYLON_CHARGING__BILLING_GRPC_URL", &grpc_url)
            // Drivers top up with the sandbox provider; settle at once.
            .env("PYLON_PAYMENT__SANDBOX__ENABLED", "true")
            .env("PYLON_PAYMENT__SANDBOX__SETTLE_AFTER_MS", "50")
            // Every driver signs up from 127.0.0.1: the per-IP limit would throttle the set-up.
            .env("PYLON_IDENTITY__LOGIN_RATE_PER_MINUTE", "10000")
            // Logging per request would be part of the measurement otherwise.
            .env("PYLON_TELEMETRY__LOG_FILTER", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let child = cmd.spawn().context("starting `pylon run`")?;
        let mut p = Self {
            pid: child.id(),
            child: Some(child),
            http,
            device,
            log,
        };
        p.wait_ready().await?;
        Ok(p)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.http)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        let url = format!("{}/readyz", self.base());
        while tokio::time::Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!(
                    "the platform exited ({status}) before it was ready: {}",
                    self.log_tail()
                );
            }
            if let Ok(r) = reqwest::get(&url).await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!(
            "the platform was not ready within 120 s: {}",
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

impl Drop for Platform {
    fn drop(&mut self) {
        self.kill();
    }
}
