use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use runtime::Config;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const PASSWORD: &str = "Secret-pass1";

/// A running identity (and optionally a probe service), isolated in its own database
/// and NATS namespace. Stops when dropped.
pub struct TestApp {
    pub base: String,
    pub grpc: String,
    pub config: Config,
    pub db: testkit::TestDatabase,
    pub bus: testkit::TestBus,
    pub http: reqwest::Client,
    /// The bootstrap operator and its administrator (operator_admin + platform_admin).
    pub root: Tenant,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// An operator with an administrator's token.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub code: String,
    pub admin: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub fn namespace_of(bus: &testkit::TestBus) -> String {
    bus.namespace
        .subject(&[])
        .trim_end_matches(".pylon")
        .to_owned()
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = testkit::TestDatabase::create().await;
    let bus = testkit::bus().await;
    let mut config = Config::default();
    config.database.url = runtime::Secret::new(db.url.clone());
    config.database.migrate_on_start = true;
    config.database.max_connections = 10;
    config.nats.url = testkit::nats_url();
    config.nats.namespace = namespace_of(&bus);
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.grpc.listen = "127.0.0.1:0".parse().unwrap();
    config.shutdown.grace_secs = 3;
    // Every test client is 127.0.0.1: only the rate-limit test keeps a low limit.
    config.identity.login_rate_per_minute = 10_000;
    tweak(&mut config);
    let stop = CancellationToken::new();
    let bound = start(
        config.clone(),
        vec![Arc::new(identity::Identity)],
        stop.clone(),
    )
    .await;
    let base = format!("http://{}", bound.http);
    wait_ready(&base).await;
    let boot = identity::bootstrap::run(
        &config,
        identity::bootstrap::Bootstrap {
            tenant_code: "root".into(),
            tenant_name: "Root Operator".into(),
            email: Some("admin@root.test".into()),
            phone: None,
            display_name: "Root Admin".into(),
            password: Some(PASSWORD.into()),
        },
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let mut app = TestApp {
        base,
        grpc: format!("http://{}", bound.grpc),
        config,
        db,
        bus,
        http,
        root: Tenant {
            id: boot.tenant_id.to_string(),
            code: "root".into(),
            admin: String::new(),
        },
        stop,
    };
    app.root.admin = app.login_ok("root", "admin@root.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app
}

/// Runs `services` with `config` until `stop`; returns the bound addresses.
pub async fn start(
    config: Config,
    services: Vec<Arc<dyn runtime::Service>>,
    stop: CancellationToken,
) -> runtime::app::Bound {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        runtime::app::run(config, services, stop, |b| {
            let _ = tx.send(b);
        })
        .await
        .unwrap();
    });
    tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("app started")
        .unwrap()
}

pub async fn wait_ready(base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == 200
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{base} never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status();
        let v = res.json::<Value>().await.unwrap_or(Value::Null);
        (status, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }
    pub async fn anon_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, None, Some(body))
            .await
    }

    /// `data` of a call that must succeed.
    pub async fn ok(&self, r: (StatusCode, Value)) -> Value {
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        assert_eq!(r.1["code"], 0, "{}", r.1);
        r.1["data"].clone()
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

    /// A new operator (created by the platform admin) with an operator_admin.
    pub async fn tenant(&self, code: &str) -> Tenant {
        let node = self
            .ok(self
                .post(
                    "/api/v1/organizations",
                    &self.root.admin,
                    json!({"kind": "operator", "code": code, "name": format!("Operator {code}")}),
                )
                .await)
            .await;
        let id = node["id"].as_str().unwrap().to_owned();
        let email = format!("admin@{code}.test");
        let admin = self
            .staff(&self.root.admin, &id, &email, &[("operator_admin", &id)])
            .await;
        let token = self.login_ok(code, &email, PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let _ = admin;
        Tenant {
            id,
            code: code.into(),
            admin: token,
        }
    }

    /// Creates a staff user on `node` with `grants` (role, node); returns the user id.
    pub async fn staff(
        &self,
        by: &str,
        node: &str,
        email: &str,
        grants: &[(&str, &str)],
    ) -> String {
        let u = self
            .ok(self
                .post(
                    "/api/v1/users",
                    by,
                    json!({"node_id": node, "display_name": email, "email": email, "password": PASSWORD}),
                )
                .await)
            .await;
        let id = u["id"].as_str().unwrap().to_owned();
        for (role, at) in grants {
            self.ok(self
                .post(
                    &format!("/api/v1/users/{id}/grants"),
                    by,
                    json!({"role": role, "node_id": at}),
                )
                .await)
                .await;
        }
        id
    }

    /// A staff user with `role` on `node`, logged in: (user id, access token).
    pub async fn user_with_role(
        &self,
        t: &Tenant,
        role: &str,
        home: &str,
        at: &str,
    ) -> (String, String) {
        let email = format!("{role}.{}@{}.test", Uuid::new_v4().simple(), t.code);
        let id = self.staff(&t.admin, home, &email, &[(role, at)]).await;
        let token = self.login_ok(&t.code, &email, PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, token)
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

/// The next message of `sub` within 10 s.
pub async fn next_event(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("event within 10 s")
        .expect("subscription open")
}
