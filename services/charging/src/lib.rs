//! The charging service: owns the asset registry, device provisioning, the live state of
//! piles, the order state machine and the driver-facing charging API.
//!
//! One module per capability, each with its own domain (pure), store (schema
//! `charging` only), use cases and REST routes: `registry` (sites, models, devices,
//! ports, QR codes; mirrored to the gateway's `device_registry`), `live` (online state
//! and port status from device events; card decisions for the gateway), `orders` (the
//! order state machine and the scan → pay → charge → settle flow). Error codes are 12xxx
//! (DESIGN §6), mapped in `error`. docs/charging.md describes it.

mod api;
pub mod clients;
pub mod ctx;
pub mod error;
pub mod events;
pub mod live;
pub mod operations;
pub mod orders;
pub mod registry;
pub mod stations;
pub mod tariffs;

use std::sync::OnceLock;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "charging";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("charging");

/// The charging service as the `pylon` binary runs it.
#[derive(Default)]
pub struct Charging {
    /// One context for the HTTP API and the background work of this process: its pools,
    /// clients and the start commands in flight (which the device events consult).
    ctx: OnceLock<ctx::Ctx>,
}

impl Charging {
    fn ctx(&self, svc: &ServiceContext) -> anyhow::Result<ctx::Ctx> {
        if let Some(ctx) = self.ctx.get() {
            return Ok(ctx.clone());
        }
        let ctx = ctx::Ctx::new(svc)?;
        Ok(self.ctx.get_or_init(|| ctx).clone())
    }
}

impl Service for Charging {
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
        match self.ctx(svc) {
            Ok(ctx) => api::http::router(ctx, svc.clone()),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "charging cannot serve HTTP");
                axum::Router::new()
            }
        }
    }

    fn grpc(&self, svc: &ServiceContext, routes: &mut GrpcRoutes) {
        api::grpc::register(svc.clone(), routes);
    }

    fn run(&self, svc: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        let ctx = self.ctx(&svc);
        Box::pin(async move {
            let ctx = ctx?;
            let stop = svc.shutdown.clone();
            tariffs::run(&ctx, stop.clone());
            let (registry, live, orders, operations) = tokio::join!(
                registry::run(ctx.clone(), stop.clone()),
                live::run(ctx.clone(), stop.clone()),
                orders::run(ctx.clone(), stop.clone()),
                operations::run(ctx.clone(), stop.clone()),
            );
            registry?;
            live?;
            orders?;
            operations?;
            svc.mark_ready("started");
            svc.run_outbox_relay(SCHEMA).await
        })
    }
}
