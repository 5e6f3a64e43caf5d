use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

use super::TenantScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub order_ref: String,
    pub node_path: String,
    pub payer_id: Option<String>,
    pub tariff_id: Uuid,
    pub tariff_version: i32,
    /// pricing::SessionFacts as rated.
    pub facts: Json<serde_json::Value>,
    pub session_start: DateTime<Utc>,
    pub session_end: DateTime<Utc>,
    pub total_fen: i64,
    pub currency: String,
    pub device_reported_fen: Option<i64>,
    pub difference_fen: i64,
    pub tolerance_fen: i64,
    pub flagged: bool,
    pub issued_at: DateTime<Utc>,
}

/// One line of a bill: its position, the columns reports filter on, and the line
/// exactly as the engine produced it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub bill_id: Uuid,
    pub position: i32,
    pub component: String,
    pub period: Option<String>,
    pub amount_fen: i64,
    /// pricing::LineItem as JSON.
    pub item: Json<serde_json::Value>,
}

const COLS: &str = "id, tenant_id, order_ref, node_path, payer_id, tariff_id, tariff_version, facts, \
    session_start, session_end, total_fen, currency, device_reported_fen, difference_fen, \
    tolerance_fen, flagged, issued_at";

/// Issues a bill in one statement: the bill unless its order already has one, its
/// lines and its `bill.issued` outbox row (bound by `bus::Outbox::bind_event`) only
/// when the bill was inserted. `false` when the order had a bill (nothing written).
pub async fn issue<'c>(
    db: impl PgExecutor<'c>,
    b: &BillRow,
    items: &[ItemRow],
    issued: &bus::OutgoingEvent,
) -> sqlx::Result<bool> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "WITH bill AS (INSERT INTO billing.bills (id, tenant_id, order_ref, node_path, payer_id, \
             tariff_id, tariff_version, facts, session_start, session_end, total_fen, currency, \
             device_reported_fen, difference_fen, tolerance_fen, flagged, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (tenant_id, order_ref) DO NOTHING RETURNING id, tenant_id), \
             lines AS (INSERT INTO billing.bill_items (tenant_id, bill_id, position, component, period, amount_fen, item) \
             SELECT bill.tenant_id, bill.id, l.* FROM bill, \
             unnest($18::int[], $19::text[], $20::text[], $21::bigint[], $22::jsonb[]) AS l) {}",
            bus::Outbox::new(crate::SCHEMA).insert_per_row("bill", 23)
        )
    });
    let positions: Vec<i32> = items.iter().map(|i| i.position).collect();
    let components: Vec<&str> = items.iter().map(|i| i.component.as_str()).collect();
    let periods: Vec<Option<&str>> = items.iter().map(|i| i.period.as_deref()).collect();
    let amounts: Vec<i64> = items.iter().map(|i| i.amount_fen).collect();
    let bodies: Vec<Json<&serde_json::Value>> = items.iter().map(|i| Json(&i.item.0)).collect();
    let query = sqlx::query(SQL.as_str())
        .bind(b.id)
        .bind(b.tenant_id)
        .bind(&b.order_ref)
        .bind(&b.node_path)
        .bind(&b.payer_id)
        .bind(b.tariff_id)
        .bind(b.tariff_version)
        .bind(&b.facts)
        .bind(b.session_start)
        .bind(b.session_end)
        .bind(b.total_fen)
        .bind(&b.currency)
        .bind(b.device_reported_fen)
        .bind(b.difference_fen)
        .bind(b.tolerance_fen)
        .bind(b.flagged)
        .bind(b.issued_at)
        .bind(&positions)
        .bind(&components)
        .bind(&periods)
        .bind(&amounts)
        .bind(&bodies);
    let done = bus::Outbox::bind_event(query, issued).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<BillRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.bills WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

pub async fn by_order<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    order_ref: &str,
) -> sqlx::Result<Option<BillRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.bills WHERE tenant_id = $1 AND order_ref = $2"
    )))
    .bind(tenant)
    .bind(order_ref)
    .fetch_optional(db)
    .await
}

/// Several bills of one tenant by id (those that exist).
pub async fn many<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<BillRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.bills WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY issued_at, id"
    )))
    .bind(tenant)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// The lines of these bills, by bill and position.
pub async fn items<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    bills: &[Uuid],
) -> sqlx::Result<Vec<ItemRow>> {
    sqlx::query_as(
        "SELECT bill_id, position, component, period, amount_fen, item FROM billing.bill_items \
         WHERE tenant_id = $1 AND bill_id = ANY($2::uuid[]) ORDER BY bill_id, position",
    )
    .bind(tenant)
    .bind(bills)
    .fetch_all(db)
    .await
}

/// Filters for listing bills.
#[derive(Debug, Default)]
pub struct BillFilter {
    pub tenant: Option<Uuid>,
    /// Only at or below one of these paths; `None`: no restriction.
    pub prefixes: Option<Vec<String>>,
    pub order_ref: Option<String>,
    pub payer_id: Option<String>,
    pub flagged: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const FILTER: &str = "($1::uuid IS NULL OR tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
    AND ($3::text IS NULL OR order_ref = $3) \
    AND ($4::text IS NULL OR payer_id = $4) \
    AND ($5::boolean IS NULL OR flagged = $5) \
    AND ($6::timestamptz IS NULL OR issued_at >= $6) \
    AND ($7::timestamptz IS NULL OR issued_at < $7)";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &BillFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<BillRow>, i64)> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.bills WHERE {FILTER} ORDER BY issued_at DESC, id DESC LIMIT $8 OFFSET $9"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.order_ref)
    .bind(&f.payer_id)
    .bind(f.flagged)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM billing.bills WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.order_ref)
    .bind(&f.payer_id)
    .bind(f.flagged)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
