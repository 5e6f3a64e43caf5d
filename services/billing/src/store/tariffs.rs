use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{TenantScope, like_escape};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TariffRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_path: String,
    pub name: String,
    pub description: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A tariff in a list, with its newest version number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TariffSummaryRow {
    #[sqlx(flatten)]
    pub tariff: TariffRow,
    pub latest_version: i32,
}

const COLS: &str = "id, tenant_id, node_path, name, description, created_by, created_at";

/// The unique constraint on (tenant_id, name).
pub const NAME_TAKEN: &str = "tariffs_tenant_id_name_key";

pub async fn insert<'c>(db: impl PgExecutor<'c>, t: &TariffRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO billing.tariffs (id, tenant_id, node_path, name, description, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id)
    .bind(t.tenant_id)
    .bind(&t.node_path)
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.created_by)
    .bind(t.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<TariffRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.tariffs WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// Same, locking the row: adding versions serializes on it, so version numbers are
/// dense and never collide.
pub async fn lock<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<TariffRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM billing.tariffs WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// Filters for listing tariffs.
#[derive(Debug, Default)]
pub struct TariffFilter {
    pub tenant: Option<Uuid>,
    /// Only tariffs owned at or below one of these paths; `None`: no restriction.
    pub prefixes: Option<Vec<String>>,
    pub q: Option<String>,
}

const FILTER: &str = "($1::uuid IS NULL OR t.tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(t.node_path, p))) \
    AND ($3::text IS NULL OR t.name ILIKE '%' || $3 || '%')";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &TariffFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<TariffSummaryRow>, i64)> {
    let q = f.q.as_deref().map(like_escape);
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.id, t.tenant_id, t.node_path, t.name, t.description, t.created_by, t.created_at, \
         (SELECT max(v.version) FROM billing.tariff_versions v \
          WHERE v.tenant_id = t.tenant_id AND v.tariff_id = t.id) AS latest_version \
         FROM billing.tariffs t WHERE {FILTER} ORDER BY t.name, t.id LIMIT $4 OFFSET $5"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&q)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM billing.tariffs t WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&q)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
