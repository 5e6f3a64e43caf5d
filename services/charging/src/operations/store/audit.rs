//! `charging.device_operations`: one row per remote operation or campaign change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperationRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_roles: Vec<String>,
    pub device_id: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub node_path: String,
    pub action: String,
    pub request: Value,
    pub status: String,
    pub outcome: Option<String>,
    pub device_code: Option<i32>,
    pub detail: String,
    pub result: Option<Value>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! cols {
    () => {
        "id, tenant_id, actor_kind, actor_id, actor_roles, device_id, campaign_id, node_path, \
     action, request, status, outcome, device_code, detail, result, started_at, finished_at"
    };
}

pub async fn insert(conn: &mut PgConnection, r: &OperationRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.device_operations (id, tenant_id, actor_kind, actor_id, actor_roles, device_id, \
         campaign_id, node_path, action, request, status, outcome, device_code, detail, result, started_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(&r.actor_kind)
    .bind(&r.actor_id)
    .bind(&r.actor_roles)
    .bind(&r.device_id)
    .bind(r.campaign_id)
    .bind(&r.node_path)
    .bind(&r.action)
    .bind(&r.request)
    .bind(&r.status)
    .bind(&r.outcome)
    .bind(r.device_code)
    .bind(&r.detail)
    .bind(&r.result)
    .bind(r.started_at)
    .bind(r.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// How an operation ended.
#[derive(Clone, Debug, Default)]
pub struct Completion {
    pub outcome: String,
    pub device_code: Option<i32>,
    pub detail: String,
    pub result: Option<Value>,
}

/// Completes a `sent` operation; `None` when it is unknown or completed already (a
/// redelivered event completes nothing twice).
pub async fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    c: &Completion,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<OperationRow>> {
    sqlx::query_as(concat!(
        "UPDATE charging.device_operations SET status = 'done', outcome = $2, device_code = $3, \
         detail = $4, result = $5, finished_at = $6 WHERE id = $1 AND status = 'sent' RETURNING ",
        cols!()
    ))
    .bind(id)
    .bind(&c.outcome)
    .bind(c.device_code)
    .bind(&c.detail)
    .bind(&c.result)
    .bind(at)
    .fetch_optional(conn)
    .await
}

/// Filters of the audit lists; `tenant` None = every tenant (platform administrators),
/// `prefixes` None = anywhere in the tenant.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub tenant: Option<Uuid>,
    pub prefixes: Option<Vec<String>>,
    pub device_id: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub actor_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

macro_rules! filter {
    () => {
        "WHERE ($1::uuid IS NULL OR tenant_id = $1) \
     AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
     AND ($3::text IS NULL OR device_id = $3) AND ($4::uuid IS NULL OR campaign_id = $4) \
     AND ($5::text IS NULL OR action = $5) \
     AND ($6::text IS NULL OR outcome = $6 OR ($6 = 'unknown' AND status = 'sent')) \
     AND ($7::text IS NULL OR actor_id = $7) AND ($8::timestamptz IS NULL OR started_at >= $8) \
     AND ($9::timestamptz IS NULL OR started_at < $9)"
    };
}

/// A page of operations, newest first, and the total.
pub async fn list<'c, E: PgExecutor<'c> + Copy>(
    db: E,
    f: &Filter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<OperationRow>, i64)> {
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(f.tenant)
                .bind(&f.prefixes)
                .bind(&f.device_id)
                .bind(f.campaign_id)
                .bind(&f.action)
                .bind(&f.outcome)
                .bind(&f.actor_id)
                .bind(f.from)
                .bind(f.to)
        };
    }
    let sql = concat!(
        "SELECT ",
        cols!(),
        " FROM charging.device_operations ",
        filter!(),
        " ORDER BY started_at DESC, id DESC LIMIT $10 OFFSET $11"
    );
    let rows = bind_filter!(sqlx::query_as(sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    let sql = concat!(
        "SELECT count(*) FROM charging.device_operations ",
        filter!()
    );
    let total = bind_filter!(sqlx::query_scalar(sql)).fetch_one(db).await?;
    Ok((rows, total))
}
