//! PostgreSQL: one pool per process, one schema per service, each schema with its own
//! migration history (the bus tables first, then the service's own migrations).

use std::time::Duration;

use anyhow::Context as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::config::DatabaseConfig;

/// The process's pool. Lazy: the process starts even while PostgreSQL is down, and
/// `/readyz` says so until it is back.
pub fn pool(cfg: &DatabaseConfig) -> anyhow::Result<PgPool> {
    Ok(pool_options(cfg, cfg.max_connections).connect_lazy_with(connect_options(cfg)?))
}

fn connect_options(cfg: &DatabaseConfig) -> anyhow::Result<PgConnectOptions> {
    let opts: PgConnectOptions = cfg
        .url
        .expose()
        .parse()
        .context("database.url is not a valid PostgreSQL URL")?;
    Ok(opts.application_name("pylon"))
}

fn pool_options(cfg: &DatabaseConfig, max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
        // sqlx would otherwise ping every idle connection it hands out: a round trip to
        // PostgreSQL before each statement, on the caller's path. A connection that
        // broke while idle fails its statement instead, which every caller already
        // handles (consumers redeliver, the API answers 503); sqlx still tests each
        // connection when it comes back to the pool.
        .test_before_acquire(false)
}

/// A pool for a service's hot statements on partitioned tables: its sessions use a
/// prepared statement's generic plan from the first execution on (`plan_cache_mode =
/// force_generic_plan`, set at connection start). PostgreSQL otherwise keeps planning
/// such a statement afresh on every execution (a custom plan, pruned to the partition
/// named by the parameters, looks cheaper than the generic one that prunes when it
/// runs), which costs more than the statement itself when it reads or writes one row
/// by key. Only statements whose generic plan was checked belong on it: one with
/// optional filters (`$n IS NULL OR …`) can get a generic plan that scans.
pub fn pool_with_generic_plans(
    cfg: &DatabaseConfig,
    max_connections: u32,
) -> anyhow::Result<PgPool> {
    let opts = connect_options(cfg)?.options([("plan_cache_mode", "force_generic_plan")]);
    Ok(pool_options(cfg, max_connections).connect_lazy_with(opts))
}

/// Applies `migrator` inside `schema` (created if missing). Runs on its own connection
/// whose `search_path` is the schema, so the migration history lives in the schema too.
pub async fn migrate(
    cfg: &DatabaseConfig,
    schema: bus::SchemaName,
    migrator: &Migrator,
) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(cfg.url.expose())
        .await
        .context("connecting to PostgreSQL (database.url) to migrate")?;
    sqlx::query(schema.sql("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating schema {schema}"))?;
    sqlx::query(schema.sql("SET search_path TO {schema}"))
        .execute(&mut conn)
        .await?;
    // `run_direct` rather than `run`: `run`'s `Acquire` bound makes this future (and so
    // `app::run`'s) not provably `Send`, so the app could not be spawned on a runtime.
    migrator
        .run_direct(None, &mut conn, false)
        .await
        .with_context(|| format!("migrating schema {schema}"))?;
    conn.close().await.ok();
    Ok(())
}
