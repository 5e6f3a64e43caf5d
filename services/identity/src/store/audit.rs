use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::like_escape;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub actor_id: Option<String>,
    pub actor_kind: Option<String>,
    pub action: String,
    pub target: String,
    pub result: String,
    pub status: i32,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn insert<'c>(db: impl PgExecutor<'c>, r: &AuditRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity.audit_logs (id, tenant_id, actor_id, actor_kind, action, target, result, status, ip, request_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(&r.actor_id)
    .bind(&r.actor_kind)
    .bind(&r.action)
    .bind(&r.target)
    .bind(&r.result)
    .bind(r.status)
    .bind(&r.ip)
    .bind(&r.request_id)
    .bind(r.at)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    /// `None` only for platform administrators asking across tenants.
    pub tenant: Option<Uuid>,
    pub actor_id: Option<String>,
    /// Substring of the action (`POST /api/v1/users`).
    pub action: Option<String>,
    /// Substring of the target.
    pub target: Option<String>,
    pub result: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const FILTER: &str = "($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR actor_id = $2) \
    AND ($3::text IS NULL OR action ILIKE '%' || $3 || '%') AND ($4::text IS NULL OR target ILIKE '%' || $4 || '%') \
    AND ($5::text IS NULL OR result = $5) AND ($6::timestamptz IS NULL OR at >= $6) \
    AND ($7::timestamptz IS NULL OR at < $7)";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &AuditFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<AuditRow>, i64)> {
    let action = f.action.as_deref().map(like_escape);
    let target = f.target.as_deref().map(like_escape);
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, tenant_id, actor_id, actor_kind, action, target, result, status, ip, request_id, at \
         FROM identity.audit_logs WHERE {FILTER} ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9"
    )))
    .bind(f.tenant)
    .bind(&f.actor_id)
    .bind(&action)
    .bind(&target)
    .bind(&f.result)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM identity.audit_logs WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.actor_id)
    .bind(&action)
    .bind(&target)
    .bind(&f.result)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
