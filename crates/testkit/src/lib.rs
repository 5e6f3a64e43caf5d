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

/// Ports [`free_port`] hands out: below Linux's ephemeral range (32768–60999), which
/// the kernel draws from for every `bind(…:0)` and outgoing connection.
const TEST_PORTS: std::ops::Range<u32> = 20_000..32_000;

/// A free TCP port on 127.0.0.1 for a server a test starts.
///
/// Not one the kernel picked: a port bound at `…:0` and released goes back to the
/// ephemeral pool and can be handed straight to the next listener the same test binds
/// at `…:0` (seen: a gateway's device port given to the app's own HTTP listener, so the
/// gateway could not bind it). Ports come from [`TEST_PORTS`] instead, from a random
/// start per process and never twice in one process; each is checked by binding it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: std::sync::OnceLock<AtomicU32> = std::sync::OnceLock::new();
    let span = TEST_PORTS.end - TEST_PORTS.start;
    let next = NEXT.get_or_init(|| AtomicU32::new(uuid::Uuid::new_v4().as_u128() as u32 % span));
    for _ in 0..span {
        let port = TEST_PORTS.start + next.fetch_add(1, Ordering::Relaxed) % span;
        let port = u16::try_from(port).expect("test ports fit in u16");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {TEST_PORTS:?}");
}
