//! Integration tests of the `live` capability: the gateway with simulated piles, the
//! charging service and payment in one app (real NATS and PostgreSQL), plus device
//! events published directly where a test needs exact instants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cards;
mod events;
mod sim_piles;

use std::sync::Arc;
use std::time::Duration;

use apptest::TestApp;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Gateway, charging and payment, with the gateway's device port and the gRPC port
/// known up front (charging calls payment over the app's own gRPC).
pub async fn app() -> (TestApp, std::net::SocketAddr) {
    let device: std::net::SocketAddr = format!("127.0.0.1:{}", testkit::free_port())
        .parse()
        .unwrap();
    let grpc = testkit::free_port();
    let app = apptest::spawn_with(
        vec![
            Arc::new(gateway::Gateway::default()),
            Arc::new(charging::Charging::default()),
            Arc::new(payment::Payment::default()),
        ],
        |c| {
            c.gateway.device_listen = device;
            c.grpc.listen = format!("127.0.0.1:{grpc}").parse().unwrap();
            c.charging.payment_grpc_url = format!("http://127.0.0.1:{grpc}");
        },
    )
    .await;
    (app, device)
}

/// Polls `GET /live/devices/{id}` as `token` until `done` holds (10 s).
pub async fn live_until(
    app: &TestApp,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = app
            .get(&format!("/api/v1/charging/live/devices/{id}"), token)
            .await;
        if status == 200 && done(&body["data"]) {
            return body["data"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "live state of {id} never matched: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn ts(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(bus::event::timestamp(t))
}
