//! Orders end to end: identity, gateway, charging, billing and payment in one app, a
//! simulated pile on the gateway's device port, the sandbox payment provider.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod card;
mod exceptions;
mod flow;
mod history;
mod scale;
mod stations;

use std::sync::Arc;
use std::time::Duration;

use apptest::{Driver, Tenant, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct World {
    pub app: TestApp,
    pub t: Tenant,
    pub device_addr: std::net::SocketAddr,
}

pub async fn world() -> World {
    world_with(|_| {}).await
}

/// A world with `tweak` applied to the configuration last (validated after it).
pub async fn world_with(tweak: impl FnOnce(&mut runtime::Config)) -> World {
    let grpc_port = testkit::free_port();
    let device_port = testkit::free_port();
    let app = apptest::spawn_with(
        vec![
            Arc::new(gateway::Gateway::default()),
            Arc::new(charging::Charging::default()),
            Arc::new(billing::Billing),
            Arc::new(payment::Payment::default()),
        ],
        |c| {
            c.grpc.listen = format!("127.0.0.1:{grpc_port}").parse().unwrap();
            let url = format!("http://127.0.0.1:{grpc_port}");
            c.charging.gateway_grpc_url = url.clone();
            c.charging.payment_grpc_url = url.clone();
            c.charging.billing_grpc_url = url;
            c.charging.start_timeout_secs = 10;
            c.gateway.device_listen = format!("127.0.0.1:{device_port}").parse().unwrap();
            c.gateway.command_timeout_ms = 1_000;
            c.payment.sandbox.settle_after_ms = 50;
            tweak(c);
            c.validate().expect("the test configuration is valid");
        },
    )
    .await;
    let t = app.tenant("chargeop").await;
    World {
        app,
        t,
        device_addr: format!("127.0.0.1:{device_port}").parse().unwrap(),
    }
}

impl World {
    /// A flat tariff (1.0 yuan/kWh electricity + 0.5 service) for the whole operator.
    pub async fn tariff(&self) {
        let body = json!({"energy": {"flat": {
            "electricity_millifen_per_kwh": 100_000,
            "service_millifen_per_kwh": 50_000,
        }}});
        let t = self.app.ok(self
            .app
            .post(
                "/api/v1/billing/tariffs",
                &self.t.admin,
                json!({"name": "flat", "body": body}),
            )
            .await);
        self.app.ok(self
            .app
            .post(
                "/api/v1/billing/assignments",
                &self.t.admin,
                json!({"node_path": self.t.path(), "tariff_id": t["id"]}),
            )
            .await);
    }

    /// Registers a device to the operator through the registry's API.
    pub async fn register(&self, device_id: &str, protocol: &str) {
        let r = self
            .app
            .post(
                "/api/v1/charging/devices",
                &self.t.admin,
                json!({"protocol": protocol, "device_id": device_id, "port_count": 2}),
            )
            .await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    }

    /// A simulated DNY pile (60x time) registered to the operator and connected:
    /// (handle, its events, its device id).
    pub async fn registered_pile(&self, index: u32) -> (sim::PileHandle, sim::EventStream, String) {
        self.pile_with(
            sim::PileConfig::new(sim::Protocol::Dny, index, self.device_addr).with_speed(60),
        )
        .await
    }

    pub async fn pile_with(
        &self,
        config: sim::PileConfig,
    ) -> (sim::PileHandle, sim::EventStream, String) {
        let (pile, mut events) = sim::spawn_pile(config).unwrap();
        let device = pile.id().to_owned();
        self.register(&device, "dny").await;
        events
            .wait_for(Duration::from_secs(10), |e| {
                matches!(e, sim::SimEvent::Registered)
            })
            .await
            .expect("the pile registered");
        (pile, events, device)
    }

    /// A driver with `fen` in the wallet (sandbox top-up).
    pub async fn driver_with(&self, fen: i64) -> Driver {
        let d = self.app.driver(&self.t).await;
        let r = self
            .app
            .http
            .post(self.app.url("/api/v1/payment/top-ups"))
            .bearer_auth(&d.token)
            .header("Idempotency-Key", format!("topup-{}", d.id))
            .json(&json!({"amount_fen": fen, "provider": "sandbox", "channel": "sandbox"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        for _ in 0..100 {
            let w = self
                .app
                .ok(self.app.get("/api/v1/payment/wallet", &d.token).await);
            if w["balance_fen"] == fen {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("top-up not credited");
    }

    pub async fn start(&self, d: &Driver, key: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .app
            .http
            .post(self.app.url("/api/v1/charging/orders"))
            .bearer_auth(&d.token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// [`World::start`] that must be accepted; the new order's id.
    pub async fn started(&self, d: &Driver, key: &str, body: Value) -> String {
        let (s, o) = self.start(d, key, body).await;
        assert_eq!(s, StatusCode::OK, "start {key}: {o}");
        o["data"]["id"].as_str().unwrap().to_owned()
    }

    /// The driver stops the order; it must be accepted.
    pub async fn stop(&self, d: &Driver, id: &str) {
        let r = self
            .app
            .post(
                &format!("/api/v1/charging/orders/{id}/stop"),
                &d.token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.0, StatusCode::OK, "stop {id}: {}", r.1);
    }

    /// The states the order moved to, in order, from its transitions as `token` sees them.
    pub async fn states(&self, token: &str, id: &str) -> Vec<String> {
        let path = format!("/api/v1/charging/orders/{id}/transitions");
        let t = self.app.ok(self.app.get(&path, token).await);
        t.as_array()
            .unwrap()
            .iter()
            .map(|x| x["to_state"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Polls the order until it records its amount (a capture releases the hold a
    /// moment before the order stores what was billed).
    pub async fn billed(&self, d: &Driver, id: &str) -> Value {
        let path = format!("/api/v1/charging/orders/{id}");
        let mut last = Value::Null;
        for _ in 0..100 {
            last = self.app.ok(self.app.get(&path, &d.token).await);
            if last["amount_fen"].is_i64() {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order {id} never recorded an amount: {last}");
    }

    /// Polls the order until `state` (within `secs`).
    pub async fn until(&self, d: &Driver, id: &str, state: &str, secs: u64) -> Value {
        let path = format!("/api/v1/charging/orders/{id}");
        let mut last = Value::Null;
        for _ in 0..secs * 10 {
            last = self.app.ok(self.app.get(&path, &d.token).await);
            if last["state"] == state {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order never became {state}: {last}");
    }
}
