//! The gateway service: holds the device TCP connections, decodes frames, answers what the
//! protocols require at once, publishes device events and executes device commands (gRPC `DeviceControl`, forwarded
//! between replicas over NATS).
//!
//! Error codes of this service are in the 17xxx range (DESIGN §6).

mod api;
mod connection;
mod control;
mod counters;
pub mod domain;
pub mod events;
mod listener;
pub mod sessions;

use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use domain::Protocol;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "gateway";

/// The gateway service as the `pylon` binary runs it.
#[derive(Default)]
pub struct Gateway {
    /// This instance's connections once its device port is open: its `DeviceControl`
    /// runs commands for them without going through NATS.
    local: Local,
}

/// Set by [`run`], read by the gRPC API of the same instance.
type Local = Arc<OnceLock<Arc<listener::Shared>>>;

impl Service for Gateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn http(&self, ctx: &ServiceContext) -> axum::Router {
        api::http::router(ctx.clone())
    }

    fn grpc(&self, ctx: &ServiceContext, routes: &mut GrpcRoutes) {
        api::grpc::register(ctx.clone(), self.local.clone(), routes);
    }

    fn run(&self, ctx: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(run(ctx, self.local.clone()))
    }
}

/// The KV bucket charging writes the registry to (`device_registry`): which operator a
/// device belongs to (its events' tenant; value JSON with `tenant_id`) and, with
/// `gateway.reject_unregistered`, whether it may connect at all.
pub async fn open_registry(
    bus: &bus::Bus,
) -> Result<async_nats::jetstream::kv::Store, bus::BusError> {
    bus::kv::ensure_bucket(
        &bus.jetstream,
        &bus.namespace,
        "device_registry",
        1,
        std::time::Duration::ZERO,
    )
    .await
}

/// Opens the device port and serves piles until shutdown.
async fn run(ctx: ServiceContext, local: Local) -> anyhow::Result<()> {
    let cfg = ctx.config.gateway.clone();
    let listener = tokio::net::TcpListener::bind(cfg.device_listen)
        .await
        .with_context(|| format!("binding gateway.device_listen {}", cfg.device_listen))?;
    tracing::info!(addr = %listener.local_addr()?, "device port open");
    let sessions = sessions::Sessions::open(&ctx.bus).await?;
    let registry = Some(open_registry(&ctx.bus).await?);
    let shared = Arc::new(listener::Shared::new(
        cfg,
        ctx.bus.clone(),
        sessions,
        registry,
        ctx.instance.id.to_string(),
        ctx.shutdown.clone(),
    ));
    let _ = local.set(shared.clone());
    let commands = control::executing::subscribe(shared.clone()).await?;
    let commands = tokio::spawn(commands);
    let mut dedicated = Vec::new();
    for (addr, protocol) in [
        (&shared.config.dny_listen, Protocol::Dny),
        (&shared.config.gn_listen, Protocol::Gn),
    ] {
        if addr.is_empty() {
            continue;
        }
        let l = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .with_context(|| format!("binding the {} port {addr}", protocol.as_str()))?;
        tracing::info!(addr = %l.local_addr()?, protocol = protocol.as_str(), "dedicated device port open");
        dedicated.push(tokio::spawn(listener::accept_loop(
            l,
            shared.clone(),
            Some(protocol),
        )));
    }
    ctx.mark_ready("listener");
    listener::accept_loop(listener, shared, None).await;
    for d in dedicated {
        let _ = d.await;
    }
    let _ = commands.await;
    Ok(())
}
