use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub provider: String,
    pub out_trade_no: String,
    pub purpose: String,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub order_ref: String,
    pub amount_fen: i64,
    pub description: String,
    pub channel: String,
    pub status: String,
    pub provider_txn_id: Option<String>,
    pub failure: Option<String>,
    pub client_params: serde_json::Value,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, tenant_id, provider, out_trade_no, purpose, owner_kind, owner_id, order_ref, \
    amount_fen, description, channel, status, provider_txn_id, failure, client_params, idempotency_key, \
    created_at, paid_at";

/// Inserts a new payment unless the tenant used `idempotency_key` before; returns the
/// row for the key either way (and whether it is new).
pub async fn insert(conn: &mut PgConnection, p: &PaymentRow) -> sqlx::Result<(PaymentRow, bool)> {
    let inserted = sqlx::query(
        "INSERT INTO payment.payments (id, tenant_id, provider, out_trade_no, purpose, owner_kind, owner_id, \
         order_ref, amount_fen, description, channel, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
    )
    .bind(p.id)
    .bind(p.tenant_id)
    .bind(&p.provider)
    .bind(&p.out_trade_no)
    .bind(&p.purpose)
    .bind(&p.owner_kind)
    .bind(p.owner_id)
    .bind(&p.order_ref)
    .bind(p.amount_fen)
    .bind(&p.description)
    .bind(&p.channel)
    .bind(&p.idempotency_key)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE tenant_id = $1 AND idempotency_key = $2"
    )))
    .bind(p.tenant_id)
    .bind(&p.idempotency_key)
    .fetch_one(conn)
    .await?;
    Ok((row, inserted))
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the payment a provider names by its `out_trade_no`.
pub async fn lock_by_out_no(
    conn: &mut PgConnection,
    provider: &str,
    out_trade_no: &str,
) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE provider = $1 AND out_trade_no = $2 FOR UPDATE"
    )))
    .bind(provider)
    .bind(out_trade_no)
    .fetch_optional(conn)
    .await
}

pub async fn opened(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    client_params: &serde_json::Value,
    failure: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payment.payments SET status = $2, client_params = $3, failure = $4, updated_at = now() \
         WHERE id = $1 AND status = 'created'",
    )
    .bind(id)
    .bind(status)
    .bind(client_params)
    .bind(failure)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    provider_txn_id: Option<&str>,
    paid_at: Option<DateTime<Utc>>,
    failure: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE payment.payments SET status = $2, provider_txn_id = COALESCE($3, provider_txn_id), \
         paid_at = COALESCE($4, paid_at), failure = COALESCE($5, failure), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(provider_txn_id)
    .bind(paid_at)
    .bind(failure)
    .execute(conn)
    .await?;
    Ok(())
}

/// Open payments not touched for `older_than`: the reconciler asks their provider.
pub async fn stale_open<'c>(
    db: impl PgExecutor<'c>,
    older_than: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE status IN ('created', 'pending') \
         AND updated_at < $1 ORDER BY updated_at LIMIT $2"
    )))
    .bind(older_than)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn list_for_owner<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    owner_kind: &str,
    owner_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE tenant_id = $1 AND owner_kind = $2 AND owner_id = $3 \
         ORDER BY created_at DESC LIMIT $4 OFFSET $5"
    )))
    .bind(tenant)
    .bind(owner_kind)
    .bind(owner_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Payments created in `[from, to)`, for the audit against the provider.
pub async fn in_window<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.payments WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 \
         ORDER BY created_at LIMIT 10000"
    )))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}
