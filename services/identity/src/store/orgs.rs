use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{TenantScope, like_escape};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: String,
    pub name: String,
    pub path: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, tenant_id, parent_id, kind, name, path, disabled, created_at, updated_at";

pub async fn insert<'c>(db: impl PgExecutor<'c>, n: &OrgRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity.org_nodes (id, tenant_id, parent_id, kind, name, path, disabled) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(n.id)
    .bind(n.tenant_id)
    .bind(n.parent_id)
    .bind(&n.kind)
    .bind(&n.name)
    .bind(&n.path)
    .bind(n.disabled)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.org_nodes WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// Same, locking the row (moves and renames serialize on it).
pub async fn get_for_update<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.org_nodes WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// Filters for listing nodes.
#[derive(Debug, Default)]
pub struct OrgFilter {
    pub tenant: Option<Uuid>,
    /// Only below one of these paths (the caller's scopes); `None`: no restriction.
    pub prefixes: Option<Vec<String>>,
    pub parent_id: Option<Uuid>,
    pub kind: Option<String>,
    pub q: Option<String>,
}

const FILTER: &str = "($1::uuid IS NULL OR tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(path, p))) \
    AND ($3::uuid IS NULL OR parent_id = $3) \
    AND ($4::text IS NULL OR kind = $4) \
    AND ($5::text IS NULL OR name ILIKE '%' || $5 || '%')";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &OrgFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<OrgRow>, i64)> {
    let q = f.q.as_deref().map(like_escape);
    let rows: Vec<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.org_nodes WHERE {FILTER} ORDER BY path LIMIT $6 OFFSET $7"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(f.parent_id)
    .bind(&f.kind)
    .bind(&q)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM identity.org_nodes WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(f.parent_id)
    .bind(&f.kind)
    .bind(&q)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// The node at `path` and everything below it, ordered by path (at most `max` rows).
pub async fn subtree<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    path: &str,
    max: i64,
) -> sqlx::Result<Vec<OrgRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM identity.org_nodes WHERE tenant_id = $1 AND starts_with(path, $2) ORDER BY path LIMIT $3"
    )))
    .bind(tenant)
    .bind(path)
    .bind(max)
    .fetch_all(db)
    .await
}

pub async fn rename<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    name: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.org_nodes SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_disabled<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    disabled: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.org_nodes SET disabled = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(disabled)
        .execute(db)
        .await?;
    Ok(())
}

/// Moves node `id` under `new_parent`: its path and every descendant's path change
/// from `old_path` to `new_path` as prefix.
pub async fn move_subtree<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    new_parent: Uuid,
    old_path: &str,
    new_path: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE identity.org_nodes SET \
           path = $4 || substr(path, length($3) + 1), \
           parent_id = CASE WHEN id = $2 THEN $5 ELSE parent_id END, \
           updated_at = now() \
         WHERE tenant_id = $1 AND starts_with(path, $3)",
    )
    .bind(tenant)
    .bind(id)
    .bind(old_path)
    .bind(new_path)
    .bind(new_parent)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
