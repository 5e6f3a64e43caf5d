//! `live_ports`.

use std::collections::HashMap;

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

/// Every port of `device_ids`, by (device, number), inside the consumer's transaction
/// (the devices' rows are locked already, which serializes writers of their ports).
pub async fn of_devices_in(
    conn: &mut PgConnection,
    device_ids: &[String],
) -> Result<HashMap<(String, u32), PortLive>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM charging.live_ports WHERE device_id = ANY($1)");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(device_ids)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let p = StoredPort::from(r);
            ((p.device_id, p.port), p.live)
        })
        .collect())
}

/// Writes every port of `ports` (inserted or replaced) in one statement.
pub async fn save_many(
    conn: &mut PgConnection,
    ports: &[(&(String, u32), &PortLive)],
) -> Result<(), sqlx::Error> {
    if ports.is_empty() {
        return Ok(());
    }
    let big = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let meter = |f: &dyn Fn(&Meter) -> i64| {
        ports
            .iter()
            .map(|(_, p)| p.meter.as_ref().map(f))
            .collect::<Vec<Option<i64>>>()
    };
    sqlx::query(
        "INSERT INTO charging.live_ports (device_id, port, state, raw_status, state_at, \
         state_since, order_ref, power_dw, voltage_dv, current_ma, energy_wh, elapsed_secs, \
         meter_at, charge_at) \
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::text[], $4::bigint[], $5::timestamptz[], \
         $6::timestamptz[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
         $12::bigint[], $13::timestamptz[], $14::timestamptz[]) \
         ON CONFLICT (device_id, port) DO UPDATE SET state = EXCLUDED.state, \
         raw_status = EXCLUDED.raw_status, state_at = EXCLUDED.state_at, \
         state_since = EXCLUDED.state_since, order_ref = EXCLUDED.order_ref, \
         power_dw = EXCLUDED.power_dw, voltage_dv = EXCLUDED.voltage_dv, \
         current_ma = EXCLUDED.current_ma, energy_wh = EXCLUDED.energy_wh, \
         elapsed_secs = EXCLUDED.elapsed_secs, meter_at = EXCLUDED.meter_at, \
         charge_at = EXCLUDED.charge_at, updated_at = now()",
    )
    .bind(
        ports
            .iter()
            .map(|((d, _), _)| d.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        ports
            .iter()
            .map(|((_, n), _)| i32::try_from(*n).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(
        ports
            .iter()
            .map(|(_, p)| p.state.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        ports
            .iter()
            .map(|(_, p)| i64::from(p.raw_status))
            .collect::<Vec<_>>(),
    )
    .bind(ports.iter().map(|(_, p)| p.state_at).collect::<Vec<_>>())
    .bind(ports.iter().map(|(_, p)| p.state_since).collect::<Vec<_>>())
    .bind(
        ports
            .iter()
            .map(|(_, p)| p.order_ref.clone())
            .collect::<Vec<_>>(),
    )
    .bind(meter(&|m| i64::from(m.power_dw)))
    .bind(meter(&|m| i64::from(m.voltage_dv)))
    .bind(meter(&|m| i64::from(m.current_ma)))
    .bind(meter(&|m| big(m.energy_wh)))
    .bind(meter(&|m| big(m.elapsed_secs)))
    .bind(ports.iter().map(|(_, p)| p.meter_at).collect::<Vec<_>>())
    .bind(ports.iter().map(|(_, p)| p.charge_at).collect::<Vec<_>>())
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
