//! `live_devices` and `live_alarms`.

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

/// The device's row, locked until the transaction ends (the consumer merges into it).
pub async fn lock(
    conn: &mut PgConnection,
    device_id: &str,
) -> Result<Option<DeviceLive>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM charging.live_devices WHERE device_id = $1 FOR UPDATE");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(DeviceLive::from))
}

pub async fn save(conn: &mut PgConnection, d: &DeviceLive) -> Result<(), sqlx::Error> {
    let hb = d.heartbeat.as_ref();
    let clamp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO charging.live_devices (device_id, tenant, protocol, gateway_id, online, \
         online_at, last_seen, offline_reason, signal, firmware, iccid, port_count, heartbeat_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (device_id) DO UPDATE SET tenant = $2, protocol = $3, gateway_id = $4, \
         online = $5, online_at = $6, last_seen = $7, offline_reason = $8, signal = $9, \
         firmware = $10, iccid = $11, port_count = $12, heartbeat_at = $13, updated_at = now()",
    )
    .bind(&d.device_id)
    .bind(&d.tenant)
    .bind(&d.protocol)
    .bind(&d.gateway_id)
    .bind(d.online)
    .bind(d.online_at)
    .bind(d.last_seen)
    .bind(&d.offline_reason)
    .bind(hb.map(|h| clamp(h.signal)))
    .bind(hb.map(|h| h.firmware.clone()))
    .bind(hb.map(|h| h.iccid.clone()))
    .bind(hb.map(|h| clamp(h.port_count)))
    .bind(d.heartbeat_at)
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
