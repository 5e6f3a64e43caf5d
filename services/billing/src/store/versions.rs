use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub tenant_id: Uuid,
    pub tariff_id: Uuid,
    pub version: i32,
    pub effective_from: DateTime<Utc>,
    /// pricing::Tariff as stored; read back with `domain::tariff::from_stored`.
    pub body: Json<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "tenant_id, tariff_id, version, effective_from, body, created_by, created_at";

pub async fn insert<'c>(db: impl PgExecutor<'c>, v: &VersionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO billing.tariff_versions (tenant_id, tariff_id, version, effective_from, body, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(v.tenant_id)
    .bind(v.tariff_id)
    .bind(v.version)
    .bind(v.effective_from)
    .bind(&v.body)
    .bind(&v.created_by)
    .bind(v.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The highest version number so far (0 for none).
pub async fn latest_number<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    tariff: Uuid,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "SELECT COALESCE(max(version), 0) FROM billing.tariff_versions WHERE tenant_id = $1 AND tariff_id = $2",
    )
    .bind(tenant)
    .bind(tariff)
    .fetch_one(db)
    .await
}

/// Every version of a tariff, oldest first.
pub async fn all<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    tariff: Uuid,
) -> sqlx::Result<Vec<VersionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.tariff_versions WHERE tenant_id = $1 AND tariff_id = $2 ORDER BY version"
    )))
    .bind(tenant)
    .bind(tariff)
    .fetch_all(db)
    .await
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    tariff: Uuid,
    version: i32,
) -> sqlx::Result<Option<VersionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.tariff_versions WHERE tenant_id = $1 AND tariff_id = $2 AND version = $3"
    )))
    .bind(tenant)
    .bind(tariff)
    .bind(version)
    .fetch_optional(db)
    .await
}
