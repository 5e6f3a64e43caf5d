//! `live_ports`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::live::domain::port::{Meter, PortLive, PortState};

#[derive(sqlx::FromRow)]
struct Row {
    device_id: String,
    port: i32,
    state: String,
    raw_status: i64,
    state_at: Option<DateTime<Utc>>,
    state_since: Option<DateTime<Utc>>,
    order_ref: String,
    power_dw: Option<i64>,
    voltage_dv: Option<i64>,
    current_ma: Option<i64>,
    energy_wh: Option<i64>,
    elapsed_secs: Option<i64>,
    meter_at: Option<DateTime<Utc>>,
    charge_at: Option<DateTime<Utc>>,
}

/// A port with its device and number, as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPort {
    pub device_id: String,
    pub port: u32,
    pub live: PortLive,
}

fn u32_of(v: Option<i64>) -> u32 {
    u32::try_from(v.unwrap_or(0).max(0)).unwrap_or(u32::MAX)
}

impl From<Row> for StoredPort {
    fn from(r: Row) -> Self {
        let meter = r.power_dw.map(|power| Meter {
            power_dw: u32_of(Some(power)),
            voltage_dv: u32_of(r.voltage_dv),
            current_ma: u32_of(r.current_ma),
            energy_wh: r.energy_wh.unwrap_or(0).max(0) as u64,
            elapsed_secs: r.elapsed_secs.unwrap_or(0).max(0) as u64,
        });
        StoredPort {
            device_id: r.device_id,
            port: u32::try_from(r.port).unwrap_or(0),
            live: PortLive {
                state: PortState::parse(&r.state),
                raw_status: u32_of(Some(r.raw_status)),
                state_at: r.state_at,
                state_since: r.state_since,
                order_ref: r.order_ref,
                meter,
                meter_at: r.meter_at,
                charge_at: r.charge_at,
            },
        }
    }
}

const COLUMNS: &str = "device_id, port, state, raw_status, state_at, state_since, order_ref, \
     power_dw, voltage_dv, current_ma, energy_wh, elapsed_secs, meter_at, charge_at";

/// The port's row inside the consumer's transaction (the device row is locked already,
/// which serializes writers of its ports).
pub async fn get_in(
    conn: &mut PgConnection,
    device_id: &str,
    port: u32,
) -> Result<Option<PortLive>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM charging.live_ports WHERE device_id = $1 AND port = $2");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_id)
        .bind(i64::from(port))
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| StoredPort::from(r).live))
}

pub async fn save(
    conn: &mut PgConnection,
    device_id: &str,
    port: u32,
    p: &PortLive,
) -> Result<(), sqlx::Error> {
    let m = p.meter.as_ref();
    let big = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO charging.live_ports (device_id, port, state, raw_status, state_at, \
         state_since, order_ref, power_dw, voltage_dv, current_ma, energy_wh, elapsed_secs, \
         meter_at, charge_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (device_id, port) DO UPDATE SET state = $3, raw_status = $4, state_at = $5, \
         state_since = $6, order_ref = $7, power_dw = $8, voltage_dv = $9, current_ma = $10, \
         energy_wh = $11, elapsed_secs = $12, meter_at = $13, charge_at = $14, updated_at = now()",
    )
    .bind(device_id)
    .bind(i32::try_from(port).unwrap_or(i32::MAX))
    .bind(p.state.as_str())
    .bind(i64::from(p.raw_status))
    .bind(p.state_at)
    .bind(p.state_since)
    .bind(&p.order_ref)
    .bind(m.map(|m| i64::from(m.power_dw)))
    .bind(m.map(|m| i64::from(m.voltage_dv)))
    .bind(m.map(|m| i64::from(m.current_ma)))
    .bind(m.map(|m| big(m.energy_wh)))
    .bind(m.map(|m| big(m.elapsed_secs)))
    .bind(p.meter_at)
    .bind(p.charge_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every port of a device, by number.
pub async fn of_device(pool: &PgPool, device_id: &str) -> Result<Vec<StoredPort>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM charging.live_ports WHERE device_id = $1 ORDER BY port");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(StoredPort::from).collect())
}

/// Ports the device reports as charging, of online devices under `tenant`, with the
/// device's tenant; the stuck rule then judges them.
pub async fn charging_online(pool: &PgPool, tenant: &str) -> Result<Vec<StoredPort>, sqlx::Error> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM charging.live_ports p JOIN charging.live_devices d USING (device_id) \
         WHERE p.state = 'charging' AND d.online AND d.tenant = $1 ORDER BY p.device_id, p.port"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(StoredPort::from).collect())
}
