//! ClickHouse for analytics. The server in tests is Debian's 18.16: the client runs with
//! validation off (it asks for a setting 18.16 lacks), and migrations use only what that
//! version has (MergeTree family, materialized views, `DateTime`).

use anyhow::Context as _;

use crate::config::ClickHouseConfig;

/// A versioned piece of ClickHouse DDL. Statements are separated by `;` on a line end.
#[derive(Debug, Clone, Copy)]
pub struct ChMigration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

fn base(cfg: &ClickHouseConfig) -> clickhouse::Client {
    let c = clickhouse::Client::default()
        .with_url(&cfg.url)
        .with_user(&cfg.user)
        .with_validation(false);
    if cfg.password.expose().is_empty() {
        c
    } else {
        c.with_password(cfg.password.expose())
    }
}

/// A client bound to the configured database.
pub fn client(cfg: &ClickHouseConfig) -> clickhouse::Client {
    base(cfg).with_database(&cfg.database)
}

/// Creates the database and applies the migrations not yet recorded in
/// `<db>.schema_migrations`. DDL should be `IF NOT EXISTS` so a concurrent run is harmless.
pub async fn migrate(cfg: &ClickHouseConfig, migrations: &[ChMigration]) -> anyhow::Result<()> {
    let db = &cfg.database;
    let admin = base(cfg);
    admin
        .query(&format!("CREATE DATABASE IF NOT EXISTS {db}"))
        .execute()
        .await
        .with_context(|| format!("creating ClickHouse database {db} at {}", cfg.url))?;
    admin
        .query(&format!(
            "CREATE TABLE IF NOT EXISTS {db}.schema_migrations \
             (version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version"
        ))
        .execute()
        .await
        .context("creating schema_migrations")?;
    let applied: Vec<u32> = admin
        .query(&format!("SELECT version FROM {db}.schema_migrations"))
        .fetch_all()
        .await
        .context("reading schema_migrations")?;
    let mut pending: Vec<&ChMigration> = migrations
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect();
    pending.sort_by_key(|m| m.version);
    for m in pending {
        for stmt in m.sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            let stmt = stmt.trim_end_matches(';').replace("{db}", db);
            admin
                .query(&stmt)
                .execute()
                .await
                .with_context(|| format!("ClickHouse migration {} {}", m.version, m.name))?;
        }
        admin
            .query(&format!(
                "INSERT INTO {db}.schema_migrations (version, name, applied_at) VALUES (?, ?, now())"
            ))
            .bind(m.version)
            .bind(m.name)
            .execute()
            .await
            .context("recording ClickHouse migration")?;
    }
    Ok(())
}
