//! `charging.ota_campaign_devices`: each target's rollout state.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TargetRow {
    pub campaign_id: Uuid,
    pub device_id: String,
    pub tenant_id: Uuid,
    pub node_path: String,
    pub rank: i32,
    pub stage: i16,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub packets_done: i32,
    pub packets_total: i32,
    pub operation_id: Option<Uuid>,
    pub reason: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! cols {
    () => {
        "campaign_id, device_id, tenant_id, node_path, rank, stage, state, attempts, \
     next_attempt_at, packets_done, packets_total, operation_id, reason, sent_at, finished_at, updated_at"
    };
}

/// Inserts the targets (pending) of a new campaign: parallel arrays by rank.
pub async fn insert_all(
    conn: &mut PgConnection,
    campaign: Uuid,
    tenant: Uuid,
    devices: &[String],
    paths: &[String],
    stages: &[i16],
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.ota_campaign_devices (campaign_id, device_id, tenant_id, node_path, rank, stage, \
         state, next_attempt_at, updated_at) \
         SELECT $1, d, $2, p, (r - 1)::int, s, 'pending', $6, $6 \
         FROM unnest($3::text[], $4::text[], $5::smallint[]) WITH ORDINALITY AS t(d, p, s, r)",
    )
    .bind(campaign)
    .bind(tenant)
    .bind(devices)
    .bind(paths)
    .bind(stages)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// (stage, state, devices) of a campaign.
pub async fn counts<'c>(
    db: impl PgExecutor<'c>,
    campaign: Uuid,
) -> sqlx::Result<Vec<(i16, String, i64)>> {
    sqlx::query_as(
        "SELECT stage, state, count(*) FROM charging.ota_campaign_devices WHERE campaign_id = $1 \
         GROUP BY stage, state ORDER BY stage",
    )
    .bind(campaign)
    .fetch_all(db)
    .await
}

/// The distinct nodes of a campaign's devices (authorization covers each).
pub async fn paths<'c>(db: impl PgExecutor<'c>, campaign: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT node_path FROM charging.ota_campaign_devices WHERE campaign_id = $1",
    )
    .bind(campaign)
    .fetch_all(db)
    .await
}

/// Up to `n` pending devices of open stages that are due and not in a transfer of
/// another campaign, locked (rows another replica holds are skipped).
pub async fn claim(
    conn: &mut PgConnection,
    campaign: Uuid,
    stage: i16,
    n: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as(concat!("SELECT ", cols!(), " FROM charging.ota_campaign_devices cd WHERE campaign_id = $1 AND state = 'pending' \
         AND stage <= $2 AND next_attempt_at <= $4 AND NOT EXISTS (SELECT 1 FROM charging.ota_campaign_devices o \
         WHERE o.device_id = cd.device_id AND o.state = 'sending') \
         ORDER BY rank LIMIT $3 FOR UPDATE SKIP LOCKED"))
    .bind(campaign)
    .bind(stage)
    .bind(n)
    .bind(now)
    .fetch_all(conn)
    .await
}

pub async fn mark_sending(
    conn: &mut PgConnection,
    campaign: Uuid,
    device: &str,
    operation: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.ota_campaign_devices SET state = 'sending', attempts = attempts + 1, \
         operation_id = $3, sent_at = $4, packets_done = 0, packets_total = 0, updated_at = $4 \
         WHERE campaign_id = $1 AND device_id = $2",
    )
    .bind(campaign)
    .bind(device)
    .bind(operation)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The device in a transfer for `operation`, locked; `None` once it moved on.
pub async fn lock_sending(
    conn: &mut PgConnection,
    campaign: Uuid,
    device: &str,
    operation: Uuid,
) -> sqlx::Result<Option<TargetRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaign_devices WHERE campaign_id = $1 AND device_id = $2 \
         AND state = 'sending' AND operation_id = $3 FOR UPDATE"
    ))
    .bind(campaign)
    .bind(device)
    .bind(operation)
    .fetch_optional(conn)
    .await
}

/// The device's running transfer, whatever the campaign, locked.
pub async fn lock_sending_device(
    conn: &mut PgConnection,
    device: &str,
) -> sqlx::Result<Option<TargetRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaign_devices WHERE device_id = $1 AND state = 'sending' FOR UPDATE"
    ))
    .bind(device)
    .fetch_optional(conn)
    .await
}

/// Moves a device on: `state` (pending again, succeeded, failed), why, when it is due.
pub async fn settle(
    conn: &mut PgConnection,
    campaign: Uuid,
    device: &str,
    state: &str,
    reason: &str,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.ota_campaign_devices SET state = $3, reason = $4, next_attempt_at = $5, \
         finished_at = CASE WHEN $3 IN ('succeeded', 'failed', 'aborted') THEN $6 ELSE NULL END, updated_at = $6 \
         WHERE campaign_id = $1 AND device_id = $2",
    )
    .bind(campaign)
    .bind(device)
    .bind(state)
    .bind(reason)
    .bind(next_attempt_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Packet progress of a running transfer (answers may come out of order: keep the most).
pub async fn progress(
    conn: &mut PgConnection,
    campaign: Uuid,
    device: &str,
    packet: i32,
    total: i32,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.ota_campaign_devices SET packets_done = GREATEST(packets_done, $3), \
         packets_total = GREATEST(packets_total, $4), updated_at = $5 \
         WHERE campaign_id = $1 AND device_id = $2 AND state = 'sending'",
    )
    .bind(campaign)
    .bind(device)
    .bind(packet)
    .bind(total)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Abort: every pending device of the campaign.
pub async fn abort_pending(
    conn: &mut PgConnection,
    campaign: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE charging.ota_campaign_devices SET state = 'aborted', reason = 'campaign aborted', \
         finished_at = $2, updated_at = $2 WHERE campaign_id = $1 AND state = 'pending'",
    )
    .bind(campaign)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Transfers whose last sign of life is older than `before` (their end never came).
pub async fn stale<'c>(
    db: impl PgExecutor<'c>,
    before: DateTime<Utc>,
) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaign_devices WHERE state = 'sending' AND updated_at < $1 LIMIT 100"
    ))
    .bind(before)
    .fetch_all(db)
    .await
}

/// A page of a campaign's devices by rank, optionally in one state, and the total.
pub async fn list<'c, E: PgExecutor<'c> + Copy>(
    db: E,
    campaign: Uuid,
    state: Option<&str>,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<TargetRow>, i64)> {
    let rows = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.ota_campaign_devices WHERE campaign_id = $1 \
         AND ($2::text IS NULL OR state = $2) ORDER BY rank LIMIT $3 OFFSET $4"
    ))
    .bind(campaign)
    .bind(state)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM charging.ota_campaign_devices WHERE campaign_id = $1 \
         AND ($2::text IS NULL OR state = $2)",
    )
    .bind(campaign)
    .bind(state)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
