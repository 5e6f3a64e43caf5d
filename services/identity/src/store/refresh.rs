use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    family: Uuid,
    tenant: Uuid,
    user: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity.refresh_tokens (id, family_id, tenant_id, user_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(family)
    .bind(tenant)
    .bind(user)
    .bind(hash)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The token with this hash, locked (two refreshes with one token serialize here).
pub async fn by_hash_for_update<'c>(
    db: impl PgExecutor<'c>,
    hash: &[u8],
) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(
        "SELECT id, family_id, tenant_id, user_id, expires_at, rotated_at, revoked_at \
         FROM identity.refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
}

pub async fn mark_rotated<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.refresh_tokens SET rotated_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn revoke_family<'c>(
    db: impl PgExecutor<'c>,
    family: Uuid,
    reason: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE identity.refresh_tokens SET revoked_at = now(), revoke_reason = $2 \
         WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn revoke_user<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    user: Uuid,
    reason: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE identity.refresh_tokens SET revoked_at = now(), revoke_reason = $3 \
         WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant)
    .bind(user)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes tokens expired for a day; returns how many.
pub async fn prune<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM identity.refresh_tokens WHERE expires_at < now() - interval '1 day'",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
