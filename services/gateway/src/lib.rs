//! The gateway service: holds the device TCP connections, decodes frames, answers what the protocols require at once, publishes device events and executes device commands.
//!
//! Error codes of this service are in the 17xxx range (DESIGN §6).

mod api;

use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "gateway";

/// The gateway service as the `pylon` binary runs it.
pub struct Gateway;

impl Service for Gateway {
    fn name(&self) -> &'static str {
        NAME
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
            ctx.shutdown.cancelled().await;
            Ok(())
        })
    }
}
