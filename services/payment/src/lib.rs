//! The payment service: owns payment intents, the wallet ledger, refunds, the payment providers and reconciliation.
//!
//! Error codes of this service are in the 14xxx range (DESIGN §6).

mod api;
pub mod app;
pub mod domain;
pub mod error;
pub mod events;
pub mod store;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "payment";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("payment");

/// The payment service as the `pylon` binary runs it.
pub struct Payment;

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

    fn http(&self, ctx: &ServiceContext) -> axum::Router {
        api::http::router(ctx.clone())
    }

    fn grpc(&self, ctx: &ServiceContext, routes: &mut GrpcRoutes) {
        api::grpc::register(ctx.clone(), routes);
    }

    fn run(&self, ctx: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            ctx.mark_ready("started");
            ctx.run_outbox_relay(SCHEMA).await
        })
    }
}
