use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::ledger::AccountKind;

/// An account as an entry found it: under its lock, or as read for an entry written
/// without one (`journal::write_unlocked`, which checks it has not moved).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Locked {
    pub id: Uuid,
    pub kind: String,
    pub owner_kind: String,
    pub owner_key: String,
    pub balance_fen: i64,
    pub credit_limit_fen: i64,
}

/// The account of `(kind, owner)` (its `shard`: 0 unless the kind is sharded, see
/// `AccountKind::shards`), created on first use.
pub async fn ensure(
    conn: &mut PgConnection,
    tenant: Uuid,
    kind: AccountKind,
    owner_kind: &str,
    owner_key: &str,
    shard: i16,
) -> sqlx::Result<Uuid> {
    // Nearly always there already: a read first spares the insert's speculative work.
    if let Some((id, _, _)) = find(&mut *conn, tenant, kind, owner_kind, owner_key, shard).await? {
        return Ok(id);
    }
    sqlx::query(
        "INSERT INTO payment.accounts (id, tenant_id, kind, owner_kind, owner_key, shard) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant_id, kind, owner_kind, owner_key, shard) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(kind.as_str())
    .bind(owner_kind)
    .bind(owner_key)
    .bind(shard)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "SELECT id FROM payment.accounts \
         WHERE tenant_id = $1 AND kind = $2 AND owner_kind = $3 AND owner_key = $4 AND shard = $5",
    )
    .bind(tenant)
    .bind(kind.as_str())
    .bind(owner_kind)
    .bind(owner_key)
    .bind(shard)
    .fetch_one(conn)
    .await
}

/// The accounts `ids` as they are now, without a lock (those that exist).
pub async fn read<'c>(db: impl PgExecutor<'c>, ids: &[Uuid]) -> sqlx::Result<Vec<Locked>> {
    sqlx::query_as(
        "SELECT id, kind, owner_kind, owner_key, balance_fen, credit_limit_fen \
         FROM payment.accounts WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// The account of `(kind, owner)` and shard if it exists.
pub async fn find<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    kind: AccountKind,
    owner_kind: &str,
    owner_key: &str,
    shard: i16,
) -> sqlx::Result<Option<(Uuid, i64, i64)>> {
    sqlx::query_as(
        "SELECT id, balance_fen, credit_limit_fen FROM payment.accounts \
         WHERE tenant_id = $1 AND kind = $2 AND owner_kind = $3 AND owner_key = $4 AND shard = $5",
    )
    .bind(tenant)
    .bind(kind.as_str())
    .bind(owner_kind)
    .bind(owner_key)
    .bind(shard)
    .fetch_optional(db)
    .await
}

pub async fn set_credit_limit<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    credit_limit_fen: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE payment.accounts SET credit_limit_fen = $2 WHERE id = $1")
        .bind(id)
        .bind(credit_limit_fen)
        .execute(db)
        .await?;
    Ok(())
}
