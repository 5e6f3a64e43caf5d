//! What a Pylon service is to the process that runs it (Quickwit's "enabled services"
//! pattern): a name, its storage, its REST routes, its gRPC services and its background
//! work. Services never call each other in-process, so any set of them can share a
//! process or each run in its own without changing behaviour.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::clickhouse::ChMigration;
use crate::config::Config;
use crate::grpc::GrpcRoutes;
use crate::http::health::Health;

/// One service, as the `pylon` binary sees it.
pub trait Service: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Its PostgreSQL schema, if it keeps state there.
    fn schema(&self) -> Option<bus::SchemaName> {
        None
    }
    /// Its own PostgreSQL migrations (the bus tables are added in front of them).
    fn migrator(&self) -> Option<&'static Migrator> {
        None
    }
    /// Whether it uses ClickHouse (then the process connects and probes it).
    fn uses_clickhouse(&self) -> bool {
        false
    }
    /// Its ClickHouse migrations.
    fn clickhouse_migrations(&self) -> &'static [ChMigration] {
        &[]
    }
    /// REST routes, merged into the process's one HTTP router.
    fn http(&self, ctx: &ServiceContext) -> Router;
    /// gRPC services, added to the process's one gRPC server.
    fn grpc(&self, ctx: &ServiceContext, routes: &mut GrpcRoutes);
    /// Background work (consumers, relays, listeners) until `ctx.shutdown`.
    fn run(&self, ctx: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>>;
}

/// This process: one id and start time shared by every service in it.
#[derive(Clone, Debug)]
pub struct Instance {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
}

impl Instance {
    pub fn new() -> Self {
        Self {
            id: Uuid::now_v7(),
            started_at: Utc::now(),
        }
    }
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /api/v1/<service>/info`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InfoView {
    pub service: &'static str,
    pub version: &'static str,
    pub instance: Uuid,
    pub started_at: DateTime<Utc>,
}

/// Everything a service gets from the process.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: &'static str,
    pub config: Arc<Config>,
    pub bus: bus::Bus,
    /// Present when the service has a schema.
    pub db: Option<PgPool>,
    /// Present when the service uses ClickHouse.
    pub clickhouse: Option<clickhouse::Client>,
    pub health: Health,
    pub shutdown: CancellationToken,
    pub instance: Instance,
    /// Verifies callers (tokens, signatures); handlers use `runtime::auth::Auth<P>`.
    pub auth: Arc<crate::auth::Authenticator>,
}

impl ServiceContext {
    /// The pool; an error (not a panic) if the service declared no schema.
    pub fn db(&self) -> anyhow::Result<&PgPool> {
        self.db
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("service {} has no database", self.name))
    }

    /// The answer to every service's `GetInfo` RPC.
    pub fn info(&self) -> proto::common::ServiceInfo {
        proto::common::ServiceInfo {
            service: self.name.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            instance: self.instance.id.to_string(),
            started_at: Some(bus::event::timestamp(self.instance.started_at)),
        }
    }

    /// The same, as JSON for the REST `info` endpoints.
    pub fn info_view(&self) -> InfoView {
        InfoView {
            service: self.name,
            version: env!("CARGO_PKG_VERSION"),
            instance: self.instance.id,
            started_at: self.instance.started_at,
        }
    }

    /// Runs the outbox relay of `schema` until shutdown, reporting as component
    /// `outbox` of this service.
    pub async fn run_outbox_relay(&self, schema: bus::SchemaName) -> anyhow::Result<()> {
        let relay = bus::OutboxRelay::new(
            self.db()?.clone(),
            schema,
            bus::Publisher::new(self.bus.jetstream.clone()),
            bus::RelayOptions {
                batch: self.config.bus.outbox_batch,
                idle_poll: std::time::Duration::from_millis(self.config.bus.outbox_poll_ms),
                ..Default::default()
            },
        );
        self.health.track(self.name, "outbox", relay.running());
        relay.run(self.shutdown.clone()).await?;
        Ok(())
    }

    /// A readiness flag for a component of this service, initially false.
    pub fn component(&self, component: &'static str) -> Arc<AtomicBool> {
        self.health.component(self.name, component)
    }

    /// Marks a component ready for as long as the service runs (for services whose
    /// background work is only waiting for shutdown).
    pub fn mark_ready(&self, component: &'static str) {
        self.component(component).store(true, Ordering::Relaxed);
    }
}
