//! The registry against real PostgreSQL and NATS: apptest runs charging (and identity,
//! and for provisioning the gateway) in-process with its own database and namespace.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod assets;
mod import;
mod provisioning;

use std::sync::Arc;

use apptest::TestApp;
use serde_json::{Value, json};

pub async fn app() -> TestApp {
    apptest::spawn(vec![Arc::new(charging::Charging::default())]).await
}

/// A site on `site_path` created by `token`.
pub async fn site(app: &TestApp, token: &str, site_path: &str) -> Value {
    app.ok(
        app.post(
            "/api/v1/charging/sites",
            token,
            json!({"node_path": site_path, "name": "Gate 3", "address": "1 Road", "lat": 31.2304, "lng": 121.4737, "opening_hours": "00:00-24:00"}),
        )
        .await,
    )
}

/// The JSON value of `key` in the app's `device_registry` bucket.
pub async fn kv(app: &TestApp, key: &str) -> Option<Value> {
    let store = app
        .bus
        .jetstream
        .get_key_value(app.bus.bus.namespace.name("device_registry"))
        .await
        .unwrap();
    store
        .get(key)
        .await
        .unwrap()
        .map(|b| serde_json::from_slice(&b).unwrap())
}
