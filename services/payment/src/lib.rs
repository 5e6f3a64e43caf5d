//! The payment service: owns payment intents, the wallet ledger, refunds, the payment providers and reconciliation.
//!
//! Error codes of this service are in the 14xxx range (DESIGN §6).

mod api;
pub mod app;
mod background;
pub mod domain;
pub mod error;
pub mod events;
pub mod providers;
pub mod store;

use std::sync::{Arc, OnceLock};

use bus::SchemaName;
use futures::future::BoxFuture;
use providers::Providers;
use runtime::{GrpcRoutes, Service, ServiceContext};
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "payment";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("payment");

/// The payment service as the `pylon` binary runs it. One set of providers serves HTTP
/// (callbacks), gRPC and the background work: the sandbox delivers its notifications
/// through the instance that opened the payment.
#[derive(Default)]
pub struct Payment {
    providers: OnceLock<Result<Arc<Providers>, String>>,
}

impl Payment {
    /// A payment service with these providers instead of the configured ones (tests run
    /// the real adapters against local provider servers).
    pub fn with_providers(providers: Arc<Providers>) -> Self {
        let this = Self::default();
        let _ = this.providers.set(Ok(providers));
        this
    }

    fn context(&self, svc: &ServiceContext) -> anyhow::Result<app::ctx::Ctx> {
        let providers = self
            .providers
            .get_or_init(|| {
                Providers::from_config(&svc.config.payment)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| anyhow::anyhow!("payment providers: {e}"))?;
        Ok(app::ctx::Ctx {
            pool: svc.db()?.clone(),
            ns: svc.bus.namespace.clone(),
            providers,
        })
    }
}

impl Service for Payment {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> Option<SchemaName> {
        Some(SCHEMA)
    }

    fn migrator(&self) -> Option<&'static Migrator> {
        Some(&MIGRATOR)
    }

    fn http(&self, svc: &ServiceContext) -> axum::Router {
        match self.context(svc) {
            Ok(ctx) => api::http::router(ctx, svc.clone()),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "payment cannot serve HTTP");
                axum::Router::new()
            }
        }
    }

    fn grpc(&self, svc: &ServiceContext, routes: &mut GrpcRoutes) {
        match self.context(svc) {
            Ok(ctx) => api::grpc::register(svc.clone(), ctx, routes),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "payment cannot serve gRPC"),
        }
    }

    fn run(&self, svc: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        let ctx = self.context(&svc);
        Box::pin(async move {
            let ctx = ctx?;
            svc.mark_ready("started");
            let background = background::run(ctx, svc.shutdown.clone());
            let (relay, ()) = tokio::join!(svc.run_outbox_relay(SCHEMA), background);
            relay
        })
    }
}
