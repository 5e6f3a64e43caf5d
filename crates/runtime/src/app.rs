//! The lifecycle of a `pylon run` process: connect the dependencies, mount every enabled
//! service on one HTTP and one gRPC port, run their background work, and on SIGTERM
//! drain and exit within the grace period.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::grpc::GrpcRoutes;
use crate::http::health::{ClickHouseProbe, Health, NatsProbe, PostgresProbe};
use crate::service::{Instance, Service, ServiceContext};

/// Declares the platform's streams with the configured duplicate windows (at every
/// start and by `pylon migrate`).
pub async fn declare_streams(cfg: &Config, bus: &bus::Bus) -> anyhow::Result<()> {
    let specs = bus::platform_streams(
        &bus.namespace,
        Duration::from_secs(cfg.bus.duplicate_window_secs),
        Duration::from_secs(cfg.bus.device_duplicate_window_secs),
    );
    bus::ensure_streams(&bus.jetstream, &specs)
        .await
        .context("declaring JetStream streams (is JetStream enabled on the NATS server?)")
}

/// Connects to NATS, failing with the address named when it is unreachable.
pub async fn connect_nats(cfg: &Config) -> anyhow::Result<bus::Bus> {
    let mut opts = async_nats::ConnectOptions::new()
        .name("pylon")
        .connection_timeout(Duration::from_secs(cfg.nats.connect_timeout_secs))
        // Reconnect forever: an outage makes us unready, not dead.
        .max_reconnects(None);
    if !cfg.nats.credentials_file.is_empty() {
        opts = opts
            .credentials_file(&cfg.nats.credentials_file)
            .await
            .with_context(|| {
                format!(
                    "reading nats.credentials_file {}",
                    cfg.nats.credentials_file
                )
            })?;
    }
    let client = opts
        .connect(cfg.nats.url.as_str())
        .await
        .with_context(|| format!("connecting to NATS at {} (nats.url)", cfg.nats.url))?;
    Ok(bus::Bus::new(client, cfg.namespace()))
}

/// Applies every migration of `services` (PostgreSQL schemas and ClickHouse).
pub async fn migrate(cfg: &Config, services: &[Arc<dyn Service>]) -> anyhow::Result<()> {
    for svc in services {
        if let Some(schema) = svc.schema() {
            let migrator = bus::schema::with_bus_tables(svc.migrator());
            crate::db::migrate(&cfg.database, schema, &migrator).await?;
            tracing::info!(service = svc.name(), %schema, "postgres schema migrated");
        }
        if svc.uses_clickhouse() {
            crate::clickhouse::migrate(&cfg.clickhouse, svc.clickhouse_migrations()).await?;
            tracing::info!(service = svc.name(), database = %cfg.clickhouse.database, "clickhouse migrated");
        }
    }
    Ok(())
}

/// Addresses a running process serves on.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
}

