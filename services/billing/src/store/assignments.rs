use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::TenantScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_path: String,
    pub tariff_id: Uuid,
    pub assigned_by: String,
    pub assigned_at: DateTime<Utc>,
}

const COLS: &str = "id, tenant_id, node_path, tariff_id, assigned_by, assigned_at";

/// Assigns `a.tariff_id` to `a.node_path`, replacing what was assigned there (the row
/// keeps its id). Returns the row as stored.
pub async fn upsert<'c>(db: impl PgExecutor<'c>, a: &AssignmentRow) -> sqlx::Result<AssignmentRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO billing.assignments (id, tenant_id, node_path, tariff_id, assigned_by, assigned_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant_id, node_path) DO UPDATE \
         SET tariff_id = EXCLUDED.tariff_id, assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at \
         RETURNING {COLS}"
    )))
    .bind(a.id)
    .bind(a.tenant_id)
    .bind(&a.node_path)
    .bind(a.tariff_id)
    .bind(&a.assigned_by)
    .bind(a.assigned_at)
    .fetch_one(db)
    .await
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<AssignmentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.assignments WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

pub async fn delete<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM billing.assignments WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Filters for listing assignments.
#[derive(Debug, Default)]
pub struct AssignmentFilter {
    pub tenant: Option<Uuid>,
    /// Only at or below one of these paths; `None`: no restriction.
    pub prefixes: Option<Vec<String>>,
    pub tariff_id: Option<Uuid>,
}

const FILTER: &str = "($1::uuid IS NULL OR tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
    AND ($3::uuid IS NULL OR tariff_id = $3)";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &AssignmentFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<AssignmentRow>, i64)> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.assignments WHERE {FILTER} ORDER BY node_path LIMIT $4 OFFSET $5"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(f.tariff_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM billing.assignments WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(f.tariff_id)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
