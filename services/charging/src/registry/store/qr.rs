//! `charging.ports` with their `charging.qr_codes`.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PortRow {
    pub number: i16,
    pub qr_code: Option<String>,
}

pub async fn ports<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    device: Uuid,
) -> sqlx::Result<Vec<PortRow>> {
    sqlx::query_as(
        "SELECT p.number, q.code AS qr_code FROM charging.ports p \
         LEFT JOIN charging.qr_codes q ON q.device_id = p.device_id AND q.port = p.number \
         WHERE p.tenant_id = $1 AND p.device_id = $2 ORDER BY p.number",
    )
    .bind(tenant)
    .bind(device)
    .fetch_all(db)
    .await
}

pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    device: Uuid,
    port: i16,
    code: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.qr_codes (code, tenant_id, device_id, port, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(code)
    .bind(tenant)
    .bind(device)
    .bind(port)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// What a code resolves to.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Resolved {
    pub tenant_id: Uuid,
    pub device_id: String,
    pub protocol: String,
    pub status: String,
    pub node_path: String,
    pub port: i16,
    pub site_id: Option<Uuid>,
    pub site_name: Option<String>,
    pub site_address: Option<String>,
    pub site_opening_hours: Option<String>,
}

/// Resolves a code. Unlike the other lookups this one is by the code alone: the code is
/// the scanner's only input; the caller's tenant is checked on the result.
pub async fn resolve<'c>(db: impl PgExecutor<'c>, code: &str) -> sqlx::Result<Option<Resolved>> {
    sqlx::query_as(
        "SELECT q.tenant_id, d.device_id, d.protocol, d.status, d.node_path, q.port, \
         s.id AS site_id, s.name AS site_name, s.address AS site_address, s.opening_hours AS site_opening_hours \
         FROM charging.qr_codes q JOIN charging.devices d ON d.id = q.device_id AND d.tenant_id = q.tenant_id \
         LEFT JOIN charging.sites s ON s.id = d.site_id AND s.tenant_id = q.tenant_id \
         WHERE q.code = $1",
    )
    .bind(code)
    .fetch_optional(db)
    .await
}
