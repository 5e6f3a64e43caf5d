//! The identity service: owns users, organizations, roles and permissions, tokens, third-party app credentials and the audit log.
//!
//! Error codes of this service are in the 11xxx range (DESIGN §6).

mod api;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "identity";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("identity");

/// The identity service as the `pylon` binary runs it.
pub struct Identity;

impl Service for Identity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> Option<SchemaName> {
        Some(SCHEMA)
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
