//! The platform under test: one `pylon run gateway identity charging billing payment`
//! process on a scratch database, in a private NATS namespace, on free loopback ports.
//! Its CPU is then its own (read from `/proc/<pid>`), apart from the simulated piles and
//! drivers, which run in the benchmark's process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use crate::bench::process::{Spawned, free_port};

/// The services an order touches; notification and analytics are not on its path.
pub const SERVICES: [&str; 5] = ["gateway", "identity", "charging", "billing", "payment"];

pub struct Platform {
    process: Spawned,
    pub pid: u32,
    pub http: SocketAddr,
    pub device: SocketAddr,
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
            .env("PYLON_TELEMETRY__LOG_FILTER", "warn");
        let mut process = Spawned::start(cmd, log, "the platform (`pylon run`)")?;
        process
            .wait_ready(&reqwest::Client::new(), http, Duration::from_secs(120))
            .await?;
        Ok(Self {
            pid: process.pid,
            process,
            http,
            device,
        })
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.http)
    }

    /// The end of the process's log, for error messages.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Kills the process and removes its log.
    pub fn stop(self) {
        self.process.stop();
    }
}
