//! The CSV export's format (pure): one header row, then one row per order, newest
//! first. Amounts are integer fen, energy Wh, durations seconds, times RFC 3339 in UTC
//! to the second (`2026-11-26T13:03:00Z`); an unknown value is an empty cell.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::orders::store::OrderRow;
use crate::registry::domain::csv::line;

/// The columns, in order (docs/charging.md, "History").
pub const COLUMNS: [&str; 20] = [
    "order_id",
    "created_at",
    "state",
    "user_id",
    "device_id",
    "port",
    "site_name",
    "node_path",
    "limit_kind",
    "limit_value",
    "started_at",
    "ended_at",
    "duration_secs",
    "energy_wh",
    "hold_fen",
    "amount_fen",
    "device_amount_fen",
    "bill_id",
    "end_reason",
    "failure",
];

pub fn header() -> String {
    line(&COLUMNS)
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn int<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One order's row. `energy_wh` is the pile's settlement, or the last meter sample
/// while there is none (as the order API shows it).
pub fn row(o: &OrderRow, site_name: Option<&str>) -> String {
    let cells = [
        o.id.to_string(),
        time(Some(o.created_at)),
        o.state.clone(),
        o.user_id.to_string(),
        o.device_id.clone(),
        o.port.to_string(),
        site_name.unwrap_or_default().to_owned(),
        o.node_path.clone(),
        o.limit_kind.clone(),
        o.limit_value.to_string(),
        time(o.started_at),
        time(o.ended_at),
        int(o.duration_secs),
        int(o.energy_wh.or(o.last_meter_wh)),
        o.hold_fen.to_string(),
        int(o.amount_fen),
        int(o.device_amount_fen),
        o.bill_id.clone().unwrap_or_default(),
        o.end_reason.clone().unwrap_or_default(),
        o.failure.clone().unwrap_or_default(),
    ];
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    line(&refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderRow {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        OrderRow {
            id: uuid::Uuid::nil(),
            tenant_id: uuid::Uuid::nil(),
            user_id: uuid::Uuid::nil(),
            device_id: "04ab373b".into(),
            port: 2,
            node_path: "/t/r/s/".into(),
            protocol: "dny".into(),
            state: "settled".into(),
            limit_kind: "duration".into(),
            limit_value: 3600,
            hold_fen: 2_000,
            hold_id: None,
            device_order_ref: String::new(),
            tariff_id: None,
            tariff_version: None,
            started_at: Some(at("2026-11-26T21:03:00.123+08:00")),
            ended_at: None,
            energy_wh: None,
            duration_secs: Some(60),
            max_power_dw: None,
            end_reason: None,
            device_amount_fen: None,
            amount_fen: Some(150),
            bill_id: None,
            last_meter_wh: Some(1_234),
            last_meter_at: None,
            last_power_dw: None,
            deadline: None,
            failure: Some("bill 3,000 fen exceeds the hold".into()),
            idempotency_key: "k".into(),
            created_at: at("2026-11-26T13:02:59Z"),
            ..OrderRow::default()
        }
    }

    #[test]
    fn a_row_has_every_column_in_utc_with_integer_amounts() {
        assert_eq!(header().trim_end().split(',').count(), COLUMNS.len());
        assert_eq!(
            row(&order(), Some("站点 A")),
            "00000000-0000-0000-0000-000000000000,2026-11-26T13:02:59Z,settled,\
             00000000-0000-0000-0000-000000000000,04ab373b,2,站点 A,/t/r/s/,duration,3600,\
             2026-11-26T13:03:00Z,,60,1234,2000,150,,,,\"bill 3,000 fen exceeds the hold\"\n",
            "UTC to the second, the last meter sample as energy, quoted text"
        );
    }
}
