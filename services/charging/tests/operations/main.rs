//! Remote operations and OTA campaigns end to end: identity, gateway and charging in
//! one app, simulated DNY piles and a GN gateway on the gateway's device port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod campaigns;
mod remote;

use std::sync::Arc;
use std::time::Duration;

use apptest::{Tenant, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct World {
    pub app: TestApp,
    pub t: Tenant,
    pub device_addr: std::net::SocketAddr,
}

pub async fn world() -> World {
    let grpc_port = testkit::free_port();
    let device_port = testkit::free_port();
    let app = apptest::spawn_with(
        vec![
            Arc::new(gateway::Gateway::default()),
            Arc::new(charging::Charging::default()),
        ],
        |c| {
            c.grpc.listen = format!("127.0.0.1:{grpc_port}").parse().unwrap();
            c.charging.gateway_grpc_url = format!("http://127.0.0.1:{grpc_port}");
            c.gateway.device_listen = format!("127.0.0.1:{device_port}").parse().unwrap();
            // Answers come at once from the simulator; a lost one fails fast.
            c.gateway.command_timeout_ms = 1_000;
        },
    )
    .await;
    let t = app.tenant("opsop").await;
    World {
        app,
        t,
        device_addr: format!("127.0.0.1:{device_port}").parse().unwrap(),
    }
}

impl World {
    /// Registers a device to the operator through the registry's API.
    pub async fn register(&self, device_id: &str, protocol: &str) {
        let body = if protocol == "dny" {
            json!({"protocol": protocol, "device_id": device_id, "port_count": 2})
        } else {
            json!({"protocol": protocol, "device_id": device_id})
        };
        let r = self
            .app
            .post("/api/v1/charging/devices", &self.t.admin, body)
            .await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    }

    /// A simulated pile of `protocol` registered to the operator and connected.
    pub async fn pile(
        &self,
        protocol: sim::Protocol,
        index: u32,
    ) -> (sim::PileHandle, sim::EventStream, String) {
        let (pile, mut events) =
            sim::spawn_pile(sim::PileConfig::new(protocol, index, self.device_addr).with_speed(60))
                .unwrap();
        let device = pile.id().to_owned();
        let name = match protocol {
            sim::Protocol::Dny => "dny",
            _ => "gn",
        };
        self.register(&device, name).await;
        events
            .wait_for(Duration::from_secs(10), |e| {
                matches!(e, sim::SimEvent::Registered)
            })
            .await
            .expect("the pile registered");
        (pile, events, device)
    }

    /// A maintainer (devices:read/operate) on the operator node: (user id, token).
    pub async fn maintainer(&self) -> (String, String) {
        self.app
            .user_with_role(&self.t, "maintainer", &self.t.id, &self.t.id)
            .await
    }

    /// The device's audit, newest first.
    pub async fn audit(&self, device: &str) -> Vec<Value> {
        let page = self.app.ok(self
            .app
            .get(
                &format!("/api/v1/charging/devices/{device}/operations"),
                &self.t.admin,
            )
            .await);
        page["items"].as_array().unwrap().clone()
    }
}

/// A body's `message`, for errors.
pub fn message(r: &(StatusCode, Value)) -> String {
    r.1["message"].as_str().unwrap_or_default().to_owned()
}
