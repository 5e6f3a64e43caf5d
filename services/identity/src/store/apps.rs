use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::TenantScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRow {
    pub id: String,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    pub node_path: String,
    pub name: String,
    pub secret: String,
    pub scopes: Vec<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT a.id, a.tenant_id, a.node_id, n.path AS node_path, a.name, a.secret, a.scopes, \
    a.status, a.created_by, a.created_at, a.rotated_at, a.revoked_at \
    FROM identity.apps a JOIN identity.org_nodes n ON n.id = a.node_id";

#[allow(clippy::too_many_arguments)]
pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    id: &str,
    tenant: Uuid,
    node: Uuid,
    name: &str,
    secret: &str,
    scopes: &[String],
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO identity.apps (id, tenant_id, node_id, name, secret, scopes, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(tenant)
    .bind(node)
    .bind(name)
    .bind(secret)
    .bind(scopes)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: &str,
) -> sqlx::Result<Option<AppRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.id = $1 AND ($2::uuid IS NULL OR a.tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    tenant: Option<Uuid>,
    prefixes: &Option<Vec<String>>,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<AppRow>, i64)> {
    const FILTER: &str = "($1::uuid IS NULL OR a.tenant_id = $1) AND ($2::text[] IS NULL OR \
        EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(n.path, p)))";
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {FILTER} ORDER BY a.created_at DESC LIMIT $3 OFFSET $4"
    )))
    .bind(tenant)
    .bind(prefixes)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM identity.apps a JOIN identity.org_nodes n ON n.id = a.node_id WHERE {FILTER}"
    )))
    .bind(tenant)
    .bind(prefixes)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

pub async fn rotate<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: &str,
    secret: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE identity.apps SET secret = $3, rotated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(secret)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn revoke<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE identity.apps SET status = 'revoked', revoked_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Every app, for re-syncing the KV registry at start (bounded by the caller's loop).
pub async fn all<'c>(
    db: impl PgExecutor<'c>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<AppRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.id > $1 ORDER BY a.id LIMIT $2"
    )))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}
