//! "Another service": a probe with endpoints protected the way every service protects
//! them (one extractor + the resource's node), verifying tokens from identity's JWKS
//! over HTTP and signatures from the app registry in NATS KV.

use std::sync::Arc;

use axum::routing::{get, post};
use futures::future::BoxFuture;
use runtime::auth::{Auth, OrgPath, PrincipalKind};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, ok};
use runtime::{GrpcRoutes, Service, ServiceContext};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::TestApp;

runtime::permission!(DevicesRead = "devices:read");
runtime::permission!(DevicesOperate = "devices:operate");
runtime::permission!(OrdersRead = "orders:read");

pub struct Probe;

#[derive(Deserialize)]
struct At {
    path: String,
}

fn node(at: &At) -> Result<OrgPath, ApiError> {
    OrgPath::parse(&at.path).map_err(|_| ApiError::invalid("bad path"))
}

fn who(p: &runtime::auth::Principal) -> Value {
    json!({
        "subject": p.subject,
        "tenant": p.tenant,
        "kind": if p.kind == PrincipalKind::App { "app" } else { "user" },
    })
}

async fn devices(auth: Auth<DevicesRead>, ApiQuery(at): ApiQuery<At>) -> ApiResult<Value> {
    auth.at(&node(&at)?)?;
    Ok(ok(who(&auth)))
}

async fn operate(
    auth: Auth<DevicesOperate>,
    ApiQuery(at): ApiQuery<At>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Value> {
    auth.at(&node(&at)?)?;
    let mut v = who(&auth);
    v["echo"] = body;
    Ok(ok(v))
}

async fn orders(auth: Auth<OrdersRead>, ApiQuery(at): ApiQuery<At>) -> ApiResult<Value> {
    auth.at(&node(&at)?)?;
    Ok(ok(who(&auth)))
}

impl Service for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn http(&self, _: &ServiceContext) -> axum::Router {
        axum::Router::new()
            .route("/api/v1/probe/devices", get(devices))
            .route("/api/v1/probe/devices/operate", post(operate))
            .route("/api/v1/probe/orders", get(orders))
    }
    fn grpc(&self, _: &ServiceContext, _: &mut GrpcRoutes) {}
    fn run(&self, ctx: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            ctx.mark_ready("started");
            ctx.shutdown.cancelled().await;
            Ok(())
        })
    }
}

impl TestApp {
    /// Starts the probe as a separate app (same NATS namespace, JWKS over HTTP);
    /// returns its base URL. It stops with the returned token.
    pub async fn probe(&self) -> (String, CancellationToken) {
        let mut config = self.config.clone();
        config.auth.jwks_url = format!("{}/.well-known/jwks.json", self.base);
        config.database.migrate_on_start = false;
        let stop = CancellationToken::new();
        let bound = crate::start(config, vec![Arc::new(Probe)], stop.clone()).await;
        let base = format!("http://{}", bound.http);
        crate::wait_ready(&base).await;
        (base, stop)
    }
}
