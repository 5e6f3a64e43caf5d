use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{TenantScope, like_escape};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    pub node_path: String,
    pub kind: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub status: String,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT u.id, u.tenant_id, u.node_id, n.path AS node_path, u.kind, u.display_name, \
    u.phone, u.email, u.password_hash, u.status, u.failed_logins, u.locked_until, u.created_at, \
    u.updated_at, u.last_login_at FROM identity.users u JOIN identity.org_nodes n ON n.id = u.node_id";

/// A new user.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub node_id: Uuid,
    pub kind: &'a str,
    pub display_name: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
}

/// Inserts; `Ok(false)` if the phone or e-mail is taken in the tenant.
pub async fn insert<'c>(
    db: impl PgExecutor<'c>,
    u: &NewUser<'_>,
) -> sqlx::Result<Result<(), &'static str>> {
    let res = sqlx::query(
        "INSERT INTO identity.users (id, tenant_id, node_id, kind, display_name, phone, email, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(u.id)
    .bind(u.tenant_id)
    .bind(u.node_id)
    .bind(u.kind)
    .bind(u.display_name)
    .bind(u.phone)
    .bind(u.email)
    .bind(u.password_hash)
    .execute(db)
    .await;
    match res {
        Ok(_) => Ok(Ok(())),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_tenant_phone") => {
            Ok(Err("phone"))
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_tenant_email") => {
            Ok(Err("email"))
        }
        Err(e) => Err(e),
    }
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    scope: TenantScope,
    id: Uuid,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.id = $1 AND ($2::uuid IS NULL OR u.tenant_id = $2)"
    )))
    .bind(id)
    .bind(scope.bind())
    .fetch_optional(db)
    .await
}

/// Locks the row: concurrent logins of one account count failures correctly.
pub async fn get_for_update<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.id = $1 AND u.tenant_id = $2 FOR UPDATE OF u"
    )))
    .bind(id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

pub async fn by_phone<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    phone: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.tenant_id = $1 AND u.phone = $2"
    )))
    .bind(tenant)
    .bind(phone)
    .fetch_optional(db)
    .await
}

pub async fn by_email<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.tenant_id = $1 AND u.email = $2"
    )))
    .bind(tenant)
    .bind(email)
    .fetch_optional(db)
    .await
}

#[derive(Debug, Default)]
pub struct UserFilter {
    pub tenant: Option<Uuid>,
    pub prefixes: Option<Vec<String>>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Matches display name, phone or e-mail.
    pub q: Option<String>,
    pub node_id: Option<Uuid>,
}

const FILTER: &str = "($1::uuid IS NULL OR u.tenant_id = $1) \
    AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(n.path, p))) \
    AND ($3::text IS NULL OR u.kind = $3) \
    AND ($4::text IS NULL OR u.status = $4) \
    AND ($5::text IS NULL OR u.display_name ILIKE '%' || $5 || '%' OR u.phone ILIKE '%' || $5 || '%' OR u.email ILIKE '%' || $5 || '%') \
    AND ($6::uuid IS NULL OR u.node_id = $6)";

pub async fn list<'c>(
    db: impl PgExecutor<'c> + Copy,
    f: &UserFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<UserRow>, i64)> {
    let q = f.q.as_deref().map(like_escape);
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {FILTER} ORDER BY u.created_at DESC, u.id LIMIT $7 OFFSET $8"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.kind)
    .bind(&f.status)
    .bind(&q)
    .bind(f.node_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM identity.users u JOIN identity.org_nodes n ON n.id = u.node_id WHERE {FILTER}"
    )))
    .bind(f.tenant)
    .bind(&f.prefixes)
    .bind(&f.kind)
    .bind(&f.status)
    .bind(&q)
    .bind(f.node_id)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

pub async fn record_failure<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.users SET failed_logins = $2, locked_until = COALESCE($3, locked_until) WHERE id = $1")
        .bind(id)
        .bind(failed_logins)
        .bind(locked_until)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn record_login<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE identity.users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn unlock<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.users SET failed_logins = 0, locked_until = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_status<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    status: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE identity.users SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(status)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_password<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE identity.users SET password_hash = $3, failed_logins = 0, locked_until = NULL, updated_at = now() \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Profile fields; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub node_id: Option<Uuid>,
}

/// Updates; `Ok(Err("email"))` if the e-mail is taken.
pub async fn update_profile<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    p: &ProfileUpdate,
) -> sqlx::Result<Result<(), &'static str>> {
    let res = sqlx::query(
        "UPDATE identity.users SET display_name = COALESCE($3, display_name), email = COALESCE($4, email), \
         node_id = COALESCE($5, node_id), updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(&p.display_name)
    .bind(&p.email)
    .bind(p.node_id)
    .execute(db)
    .await;
    match res {
        Ok(_) => Ok(Ok(())),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_tenant_email") => {
            Ok(Err("email"))
        }
        Err(e) => Err(e),
    }
}
