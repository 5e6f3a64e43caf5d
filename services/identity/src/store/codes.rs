use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: Uuid,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
    pub expires_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    tenant: Uuid,
    phone: &str,
    purpose: &str,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity.one_time_codes (id, tenant_id, phone, purpose, code_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(tenant)
    .bind(phone)
    .bind(purpose)
    .bind(hash)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Codes sent to `phone` since `since` (for `purpose`, or any when `None`).
pub async fn sent_since<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    phone: &str,
    purpose: Option<&str>,
    since: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM identity.one_time_codes WHERE tenant_id = $1 AND phone = $2 \
         AND ($3::text IS NULL OR purpose = $3) AND created_at > $4",
    )
    .bind(tenant)
    .bind(phone)
    .bind(purpose)
    .bind(since)
    .fetch_one(db)
    .await
}

/// The newest unconsumed, unexpired code for the purpose, locked.
pub async fn latest_for_update<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    phone: &str,
    purpose: &str,
) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(
        "SELECT id, code_hash, attempts, expires_at FROM identity.one_time_codes \
         WHERE tenant_id = $1 AND phone = $2 AND purpose = $3 AND consumed_at IS NULL AND expires_at > now() \
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(phone)
    .bind(purpose)
    .fetch_optional(db)
    .await
}

pub async fn bump_attempts<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.one_time_codes SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn consume<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.one_time_codes SET consumed_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn prune<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM identity.one_time_codes WHERE expires_at < now() - interval '1 day'",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
