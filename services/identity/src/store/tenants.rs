use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    code: &str,
    name: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO identity.tenants (id, code, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(code)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn by_code<'c>(db: impl PgExecutor<'c>, code: &str) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(
        "SELECT id, code, name, disabled, created_at FROM identity.tenants WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(db)
    .await
}

pub async fn by_id<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as(
        "SELECT id, code, name, disabled, created_at FROM identity.tenants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn set_disabled<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    disabled: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.tenants SET disabled = $2 WHERE id = $1")
        .bind(id)
        .bind(disabled)
        .execute(db)
        .await?;
    Ok(())
}
