//! The billing service: owns tariffs and the rating engine, quotes, bills and invoices.
//!
//! Layers: `domain` (pure rules around the `pricing` engine) ← `app` (use cases) ←
//! `api` (REST, gRPC) and `store` (sqlx, schema `billing` only). Error codes are 13xxx
//! (DESIGN §6), mapped in `api::error`. docs/billing.md, "Service", describes tables,
//! resolution and versioning rules, the APIs and the device-amount tolerance.

mod api;
pub mod app;
mod consumers;
pub mod domain;
pub mod error;
pub mod events;
pub mod store;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};
use sqlx::migrate::Migrator;

pub use api::error::code;
pub use error::BillingError;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "billing";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("billing");

/// The billing service as the `pylon` binary runs it.
pub struct Billing;

impl Service for Billing {
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
        match app::Ctx::new(svc) {
            Ok(ctx) => api::http::router(svc.clone(), ctx),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "billing cannot serve HTTP");
                axum::Router::new()
            }
        }
    }

    fn grpc(&self, svc: &ServiceContext, routes: &mut GrpcRoutes) {
        match app::Ctx::new(svc) {
            Ok(ctx) => api::grpc::register(svc.clone(), ctx, routes),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "billing cannot serve gRPC"),
        }
    }

    fn run(&self, svc: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let ctx = app::Ctx::new(&svc)?;
            svc.mark_ready("started");
            let (relay, moves) = tokio::join!(
                svc.run_outbox_relay(SCHEMA),
                consumers::follow_org_moves(svc.clone(), ctx)
            );
            relay.and(moves)
        })
    }
}
