use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::TenantScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRequestRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_path: String,
    pub requested_by: String,
    pub title_kind: String,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: String,
    pub total_fen: i64,
    pub created_at: DateTime<Utc>,
}

/// A bill inside a request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestBillRow {
    pub request_id: Uuid,
    pub bill_id: Uuid,
    pub order_ref: String,
    pub amount_fen: i64,
}

const COLS: &str = "id, tenant_id, node_path, requested_by, title_kind, title, tax_id, email, total_fen, created_at";

/// The unique constraint that keeps a bill in one request only.
pub const BILL_TAKEN: &str = "invoice_request_bills_tenant_id_bill_id_key";

pub async fn insert<'c>(db: impl PgExecutor<'c>, r: &InvoiceRequestRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO billing.invoice_requests (id, tenant_id, node_path, requested_by, title_kind, \
         title, tax_id, email, total_fen, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(&r.node_path)
    .bind(&r.requested_by)
    .bind(&r.title_kind)
    .bind(&r.title)
    .bind(&r.tax_id)
    .bind(&r.email)
    .bind(r.total_fen)
    .bind(r.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Adds one bill to a request; fails with [`BILL_TAKEN`] when another request has it.
pub async fn add_bill<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    request: Uuid,
    bill: Uuid,
    amount_fen: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO billing.invoice_request_bills (tenant_id, request_id, bill_id, amount_fen) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant)
    .bind(request)
    .bind(bill)
    .bind(amount_fen)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<InvoiceRequestRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.invoice_requests WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// The bills of these requests, with their orders. The ids come from a query that
/// already applied the caller's tenant, so this one need not repeat it.
pub async fn bills_of<'c>(
    db: impl PgExecutor<'c>,
    requests: &[Uuid],
) -> sqlx::Result<Vec<RequestBillRow>> {
    sqlx::query_as(
        "SELECT rb.request_id, rb.bill_id, b.order_ref, rb.amount_fen \
         FROM billing.invoice_request_bills rb \
         JOIN billing.bills b ON b.tenant_id = rb.tenant_id AND b.id = rb.bill_id \
         WHERE rb.request_id = ANY($1::uuid[]) ORDER BY rb.request_id, b.issued_at, b.id",
    )
    .bind(requests)
    .fetch_all(db)
    .await
}

/// Filters for listing (and exporting) requests.
#[derive(Debug, Default)]
pub struct RequestFilter {
    pub tenant: Option<Uuid>,
    /// Only at or below one of these paths; `None`: no restriction.
    pub prefixes: Option<Vec<String>>,
    pub requested_by: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const FILTER: &str = "($1::uuid IS NULL OR tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
    AND ($3::text IS NULL OR requested_by = $3) \
    AND ($4::timestamptz IS NULL OR created_at >= $4) \
    AND ($5::timestamptz IS NULL OR created_at < $5)";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &RequestFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<InvoiceRequestRow>, i64)> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.invoice_requests WHERE {FILTER} \
         ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.requested_by)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM billing.invoice_requests WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.requested_by)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// Up to `max` requests for an export, oldest first (the order the tax system issues).
pub async fn export<'c>(
    db: impl PgExecutor<'c>,
    f: &RequestFilter,
    max: i64,
) -> sqlx::Result<Vec<InvoiceRequestRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.invoice_requests WHERE {FILTER} ORDER BY created_at, id LIMIT $6"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.requested_by)
    .bind(f.from)
    .bind(f.to)
    .bind(max)
    .fetch_all(db)
    .await
}
