//! The `pylon` binary as an operator runs it, against the real local stack. Each test
//! gets its own database, ClickHouse database, NATS namespace and ports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_gateway;
mod bench_ledger;
mod bench_orders;
mod commands;
mod decode;
mod run;
mod sim;
mod tracing_export;

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// An isolated environment for one `pylon` process.
pub struct Env {
    pub db: testkit::TestDatabase,
    pub clickhouse_db: String,
    pub namespace: String,
    pub http: u16,
    pub grpc: u16,
    pub device: u16,
}

impl Env {
    pub async fn new() -> Self {
        Self {
            db: testkit::TestDatabase::create().await,
            clickhouse_db: format!("pylon_{}", testkit::unique()),
            namespace: testkit::unique(),
            http: testkit::free_port(),
            grpc: testkit::free_port(),
            device: testkit::free_port(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pylon"));
        c.args(args)
            .env_remove("PYLON_CONFIG")
            .env("PYLON_DATABASE__URL", &self.db.url)
            .env("PYLON_NATS__URL", testkit::nats_url())
            .env("PYLON_NATS__NAMESPACE", &self.namespace)
            .env("PYLON_CLICKHOUSE__URL", testkit::clickhouse_url())
            .env("PYLON_CLICKHOUSE__DATABASE", &self.clickhouse_db)
            .env("PYLON_HTTP__LISTEN", format!("127.0.0.1:{}", self.http))
            .env("PYLON_GRPC__LISTEN", format!("127.0.0.1:{}", self.grpc))
            // Every process of these tests has its own device port: two gateways on the
            // default 7054 would make one of them fail to start.
            .env(
                "PYLON_GATEWAY__DEVICE_LISTEN",
                format!("127.0.0.1:{}", self.device),
            )
            .env("PYLON_TELEMETRY__LOG_FILTER", "warn")
            .stdin(Stdio::null());
        c
    }

    pub fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that prints JSON (`--json`); it must succeed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.output(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "exit {}: {stderr}", out.status);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    pub fn spawn(&self, args: &[&str]) -> Running {
        let child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running { child: Some(child) }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// Polls `/readyz` until it answers 200; returns its `data`.
    pub async fn wait_ready(&self) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while tokio::time::Instant::now() < deadline {
            if let Ok(res) = reqwest::get(format!("{}/readyz", self.base())).await {
                let status = res.status();
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                if status == 200 {
                    return body["data"].clone();
                }
                last = body.to_string();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("never ready; last /readyz: {last}");
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let url = format!(
            "{}/?query=DROP%20DATABASE%20IF%20EXISTS%20{}",
            testkit::clickhouse_url(),
            self.clickhouse_db
        );
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async { reqwest::Client::new().post(url).send().await.ok() });
        })
        .join();
    }
}

/// A running `pylon` process, killed if the test ends without stopping it.
pub struct Running {
    child: Option<Child>,
}

impl From<Child> for Running {
    fn from(child: Child) -> Self {
        Self { child: Some(child) }
    }
}

impl Running {
    /// Sends SIGTERM and waits; returns the exit status and how long it took.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, Duration, String) {
        let child = self.child.take().unwrap();
        let started = std::time::Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status,
            started.elapsed(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
