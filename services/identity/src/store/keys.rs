use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// The signing key: the newest one not retired.
pub async fn current<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<Option<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, created_at, retired_at FROM identity.signing_keys \
         WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}

/// Keys to publish: unretired ones and those retired after `since`.
pub async fn published<'c>(
    db: impl PgExecutor<'c>,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, created_at, retired_at FROM identity.signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC",
    )
    .bind(since)
    .fetch_all(db)
    .await
}

/// Adds `kid` and retires every other key.
pub async fn insert_and_retire_others(
    db: &mut sqlx::PgConnection,
    kid: &str,
    der: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.signing_keys SET retired_at = now() WHERE retired_at IS NULL")
        .execute(&mut *db)
        .await?;
    sqlx::query("INSERT INTO identity.signing_keys (kid, private_der) VALUES ($1, $2)")
        .bind(kid)
        .bind(der)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Deletes keys retired before `before` (no valid token can carry them).
pub async fn prune<'c>(db: impl PgExecutor<'c>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM identity.signing_keys WHERE retired_at < $1")
        .bind(before)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Serializes key creation between replicas (transaction-scoped advisory lock).
pub async fn lock<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('identity.signing_keys'))")
        .execute(db)
        .await?;
    Ok(())
}
