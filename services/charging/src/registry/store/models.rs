//! `charging.device_models`.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ModelRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub protocol: String,
    pub port_count: i16,
    pub max_power_w: i32,
    pub created_at: DateTime<Utc>,
}

macro_rules! cols {
    () => {
        "id, tenant_id, name, protocol, port_count, max_power_w, created_at"
    };
}

pub async fn insert<'c>(db: impl PgExecutor<'c>, m: &ModelRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.device_models (id, tenant_id, name, protocol, port_count, max_power_w, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.id)
    .bind(m.tenant_id)
    .bind(&m.name)
    .bind(&m.protocol)
    .bind(m.port_count)
    .bind(m.max_power_w)
    .bind(m.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ModelRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.device_models WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

/// By name (CSV rows name their model).
pub async fn by_name<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    name: &str,
) -> sqlx::Result<Option<ModelRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.device_models WHERE tenant_id = $1 AND name = $2"
    ))
    .bind(tenant)
    .bind(name)
    .fetch_optional(db)
    .await
}

/// Every model of the tenant (a tenant has tens, not thousands), by name.
pub async fn list<'c>(db: impl PgExecutor<'c>, tenant: Uuid) -> sqlx::Result<Vec<ModelRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.device_models WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(tenant)
    .fetch_all(db)
    .await
}
