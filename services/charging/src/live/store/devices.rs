//! `live_devices` and `live_alarms`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::live::domain::device::{DeviceLive, HeartbeatInfo};

#[derive(sqlx::FromRow)]
struct Row {
    device_id: String,
    tenant: String,
    protocol: String,
    gateway_id: String,
    online: bool,
    online_at: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    offline_reason: String,
    signal: Option<i32>,
    firmware: Option<String>,
    iccid: Option<String>,
    port_count: Option<i32>,
    heartbeat_at: Option<DateTime<Utc>>,
}

impl From<Row> for DeviceLive {
    fn from(r: Row) -> Self {
        let heartbeat = r.heartbeat_at.map(|_| HeartbeatInfo {
            signal: r.signal.unwrap_or(0).max(0) as u32,
            firmware: r.firmware.unwrap_or_default(),
            iccid: r.iccid.unwrap_or_default(),
            port_count: r.port_count.unwrap_or(0).max(0) as u32,
        });
        DeviceLive {
            device_id: r.device_id,
            tenant: r.tenant,
            protocol: r.protocol,
            gateway_id: r.gateway_id,
            online: r.online,
            online_at: r.online_at,
            last_seen: r.last_seen,
            offline_reason: r.offline_reason,
            heartbeat,
            heartbeat_at: r.heartbeat_at,
        }
    }
}

const COLUMNS: &str = "device_id, tenant, protocol, gateway_id, online, online_at, last_seen, \
     offline_reason, signal, firmware, iccid, port_count, heartbeat_at";

/// The rows of `device_ids` that exist, locked until the transaction ends (the consumer
/// merges a batch of events into them). Locked in id order, so two batches sharing
/// devices cannot deadlock.
pub async fn lock_many(
    conn: &mut PgConnection,
    device_ids: &[String],
) -> Result<HashMap<String, DeviceLive>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM charging.live_devices WHERE device_id = ANY($1) \
         ORDER BY device_id FOR UPDATE"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_ids)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.device_id.clone(), DeviceLive::from(r)))
        .collect())
}

/// Writes every device of `devices` (inserted or replaced) in one statement.
pub async fn save_many(
    conn: &mut PgConnection,
    devices: &[&DeviceLive],
) -> Result<(), sqlx::Error> {
    if devices.is_empty() {
        return Ok(());
    }
    let clamp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let col = |f: &dyn Fn(&DeviceLive) -> String| devices.iter().map(|d| f(d)).collect::<Vec<_>>();
    let hb = |f: &dyn Fn(&HeartbeatInfo) -> i32| {
        devices
            .iter()
            .map(|d| d.heartbeat.as_ref().map(f))
            .collect::<Vec<Option<i32>>>()
    };
    let hb_text = |f: &dyn Fn(&HeartbeatInfo) -> String| {
        devices
            .iter()
            .map(|d| d.heartbeat.as_ref().map(f))
            .collect::<Vec<Option<String>>>()
    };
    sqlx::query(
        "INSERT INTO charging.live_devices (device_id, tenant, protocol, gateway_id, online, \
         online_at, last_seen, offline_reason, signal, firmware, iccid, port_count, heartbeat_at) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], \
         $6::timestamptz[], $7::timestamptz[], $8::text[], $9::int[], $10::text[], $11::text[], \
         $12::int[], $13::timestamptz[]) \
         ON CONFLICT (device_id) DO UPDATE SET tenant = EXCLUDED.tenant, \
         protocol = EXCLUDED.protocol, gateway_id = EXCLUDED.gateway_id, online = EXCLUDED.online, \
         online_at = EXCLUDED.online_at, last_seen = EXCLUDED.last_seen, \
         offline_reason = EXCLUDED.offline_reason, signal = EXCLUDED.signal, \
         firmware = EXCLUDED.firmware, iccid = EXCLUDED.iccid, port_count = EXCLUDED.port_count, \
         heartbeat_at = EXCLUDED.heartbeat_at, updated_at = now()",
    )
    .bind(col(&|d| d.device_id.clone()))
    .bind(col(&|d| d.tenant.clone()))
    .bind(col(&|d| d.protocol.clone()))
    .bind(col(&|d| d.gateway_id.clone()))
    .bind(devices.iter().map(|d| d.online).collect::<Vec<_>>())
    .bind(devices.iter().map(|d| d.online_at).collect::<Vec<_>>())
    .bind(devices.iter().map(|d| d.last_seen).collect::<Vec<_>>())
    .bind(col(&|d| d.offline_reason.clone()))
    .bind(hb(&|h| clamp(h.signal)))
    .bind(hb_text(&|h| h.firmware.clone()))
    .bind(hb_text(&|h| h.iccid.clone()))
    .bind(hb(&|h| clamp(h.port_count)))
    .bind(devices.iter().map(|d| d.heartbeat_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// One device as a reader sees it (no lock).
pub async fn get(pool: &PgPool, device_id: &str) -> Result<Option<DeviceLive>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM charging.live_devices WHERE device_id = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(DeviceLive::from))
}

/// The tenant token of the device's newest event, if the device was ever seen.
pub async fn tenant_of(pool: &PgPool, device_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT tenant FROM charging.live_devices WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(pool)
        .await
}

/// The newest alarm of a device.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Alarm {
    pub port: i32,
    pub kind: String,
    pub raw_code: i64,
    pub detail: String,
    pub raised_at: DateTime<Utc>,
}

/// Keeps `alarm` if it is the device's newest (an older one arriving late is dropped).
pub async fn record_alarm(
    conn: &mut PgConnection,
    device_id: &str,
    a: &Alarm,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO charging.live_alarms (device_id, port, kind, raw_code, detail, raised_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (device_id) DO UPDATE SET port = $2, kind = $3, raw_code = $4, detail = $5, \
         raised_at = $6 WHERE live_alarms.raised_at <= $6",
    )
    .bind(device_id)
    .bind(a.port)
    .bind(&a.kind)
    .bind(a.raw_code)
    .bind(&a.detail)
    .bind(a.raised_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn last_alarm(pool: &PgPool, device_id: &str) -> Result<Option<Alarm>, sqlx::Error> {
    sqlx::query_as(
        "SELECT port, kind, raw_code, detail, raised_at FROM charging.live_alarms WHERE device_id = $1",
    )
    .bind(device_id)
    .fetch_optional(pool)
    .await
}
