//! The running app and its HTTP helpers.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use runtime::Config;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::PASSWORD;
use crate::users::Tenant;

/// A running app, isolated in its own database and NATS namespace. Stops when dropped
/// (the database and the namespace's streams go with it).
pub struct TestApp {
    /// `http://127.0.0.1:<port>` of the REST API.
    pub base: String,
    /// `http://127.0.0.1:<port>` of the gRPC server.
    pub grpc: String,
    pub config: Config,
    pub db: testkit::TestDatabase,
    pub bus: testkit::TestBus,
    pub http: reqwest::Client,
    /// The bootstrap operator; its administrator holds operator_admin and platform_admin.
    pub root: Tenant,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The `nats.namespace` of a test bus.
pub fn namespace_of(bus: &testkit::TestBus) -> String {
    bus.token().to_owned()
}

/// `services` plus identity, with the default test configuration.
pub async fn spawn(services: Vec<Arc<dyn runtime::Service>>) -> TestApp {
    spawn_with(services, |_| {}).await
}

/// `services` plus identity; `tweak` adjusts the configuration before start.
pub async fn spawn_with(
    mut services: Vec<Arc<dyn runtime::Service>>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
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
    // Every test client is 127.0.0.1: a per-IP login limit would throttle the harness.
    config.identity.login_rate_per_minute = 10_000;
    // Outbox rows reach JetStream quickly, so event assertions need no long waits.
    config.bus.outbox_poll_ms = 50;
    tweak(&mut config);
    if !services.iter().any(|s| s.name() == identity::NAME) {
        services.insert(0, Arc::new(identity::Identity));
    }
    let stop = CancellationToken::new();
    let bound = start(config.clone(), services, stop.clone()).await;
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
    let mut app = TestApp {
        base,
        grpc: format!("http://{}", bound.grpc),
        config,
        db,
        bus,
        http: reqwest::Client::new(),
        root: Tenant {
            id: boot.tenant_id.to_string(),
            code: "root".into(),
            admin: String::new(),
        },
        stop,
    };
    app.root.admin = app.token("root", "admin@root.test").await;
    app
}

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
        .expect("app started within 60 s")
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

    /// One request; the status and the body as JSON (`Null` when it is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let res = self.raw(method, path, token, body).await;
        let status = res.status();
        (status, res.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// One request, the response as it came (for non-JSON bodies such as CSV).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }
    pub async fn anon_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, None, Some(body)).await
    }

    /// `data` of a response that must be a success.
    pub fn ok(&self, r: (StatusCode, Value)) -> Value {
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        assert_eq!(r.1["code"], 0, "{}", r.1);
        r.1["data"].clone()
    }

    /// A gRPC channel to the app (for `…ServiceClient::new(channel)`).
    pub async fn grpc_channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(self.grpc.clone())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Subscribes (core NATS) to `pylon.<service>.<pattern>` in this app's namespace,
    /// e.g. `subscribe("billing", "<tenant>.bill.issued")`.
    pub async fn subscribe(&self, service: &str, pattern: &str) -> async_nats::Subscriber {
        self.bus
            .client
            .subscribe(self.bus.namespace.subject(&[service, pattern]))
            .await
            .unwrap()
    }
}
