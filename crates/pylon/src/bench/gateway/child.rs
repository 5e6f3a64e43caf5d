//! The gateway under test, as a separate `pylon run gateway` process: its memory and CPU
//! are then its own (read from `/proc/<pid>`), not mixed with the simulator's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use crate::bench::process::{Spawned, free_port};

/// How the benchmark starts the gateway.
#[derive(Clone, Debug)]
pub struct ChildOptions {
    /// The configuration file the benchmark was started with, if any.
    pub config_path: Option<PathBuf>,
    pub nats_url: String,
    /// The benchmark's private namespace.
    pub namespace: String,
    pub raw_frames: bool,
}

/// A running gateway process; killed when dropped.
pub struct GatewayProcess {
    process: Spawned,
    pub pid: u32,
    pub device: SocketAddr,
    /// `DeviceControl` and the rest of the gateway's gRPC.
    pub grpc: SocketAddr,
    http: SocketAddr,
    client: reqwest::Client,
}

/// What the gateway's `/metrics` says.
#[derive(Clone, Copy, Debug, Default)]
pub struct GatewayMetrics {
    /// `pylon_gateway_connections`: connections held now.
    pub connections: u64,
    /// Sum of `pylon_gateway_events_total`: events handed to JetStream (connected,
    /// heartbeat, …), including `disconnected` of GN sockets, but not the
    /// `disconnected` of a connection, which is published outside that counter.
    pub events: u64,
    /// The `kind="disconnected"` part of `events`.
    pub events_disconnected: u64,
    /// `pylon_bus_publish_failures_total`.
    pub publish_failures: u64,
    /// `pylon_gateway_refused_total` (connection limits).
    pub refused: u64,
}

impl GatewayProcess {
    /// Starts `pylon run gateway` on free loopback ports and waits until it is ready.
    pub async fn start(opts: &ChildOptions) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the pylon binary")?;
        let (device, http, grpc) = (free_port()?, free_port()?, free_port()?);
        let log = std::env::temp_dir().join(format!("pylon-bench-{}.log", opts.namespace));
        let mut cmd = Command::new(exe);
        if let Some(path) = &opts.config_path {
            cmd.arg("--config").arg(path);
        }
        cmd.args(["run", "gateway"])
            .env("PYLON_NATS__URL", &opts.nats_url)
            .env("PYLON_NATS__NAMESPACE", &opts.namespace)
            .env("PYLON_HTTP__LISTEN", http.to_string())
            .env("PYLON_GRPC__LISTEN", grpc.to_string())
            .env("PYLON_GATEWAY__DEVICE_LISTEN", device.to_string())
            // The benchmark decides how many piles and source addresses there are; the
            // gateway's own limits must not be what it measures.
            .env("PYLON_GATEWAY__MAX_CONNECTIONS", "1000000")
            .env("PYLON_GATEWAY__MAX_CONNECTIONS_PER_IP", "1000000")
            .env("PYLON_GATEWAY__RAW_FRAMES", opts.raw_frames.to_string())
            // Logging per connection would be part of the measurement otherwise.
            .env("PYLON_TELEMETRY__LOG_FILTER", "warn");
        let mut process = Spawned::start(cmd, log, "the gateway (`pylon run gateway`)")?;
        let client = reqwest::Client::new();
        process
            .wait_ready(&client, http, Duration::from_secs(60))
            .await?;
        Ok(Self {
            pid: process.pid,
            process,
            device,
            grpc,
            http,
            client,
        })
    }

    /// Reads `/metrics`.
    pub async fn metrics(&self) -> anyhow::Result<GatewayMetrics> {
        let text = self
            .client
            .get(format!("http://{}/metrics", self.http))
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .text()
            .await?;
        Ok(parse_metrics(&text))
    }

    /// Kills the process and removes its log.
    pub fn stop(self) {
        self.process.stop();
    }
}

/// Sums the samples of each metric we read (a counter with labels has one line per
/// label set).
fn parse_metrics(text: &str) -> GatewayMetrics {
    let mut m = GatewayMetrics::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name_labels, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let name = name_labels.split('{').next().unwrap_or_default();
        let Ok(v) = value.trim().parse::<f64>() else {
            continue;
        };
        let v = v.max(0.0) as u64;
        match name {
            "pylon_gateway_connections" => m.connections += v,
            "pylon_gateway_events_total" => {
                m.events += v;
                if name_labels.contains("kind=\"disconnected\"") {
                    m.events_disconnected += v;
                }
            }
            "pylon_bus_publish_failures_total" => m.publish_failures += v,
            "pylon_gateway_refused_total" => m.refused += v,
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_summed_over_labels() {
        let m = parse_metrics(
            "# TYPE pylon_gateway_connections gauge\n\
             pylon_gateway_connections 42\n\
             pylon_gateway_events_total{kind=\"connected\"} 42\n\
             pylon_gateway_events_total{kind=\"heartbeat\"} 100\n\
             pylon_gateway_events_total{kind=\"disconnected\"} 2\n\
             pylon_gateway_connections_total{protocol=\"dny\"} 7\n",
        );
        assert_eq!((m.connections, m.events, m.refused), (42, 144, 0));
        assert_eq!(m.events_disconnected, 2);
    }
}
