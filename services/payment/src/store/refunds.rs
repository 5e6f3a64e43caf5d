use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub payment_id: Uuid,
    pub out_refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub status: String,
    pub provider_refund_id: Option<String>,
    pub idempotency_key: String,
}

const COLUMNS: &str = "id, tenant_id, payment_id, out_refund_no, amount_fen, reason, status, provider_refund_id, idempotency_key";

pub async fn insert(conn: &mut PgConnection, r: &RefundRow) -> sqlx::Result<(RefundRow, bool)> {
    let inserted = sqlx::query(
        "INSERT INTO payment.refunds (id, tenant_id, payment_id, out_refund_no, amount_fen, reason, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.payment_id)
    .bind(&r.out_refund_no)
    .bind(r.amount_fen)
    .bind(&r.reason)
    .bind(&r.idempotency_key)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.refunds WHERE tenant_id = $1 AND idempotency_key = $2"
    )))
    .bind(r.tenant_id)
    .bind(&r.idempotency_key)
    .fetch_one(conn)
    .await?;
    Ok((row, inserted))
}

/// Refunded or on its way: what a new refund must leave room for.
pub async fn committed_fen(conn: &mut PgConnection, payment: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(amount_fen), 0)::bigint FROM payment.refunds \
         WHERE payment_id = $1 AND status IN ('pending', 'succeeded')",
    )
    .bind(payment)
    .fetch_one(conn)
    .await
}

pub async fn lock_by_out_no(
    conn: &mut PgConnection,
    out_refund_no: &str,
) -> sqlx::Result<Option<RefundRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.refunds WHERE out_refund_no = $1 FOR UPDATE"
    )))
    .bind(out_refund_no)
    .fetch_optional(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    provider_refund_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payment.refunds SET status = $2, provider_refund_id = COALESCE($3, provider_refund_id), \
         updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(provider_refund_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<RefundRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.refunds WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn stale_pending<'c>(
    db: impl PgExecutor<'c>,
    older_than: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> sqlx::Result<Vec<RefundRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.refunds WHERE status = 'pending' AND updated_at < $1 \
         ORDER BY updated_at LIMIT $2"
    )))
    .bind(older_than)
    .bind(limit)
    .fetch_all(db)
    .await
}
