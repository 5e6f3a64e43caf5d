use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, tenant_id, name, description, permissions, created_at, updated_at";

/// Inserts; `Ok(false)` if the name is taken in the tenant.
pub async fn insert<'c>(db: impl PgExecutor<'c>, r: &RoleRow) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO identity.roles (id, tenant_id, name, description, permissions) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, name) DO NOTHING",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.permissions)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<RoleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.roles WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn by_name<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    name: &str,
) -> sqlx::Result<Option<RoleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.roles WHERE tenant_id = $1 AND name = $2"
    )))
    .bind(tenant)
    .bind(name)
    .fetch_optional(db)
    .await
}

pub async fn list<'c>(db: impl PgExecutor<'c>, tenant: Uuid) -> sqlx::Result<Vec<RoleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.roles WHERE tenant_id = $1 ORDER BY name LIMIT 1000"
    )))
    .bind(tenant)
    .fetch_all(db)
    .await
}

pub async fn update<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    description: Option<&str>,
    permissions: Option<&[String]>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE identity.roles SET description = COALESCE($3, description), \
         permissions = COALESCE($4, permissions), updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(description)
    .bind(permissions)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM identity.roles WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The tenant of role `id` (platform administrators address roles of any tenant).
pub async fn tenant_of<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT tenant_id FROM identity.roles WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}
