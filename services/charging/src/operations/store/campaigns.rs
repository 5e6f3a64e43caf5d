//! `charging.ota_campaigns`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub protocol: String,
    pub firmware_id: Option<Uuid>,
    pub dny_kind: Option<String>,
    pub check_device_type: Option<i32>,
    pub check_version: Option<i32>,
    pub ftp_host: Option<String>,
    pub ftp_port: Option<i32>,
    pub ftp_file: Option<String>,
    pub targets: Value,
    pub scope_path: String,
    pub stages: Vec<i16>,
    pub stage: i16,
    pub auto_advance_pct: Option<i16>,
    pub concurrency: i32,
    pub max_attempts: i32,
    pub retry_after_secs: i32,
    pub state: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! cols {
    () => {
        "id, tenant_id, name, protocol, firmware_id, dny_kind, check_device_type, check_version, \
     ftp_host, ftp_port, ftp_file, targets, scope_path, stages, stage, auto_advance_pct, concurrency, \
     max_attempts, retry_after_secs, state, created_by, created_at, updated_at, finished_at"
    };
}

pub async fn insert(conn: &mut PgConnection, c: &CampaignRow) -> sqlx::Result<()> {
    sqlx::query(concat!(
        "INSERT INTO charging.ota_campaigns (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
    ))
    .bind(c.id)
    .bind(c.tenant_id)
    .bind(&c.name)
    .bind(&c.protocol)
    .bind(c.firmware_id)
    .bind(&c.dny_kind)
    .bind(c.check_device_type)
    .bind(c.check_version)
    .bind(&c.ftp_host)
    .bind(c.ftp_port)
    .bind(&c.ftp_file)
    .bind(&c.targets)
    .bind(&c.scope_path)
    .bind(&c.stages)
    .bind(c.stage)
    .bind(c.auto_advance_pct)
    .bind(c.concurrency)
    .bind(c.max_attempts)
    .bind(c.retry_after_secs)
    .bind(&c.state)
    .bind(&c.created_by)
    .bind(c.created_at)
    .bind(c.updated_at)
    .bind(c.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// By id, within `tenant` (None: platform administrators).
pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Option<Uuid>,
    id: Uuid,
) -> sqlx::Result<Option<CampaignRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaigns WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

/// Locks the campaign for a change (operators' actions wait for the runner's round).
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CampaignRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaigns WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Locks the campaign unless another replica's runner holds it (then `None`).
pub async fn try_lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CampaignRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaigns WHERE id = $1 FOR UPDATE SKIP LOCKED"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    stage: i16,
    at: DateTime<Utc>,
    finished: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.ota_campaigns SET state = $2, stage = $3, updated_at = $4, \
         finished_at = CASE WHEN $5 THEN $4 ELSE finished_at END WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(stage)
    .bind(at)
    .bind(finished)
    .execute(conn)
    .await?;
    Ok(())
}

/// Campaigns the runner works on.
pub async fn running<'c>(db: impl PgExecutor<'c>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM charging.ota_campaigns WHERE state = 'running' ORDER BY created_at",
    )
    .fetch_all(db)
    .await
}

/// A page of campaigns whose scope lies within `prefixes`, newest first, and the total.
pub async fn list<'c, E: PgExecutor<'c> + Copy>(
    db: E,
    tenant: Option<Uuid>,
    prefixes: &Option<Vec<String>>,
    state: Option<&str>,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<CampaignRow>, i64)> {
    macro_rules! filter {
    () => {
        "WHERE ($1::uuid IS NULL OR tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(scope_path, p))) \
         AND ($3::text IS NULL OR state = $3)"
    };
}
    let rows = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaigns ",
        filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(tenant)
    .bind(prefixes)
    .bind(state)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM charging.ota_campaigns ",
        filter!()
    ))
    .bind(tenant)
    .bind(prefixes)
    .bind(state)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
