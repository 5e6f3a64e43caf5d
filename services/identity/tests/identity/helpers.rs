//! Identity's test app: the shared harness of crates/apptest (identity alone, its own
//! database and NATS namespace, a bootstrapped root operator) with identity's own
//! helpers on top.

use std::ops::Deref;
use std::sync::Arc;

use reqwest::StatusCode;
use runtime::Config;
use serde_json::{Value, json};

pub use apptest::{PASSWORD, Tenant, namespace_of, next_event, start, wait_ready};

/// A running identity (and optionally a probe service). Stops when dropped.
pub struct TestApp(apptest::TestApp);

impl Deref for TestApp {
    type Target = apptest::TestApp;
    fn deref(&self) -> &apptest::TestApp {
        &self.0
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    TestApp(apptest::spawn_with(vec![Arc::new(identity::Identity)], tweak).await)
}

impl TestApp {
    /// `data` of a call that must succeed (async, as identity's tests await it).
    pub async fn ok(&self, r: (StatusCode, Value)) -> Value {
        self.0.ok(r)
    }

    pub async fn login(&self, tenant: &str, who: &str, password: &str) -> (StatusCode, Value) {
        self.anon_post(
            "/api/v1/auth/login",
            json!({"tenant": tenant, "identifier": who, "password": password}),
        )
        .await
    }

    pub async fn login_ok(&self, tenant: &str, who: &str, password: &str) -> Value {
        let r = self.login(tenant, who, password).await;
        self.ok(r).await
    }

    /// A region and a site under the operator node: (region id, site id, site path).
    pub async fn region_and_site(&self, t: &Tenant, name: &str) -> (String, String, String) {
        let r = self
            .ok(self
                .post(
                    "/api/v1/organizations",
                    &t.admin,
                    json!({"kind": "region", "name": name, "parent_id": t.id}),
                )
                .await)
            .await;
        let s = self
            .ok(self
                .post(
                    "/api/v1/organizations",
                    &t.admin,
                    json!({"kind": "site", "name": format!("{name} site"), "parent_id": r["id"]}),
                )
                .await)
            .await;
        (
            r["id"].as_str().unwrap().to_owned(),
            s["id"].as_str().unwrap().to_owned(),
            s["path"].as_str().unwrap().to_owned(),
        )
    }

    /// A signing key of the running identity: (kid, PKCS#8 DER).
    pub async fn signing_key(&self) -> (String, Vec<u8>) {
        let pool = self.db.pool().await;
        let row: (String, Vec<u8>) = sqlx::query_as(
            "SELECT kid, private_der FROM identity.signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        row
    }
}

/// Subscribes (core NATS) to identity events in `app`'s namespace matching `pattern`
/// after `pylon.identity.`.
pub async fn subscribe(app: &TestApp, pattern: &str) -> async_nats::Subscriber {
    app.bus
        .client
        .subscribe(app.bus.namespace.subject(&["identity", pattern]))
        .await
        .unwrap()
}
