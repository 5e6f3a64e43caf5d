use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub node_id: Uuid,
    pub node_path: String,
    /// The node or one of its ancestors is disabled: the grant gives nothing.
    pub suspended: bool,
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT g.id, g.tenant_id, g.user_id, g.role, g.node_id, n.path AS node_path, \
    EXISTS (SELECT 1 FROM identity.org_nodes d WHERE d.tenant_id = g.tenant_id AND d.disabled \
            AND starts_with(n.path, d.path)) AS suspended, \
    g.granted_by, g.created_at \
    FROM identity.role_grants g JOIN identity.org_nodes n ON n.id = g.node_id";

/// Inserts; `Ok(false)` if the user already holds that role on that node.
pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    tenant: Uuid,
    user: Uuid,
    role: &str,
    node: Uuid,
    by: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO identity.role_grants (id, tenant_id, user_id, role, node_id, granted_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, role, node_id) DO NOTHING",
    )
    .bind(id)
    .bind(tenant)
    .bind(user)
    .bind(role)
    .bind(node)
    .bind(by)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn for_user<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    user: Uuid,
) -> sqlx::Result<Vec<GrantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.tenant_id = $1 AND g.user_id = $2 ORDER BY n.path, g.role"
    )))
    .bind(tenant)
    .bind(user)
    .fetch_all(db)
    .await
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    user: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<GrantRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.tenant_id = $1 AND g.user_id = $2 AND g.id = $3"
    )))
    .bind(tenant)
    .bind(user)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn delete<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM identity.role_grants WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn count_role<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    role: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM identity.role_grants WHERE tenant_id = $1 AND role = $2",
    )
    .bind(tenant)
    .bind(role)
    .fetch_one(db)
    .await
}
