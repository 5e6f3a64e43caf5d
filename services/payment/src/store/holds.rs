use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HoldRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub wallet_id: Uuid,
    pub held_id: Uuid,
    pub order_ref: String,
    pub amount_fen: i64,
    pub captured_fen: i64,
    pub released_fen: i64,
    pub status: String,
}

const COLUMNS: &str =
    "id, tenant_id, wallet_id, held_id, order_ref, amount_fen, captured_fen, released_fen, status";

pub async fn insert(conn: &mut PgConnection, h: &HoldRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payment.holds (id, tenant_id, wallet_id, held_id, order_ref, amount_fen) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(h.id)
    .bind(h.tenant_id)
    .bind(h.wallet_id)
    .bind(h.held_id)
    .bind(&h.order_ref)
    .bind(h.amount_fen)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HoldRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.holds WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the hold for settling (before its accounts: the same order everywhere).
pub async fn lock(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HoldRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.holds WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn settle(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    captured_fen: i64,
    released_fen: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payment.holds SET status = $2, captured_fen = $3, released_fen = $4, settled_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(captured_fen)
    .bind(released_fen)
    .execute(conn)
    .await?;
    Ok(())
}
