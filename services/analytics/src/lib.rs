//! The analytics service: streams events into ClickHouse and serves statistics, reports and exports.
//!
//! Error codes of this service are in the 16xxx range (DESIGN §6).

mod api;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "analytics";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("analytics");

/// The analytics service as the `pylon` binary runs it.
pub struct Analytics;

impl Service for Analytics {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> Option<SchemaName> {
        Some(SCHEMA)
    }

    fn uses_clickhouse(&self) -> bool {
        true
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
