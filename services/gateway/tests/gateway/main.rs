//! The gateway against real NATS JetStream: piles speak to it over TCP, its events and
//! answers are checked. Each test runs its own gateway in its own NATS namespace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod control;
mod dny;
mod gn;
mod gn_card;
mod liveness;
mod policy;
mod raw;
mod sim;
mod started;
mod upgrade;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use prost::Message as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A running gateway and a tap on its device events.
pub struct Harness {
    pub device_addr: std::net::SocketAddr,
    pub grpc_addr: std::net::SocketAddr,
    /// The NATS namespace token, for a second replica in the same namespace.
    pub token: String,
    pub ns: bus::Namespace,
    pub nats: async_nats::Client,
    events: async_nats::Subscriber,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _bus: testkit::TestBus,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut runtime::Config)) -> Self {
        let test_bus = testkit::bus().await;
        let ns = test_bus.namespace.clone();
        let device_port = testkit::free_port();
        let mut config = runtime::Config::default();
        config.nats.url = testkit::nats_url();
        config.nats.namespace = test_bus.token().to_owned();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.grpc.listen = "127.0.0.1:0".parse().unwrap();
        config.gateway.device_listen = format!("127.0.0.1:{device_port}").parse().unwrap();
        config.gateway.decision_timeout_ms = 300;
        tweak(&mut config);
        let nats = async_nats::connect(testkit::nats_url()).await.unwrap();
        let events = nats.subscribe(ns.subject(&["device", ">"])).await.unwrap();
        let replica = Replica::launch(config).await;
        Self {
            device_addr: replica.device_addr,
            grpc_addr: replica.grpc_addr,
            token: test_bus.token().to_owned(),
            ns,
            nats,
            events,
            stop: replica.stop,
            task: replica.task,
            _bus: test_bus,
        }
    }

    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.device_addr).await.unwrap()
    }

    /// The next device event of `kind` (subject's last token), skipping others.
    pub async fn next_event(&mut self, kind: &str) -> (String, async_nats::Message) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} event within 10 s"))
                .unwrap();
            let subject = msg.subject.to_string();
            if subject.ends_with(&format!(".{kind}")) {
                return (subject, msg);
            }
        }
    }

    pub async fn next<E: prost::Message + Default>(&mut self, kind: &str) -> (String, E) {
        let (subject, msg) = self.next_event(kind).await;
        (subject, E::decode(msg.payload.as_ref()).unwrap())
    }

    /// Asserts no event of `kind` arrives within `ms`.
    pub async fn none(&mut self, kind: &str, ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, self.events.next()).await {
            assert!(
                !msg.subject.ends_with(&format!(".{kind}")),
                "unexpected {kind}: {}",
                msg.subject
            );
        }
    }

    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// One gateway process's worth: the app running the gateway service.
pub struct Replica {
    pub device_addr: std::net::SocketAddr,
    pub grpc_addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Replica {
    /// Starts the gateway with `config` and waits until its device port accepts.
    pub async fn launch(config: runtime::Config) -> Self {
        let device_addr = config.gateway.device_listen;
        let stop = CancellationToken::new();
        let s = stop.clone();
        let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            runtime::app::run(
                config,
                vec![Arc::new(gateway::Gateway::default())],
                s,
                |b| {
                    let _ = bound_tx.send(b);
                },
            )
            .await
        });
        let bound = bound_rx.await.expect("the gateway app did not start");
        for _ in 0..100 {
            if let Ok(mut probe) = TcpStream::connect(device_addr).await {
                // Not a pile: wait until the gateway closed it, so the probe no longer
                // counts against per-address limits when the test starts.
                let _ = probe.write_all(b"\x16\x03\x01\x00").await;
                let mut buf = [0u8; 16];
                let _ = tokio::time::timeout(Duration::from_secs(2), probe.read(&mut buf)).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            device_addr,
            grpc_addr: bound.grpc,
            stop,
            task: Some(task),
        }
    }

    /// A second replica in the harness's namespace, with its own ports.
    pub async fn beside(h: &Harness, tweak: impl FnOnce(&mut runtime::Config)) -> Self {
        let mut config = runtime::Config::default();
        config.nats.url = testkit::nats_url();
        config.nats.namespace = h.token.clone();
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.grpc.listen = "127.0.0.1:0".parse().unwrap();
        config.gateway.device_listen = format!("127.0.0.1:{}", testkit::free_port())
            .parse()
            .unwrap();
        tweak(&mut config);
        Self::launch(config).await
    }

    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// A DeviceControl client for a replica's gRPC port.
pub async fn control(
    grpc: std::net::SocketAddr,
) -> proto::pylon::gateway::v1::device_control_client::DeviceControlClient<tonic::transport::Channel>
{
    proto::pylon::gateway::v1::device_control_client::DeviceControlClient::connect(format!(
        "http://{grpc}"
    ))
    .await
    .unwrap()
}

/// Reads whatever arrives within `ms` (answers are small and come at once).
pub async fn read_some(stream: &mut TcpStream, ms: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

pub async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Answers card decisions like charging will.
pub async fn card_responder(
    nats: &async_nats::Client,
    ns: &bus::Namespace,
    status: u32,
    balance_fen: i64,
) {
    let mut sub = nats
        .subscribe(ns.subject(&["charging", "card", "authorize"]))
        .await
        .unwrap();
    // The subscription must be known to the server before a pile asks.
    nats.flush().await.unwrap();
    let nats = nats.clone();
    tokio::spawn(async move {
        while let Some(req) = sub.next().await {
            let asked =
                proto::pylon::gateway::v1::CardAuthorizeRequest::decode(req.payload.as_ref())
                    .unwrap();
            assert_eq!(asked.protocol, "dny");
            let answer = proto::pylon::gateway::v1::CardAuthorizeResponse {
                account_status: status,
                balance_fen,
            };
            if let Some(reply) = req.reply {
                nats.publish(reply, answer.encode_to_vec().into())
                    .await
                    .unwrap();
            }
        }
    });
}
