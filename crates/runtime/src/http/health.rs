//! `/healthz` (the process is alive) and `/readyz` (every dependency answers and every
//! service's components run). Probes run on each request with a short timeout, so the
//! answer is current: a NATS outage turns `/readyz` to 503 at the next probe.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use serde::Serialize;

use super::envelope::{Envelope, codes, ok};

/// A dependency check, e.g. `SELECT 1` on PostgreSQL.
pub trait Probe: Send + Sync {
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

type Components = BTreeMap<&'static str, Arc<AtomicBool>>;

/// What the process reports about its readiness.
#[derive(Clone, Default)]
pub struct Health {
    dependencies: Arc<RwLock<BTreeMap<&'static str, Arc<dyn Probe>>>>,
    services: Arc<RwLock<BTreeMap<&'static str, Components>>>,
}

#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct Readiness {
    pub ready: bool,
    pub dependencies: BTreeMap<String, DependencyState>,
    pub services: BTreeMap<String, ServiceState>,
}

#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct DependencyState {
    pub ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct ServiceState {
    pub ready: bool,
    pub components: BTreeMap<String, bool>,
}

impl Health {
    /// Registers a dependency probe (idempotent by name).
    pub fn add_dependency(&self, name: &'static str, probe: Arc<dyn Probe>) {
        if let Ok(mut d) = self.dependencies.write() {
            d.insert(name, probe);
        }
    }

    /// Declares a service; it is listed (and counts as not ready) from now on.
    pub fn add_service(&self, service: &'static str) {
        if let Ok(mut s) = self.services.write() {
            s.entry(service).or_default();
        }
    }

    /// A component of `service` (a consumer, the outbox relay, the HTTP side) whose flag
    /// the component itself keeps current. Returns the flag.
    pub fn component(&self, service: &'static str, component: &'static str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.track(service, component, flag.clone());
        flag
    }

    /// Tracks a flag a component already keeps (e.g. a relay's `running()`).
    pub fn track(&self, service: &'static str, component: &'static str, flag: Arc<AtomicBool>) {
        if let Ok(mut s) = self.services.write() {
            s.entry(service).or_default().insert(component, flag);
        }
    }

    pub async fn readiness(&self) -> Readiness {
        let probes: Vec<(&'static str, Arc<dyn Probe>)> = self
            .dependencies
            .read()
            .map(|d| d.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default();
        let results = futures::future::join_all(probes.iter().map(|(name, p)| async move {
            let r = match tokio::time::timeout(PROBE_TIMEOUT, p.check()).await {
                Ok(r) => r,
                Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
            };
            (name.to_string(), r)
        }))
        .await;
        let dependencies: BTreeMap<String, DependencyState> = results
            .into_iter()
            .map(|(name, r)| {
                let state = DependencyState {
                    ready: r.is_ok(),
                    error: r.err(),
                };
                (name, state)
            })
            .collect();
        let services: BTreeMap<String, ServiceState> = self
            .services
            .read()
            .map(|s| {
                s.iter()
                    .map(|(name, comps)| {
                        let components: BTreeMap<String, bool> = comps
                            .iter()
                            .map(|(c, f)| (c.to_string(), f.load(Ordering::Relaxed)))
                            .collect();
                        let ready = !components.is_empty() && components.values().all(|v| *v);
                        (name.to_string(), ServiceState { ready, components })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ready = dependencies.values().all(|d| d.ready) && services.values().all(|s| s.ready);
        Readiness {
            ready,
            dependencies,
            services,
        }
    }

    /// `/healthz` and `/readyz`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(self.clone())
    }
}

async fn healthz() -> Response {
    ok(serde_json::json!({ "alive": true })).into_response()
}

async fn readyz(State(health): State<Health>) -> Response {
    let r = health.readiness().await;
    if r.ready {
        ok(r).into_response()
    } else {
        let body = Envelope {
            code: codes::UNAVAILABLE,
            data: Some(r),
            message: "not ready".into(),
        };
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

/// NATS is ready while the client is connected.
pub struct NatsProbe(pub async_nats::Client);

impl Probe for NatsProbe {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            match self.0.connection_state() {
                async_nats::connection::State::Connected => Ok(()),
                other => Err(format!("nats {other}")),
            }
        })
    }
}

/// PostgreSQL is ready when `SELECT 1` answers.
pub struct PostgresProbe(pub sqlx::PgPool);

impl Probe for PostgresProbe {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            sqlx::query("SELECT 1")
                .execute(&self.0)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// ClickHouse is ready when `SELECT 1` answers.
pub struct ClickHouseProbe(pub clickhouse::Client);

impl Probe for ClickHouseProbe {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.0
                .query("SELECT 1")
                .fetch_one::<u8>()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
