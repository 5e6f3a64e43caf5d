//! A scratch PostgreSQL database for one benchmark run: created next to the configured
//! `database.url` (the role needs CREATEDB) and dropped at the end, so a run never
//! touches real data and leaves nothing behind.

use anyhow::Context as _;
use sqlx::{Connection, PgConnection};

pub struct Scratch {
    /// The configured database: where `CREATE`/`DROP DATABASE` are issued from.
    admin_url: String,
    /// `pylon_bench_<12 hex>`, unique per run so runs can overlap.
    name: String,
    /// The scratch database's URL, for the benchmark's configuration.
    pub url: String,
}

impl Scratch {
    pub async fn create(config: &runtime::Config) -> anyhow::Result<Self> {
        let admin_url = config.database.url.expose().to_owned();
        let name = format!(
            "pylon_bench_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut c = PgConnection::connect(&admin_url)
            .await
            .context("connecting to database.url")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .context("creating the scratch database (needs CREATEDB)")?;
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .context("database.url has no database name")?;
        Ok(Self {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        })
    }

    /// Best effort: a failure to drop must not hide the benchmark's own result.
    pub async fn drop_db(&self) {
        if let Ok(mut c) = PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut c)
            .await;
        }
    }
}