/// Runs `services` until `stop` is cancelled (the binary cancels it on SIGTERM/SIGINT) or
/// one of them fails. Returns the first failure.
pub async fn run(
    config: Config,
    services: Vec<Arc<dyn Service>>,
    stop: CancellationToken,
    on_bound: impl FnOnce(Bound),
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let names: Vec<&str> = services.iter().map(|s| s.name()).collect();
    let bus = connect_nats(&config).await?;
    declare_streams(&config, &bus).await?;

    // Stops the authenticator's background work (JWKS refresh, app registry watch).
    let auth_stop = CancellationToken::new();
    let _auth_stop_guard = auth_stop.clone().drop_guard();
    let auth = crate::auth::Authenticator::start(&config, &bus, auth_stop)
        .await
        .context("starting the authenticator (NATS KV buckets for apps and nonces)")?;
    if config.auth.jwks_url.is_empty() && !names.contains(&"identity") {
        tracing::warn!(
            "auth.jwks_url is empty and identity does not run in this process: protected endpoints will answer 503"
        );
    }

    if config.database.migrate_on_start {
        migrate(&config, &services).await?;
    }

    let health = Health::default();
    health.add_dependency("nats", Arc::new(NatsProbe(bus.client.clone())));
    let db = if services.iter().any(|s| s.schema().is_some()) {
        let pool = crate::db::pool(&config.database)?;
        health.add_dependency("postgres", Arc::new(PostgresProbe(pool.clone())));
        Some(pool)
    } else {
        None
    };
    let ch = if services.iter().any(|s| s.uses_clickhouse()) {
        let client = crate::clickhouse::client(&config.clickhouse);
        health.add_dependency("clickhouse", Arc::new(ClickHouseProbe(client.clone())));
        Some(client)
    } else {
        None
    };

    // Services stop on `shutdown`; servers stop after them so in-flight requests finish.
    let shutdown = CancellationToken::new();
    let instance = Instance::new();
    let mut router = Router::new();
    let mut grpc = GrpcRoutes::default();
    let mut tasks: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
    for svc in &services {
        let name = svc.name();
        health.add_service(name);
        let ctx = ServiceContext {
            name,
            config: config.clone(),
            bus: bus.clone(),
            db: svc.schema().and(db.clone()),
            clickhouse: if svc.uses_clickhouse() {
                ch.clone()
            } else {
                None
            },
            health: health.clone(),
            shutdown: shutdown.clone(),
            instance: instance.clone(),
            auth: auth.clone(),
        };
        router = router.merge(svc.http(&ctx));
        svc.grpc(&ctx, &mut grpc);
        let work = svc.run(ctx);
        tasks.spawn(async move { (name, work.await) });
    }

    let http_listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("binding http.listen {}", config.http.listen))?;
    let grpc_listener = tokio::net::TcpListener::bind(config.grpc.listen)
        .await
        .with_context(|| format!("binding grpc.listen {}", config.grpc.listen))?;
    let bound = Bound {
        http: http_listener.local_addr()?,
        grpc: grpc_listener.local_addr()?,
    };
    tracing::info!(services = ?names, http = %bound.http, grpc = %bound.grpc, instance = %instance.id, "pylon serving");
    on_bound(bound);

    let servers_stop = CancellationToken::new();
    let mut servers: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let router = crate::auth::layer(router, auth.clone());
    let app = crate::http::server::app(router, &health, &config.http);
    let stop_http = servers_stop.clone();
    servers
        .spawn(async move { Ok(crate::http::server::serve(http_listener, app, stop_http).await?) });
    servers.spawn(crate::grpc::serve(
        grpc_listener,
        grpc,
        servers_stop.clone(),
    ));

    // Wait for the stop signal or the first failure.
    let mut failure: Option<anyhow::Error> = None;
    tokio::select! {
        _ = stop.cancelled() => tracing::info!("stopping: draining requests, stopping consumers, flushing outboxes"),
        Some(res) = tasks.join_next() => {
            failure = Some(task_failure(res));
        }
        Some(res) = servers.join_next() => {
            failure = Some(match res {
                Ok(Ok(())) => anyhow::anyhow!("a server stopped unexpectedly"),
                Ok(Err(e)) => e,
                Err(e) => e.into(),
            });
        }
    }
    if let Some(e) = &failure {
        tracing::error!(error = %format!("{e:#}"), "stopping after a failure");
    }

    // Budget: services (consumers, relays) first, then the servers finish in-flight
    // requests. Idle keep-alive connections (a gRPC channel a client holds open) would
    // hold a graceful server forever, so each phase is bounded and the process is gone
    // about a second before the grace period ends.
    let grace = Duration::from_secs(config.shutdown.grace_secs);
    let deadline = tokio::time::Instant::now() + grace.saturating_sub(Duration::from_secs(1));
    shutdown.cancel();
    let services_done = async {
        while let Some(res) = tasks.join_next().await {
            if let Ok((name, Err(e))) = &res {
                tracing::error!(service = name, error = %format!("{e:#}"), "service failed while stopping");
            }
        }
    };
    let services_deadline = deadline - grace / 4;
    if tokio::time::timeout_at(services_deadline, services_done)
        .await
        .is_err()
    {
        tracing::warn!(
            "services did not stop in time; the outbox publishes the rest at the next start"
        );
    }
    servers_stop.cancel();
    let servers_done = async { while servers.join_next().await.is_some() {} };
    if tokio::time::timeout_at(deadline, servers_done)
        .await
        .is_err()
    {
        tracing::warn!("connections still open at the end of the grace period; closing them");
    }
    if let Some(pool) = db {
        pool.close().await;
    }
    bus.client.flush().await.ok();
    tracing::info!("stopped");
    failure.map_or(Ok(()), Err)
}

fn task_failure(
    res: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>,
) -> anyhow::Error {
    match res {
        Ok((name, Ok(()))) => anyhow::anyhow!("service {name} stopped unexpectedly"),
        Ok((name, Err(e))) => e.context(format!("service {name} failed")),
        Err(e) => anyhow::anyhow!("a service task panicked: {e}"),
    }
}

/// A token cancelled on SIGTERM or SIGINT.
pub fn stop_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM received"),
                        _ = int.recv() => tracing::info!("SIGINT received"),
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        t.cancel();
    });
    token
}
