//! What integration tests share: the real servers of the local stack, each test isolated
//! in its own database and NATS namespace so tests run in parallel.
//!
//! Addresses come from the same variables the app reads (`PYLON_DATABASE__URL`,
//! `PYLON_NATS__URL`, `PYLON_CLICKHOUSE__URL`), defaulting to the local stack's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod nats_server;
mod postgres;

pub use nats_server::PrivateNats;
pub use postgres::TestDatabase;

pub fn nats_url() -> String {
    std::env::var("PYLON_NATS__URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

pub fn database_url() -> String {
    std::env::var("PYLON_DATABASE__URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/pylon".into())
}

pub fn clickhouse_url() -> String {
    std::env::var("PYLON_CLICKHOUSE__URL").unwrap_or_else(|_| "http://127.0.0.1:8123".into())
}

/// A short unique token for names: `t` + 12 hex digits.
pub fn unique() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A bus in a fresh namespace on the shared NATS: streams, consumers and subjects of
/// this test are invisible to every other. Its streams are deleted when it is dropped.
pub async fn bus() -> TestBus {
    let ns = unique();
    let client = async_nats::connect(nats_url())
        .await
        .expect("connect to NATS");
    TestBus {
        bus: bus::Bus::new(client, bus::Namespace::new(&ns).unwrap()),
        prefix: format!("{}_", ns.to_ascii_uppercase()),
        token: ns,
    }
}

/// A [`bus::Bus`] whose namespace's streams go away with it.
pub struct TestBus {
    pub bus: bus::Bus,
    prefix: String,
    token: String,
}

impl TestBus {
    /// The namespace token, as `nats.namespace` takes it.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl std::ops::Deref for TestBus {
    type Target = bus::Bus;
    fn deref(&self) -> &bus::Bus {
        &self.bus
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        // Drop cannot await: delete on a helper thread with its own runtime.
        let prefix = self.prefix.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use futures::StreamExt;
                let Ok(client) = async_nats::connect(nats_url()).await else {
                    return;
                };
                let js = async_nats::jetstream::new(client);
                let names: Vec<String> = js
                    .stream_names()
                    .filter_map(|n| async move { n.ok() })
                    .collect()
                    .await;
                for n in names
                    .iter()
                    .filter(|n| n.starts_with(&prefix) || n.starts_with(&format!("KV_{prefix}")))
                {
                    let _ = js.delete_stream(n).await;
                }
            });
        })
        .join();
    }
}

/// Ports [`free_port`] hands out (below the kernel's ephemeral range; the benchmarks
/// use 10000–19999).
static TEST_PORTS: runtime::net::PortRange = runtime::net::PortRange::new(20_000..32_000);

/// A free TCP port on 127.0.0.1 for a server a test starts, never the same twice in one
/// test process (see `runtime::net::PortRange` for why not one bound at `…:0`).
pub fn free_port() -> u16 {
    TEST_PORTS
        .free()
        .expect("a free port on 127.0.0.1 in 20000..32000")
}
