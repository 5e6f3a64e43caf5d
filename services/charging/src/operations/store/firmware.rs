//! `charging.firmware_images`: uploaded DNY images.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// An image without its bytes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImageMeta {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub size_bytes: i32,
    pub byte_sum: i64,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert<'c>(db: impl PgExecutor<'c>, m: &ImageMeta, image: &[u8]) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.firmware_images (id, tenant_id, name, size_bytes, byte_sum, image, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(m.id)
    .bind(m.tenant_id)
    .bind(&m.name)
    .bind(m.size_bytes)
    .bind(m.byte_sum)
    .bind(image)
    .bind(&m.uploaded_by)
    .bind(m.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn meta<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ImageMeta>> {
    sqlx::query_as(
        "SELECT id, tenant_id, name, size_bytes, byte_sum, uploaded_by, created_at \
         FROM charging.firmware_images WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

/// The bytes the gateway sends.
pub async fn image<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT image FROM charging.firmware_images WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}
