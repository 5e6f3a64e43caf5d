//! The identity service: owns users, organizations, roles and permissions, tokens,
//! third-party app credentials and the audit log. Other services verify its tokens and
//! signatures locally (`runtime::auth`), from its JWKS and app registry.
//!
//! Layers: `domain` (pure rules) ← `app` (use cases) ← `api` (REST, gRPC) and `store`
//! (sqlx, schema `identity` only). Error codes are 11xxx (DESIGN §6), mapped in
//! `api::error`.

mod api;
pub mod app;
pub mod bootstrap;
pub mod domain;
pub mod error;
mod events;
mod keys;
mod limits;
mod password;
pub mod store;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use bus::SchemaName;
use futures::future::BoxFuture;
use runtime::{GrpcRoutes, Service, ServiceContext};
use sqlx::migrate::Migrator;

pub use error::IdentityError;

/// The service's name: its `pylon run` role, its REST prefix, its gRPC package.
pub const NAME: &str = "identity";

/// Its PostgreSQL schema: it reads and writes no other.
pub const SCHEMA: SchemaName = SchemaName::from_static("identity");

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The identity service as the `pylon` binary runs it.
pub struct Identity;

fn context(svc: &ServiceContext) -> anyhow::Result<app::Ctx> {
    Ok(app::Ctx::new(
        svc.db()?.clone(),
        svc.config.clone(),
        &svc.bus,
    )?)
}

impl Service for Identity {
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
        match context(svc) {
            Ok(ctx) => {
                // Identity runs here: without a configured JWKS URL, the process verifies
                // tokens against identity's key store directly.
                svc.auth
                    .jwks()
                    .set_source_if_unset(Arc::new(keys::LocalJwks(ctx.keys.clone())));
                api::http::router(ctx, svc.clone())
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "identity cannot serve HTTP");
                axum::Router::new()
            }
        }
    }

    fn grpc(&self, svc: &ServiceContext, routes: &mut GrpcRoutes) {
        match context(svc) {
            Ok(ctx) => api::grpc::register(svc.clone(), ctx, routes),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "identity cannot serve gRPC"),
        }
    }

    fn run(&self, svc: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let ctx = context(&svc)?;
            // A signing key exists before the first login, and the app registry holds
            // every app (it may have been lost, or written while NATS was away).
            ctx.keys.rotate_if_due(false).await?;
            app::apps::sync_all(&ctx).await?;
            svc.mark_ready("started");
            let maintenance = maintain(ctx, svc.shutdown.clone());
            let (relay, ()) = tokio::join!(svc.run_outbox_relay(SCHEMA), maintenance);
            relay
        })
    }
}

/// Periodic upkeep until shutdown: key rotation when due, app registry re-sync, pruning
/// expired refresh tokens and codes.
async fn maintain(ctx: app::Ctx, stop: tokio_util::sync::CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rounds: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        rounds += 1;
        if let Err(e) = app::apps::sync_all(&ctx).await {
            tracing::warn!(error = %e, "app registry sync failed");
        }
        if rounds % 60 == 1 {
            if let Err(e) = ctx.keys.rotate_if_due(false).await {
                tracing::warn!(error = %e, "signing key rotation check failed");
            }
            match store::refresh::prune(&ctx.pool).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "expired refresh tokens pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "refresh token prune failed"),
            }
            if let Err(e) = store::codes::prune(&ctx.pool).await {
                tracing::warn!(error = %e, "code prune failed");
            }
        }
    }
}
