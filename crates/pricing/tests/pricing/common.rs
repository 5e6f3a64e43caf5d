//! Builders shared by the test modules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pricing::{
    Bill, Component, EnergyFee, EnergyPrice, LineItem, MeterSample, MilliFen, PeriodKind,
    SessionFacts, Tariff, TimeOfUse, TouPeriod, Wh, Zone,
};

/// A wall-clock time in Asia/Shanghai (UTC+8, no DST) as a UTC instant.
pub fn shanghai(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - Duration::hours(8)
}

pub fn price(electricity: i64, service: i64) -> EnergyPrice {
    EnergyPrice {
        electricity_millifen_per_kwh: MilliFen::new(electricity),
        service_millifen_per_kwh: MilliFen::new(service),
    }
}

pub fn period(kind: PeriodKind, start: &str, end: &str, p: EnergyPrice) -> TouPeriod {
    TouPeriod {
        kind,
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
        price: p,
    }
}

pub fn energy_only(fee: EnergyFee) -> Tariff {
    Tariff {
        energy: Some(fee),
        time: None,
        power: None,
        idle: None,
        free_minutes: 0,
        minimum_fen: None,
        maximum_fen: None,
    }
}

/// The four-period tariff of docs/billing.md, example 2.
pub fn four_period_tou() -> EnergyFee {
    EnergyFee::TimeOfUse(TimeOfUse {
        periods: vec![
            period(PeriodKind::Valley, "23:00", "07:00", price(30_010, 40_000)),
            period(PeriodKind::Flat, "07:00", "17:00", price(65_320, 60_000)),
            period(PeriodKind::Sharp, "17:00", "21:00", price(123_310, 80_000)),
            period(PeriodKind::Peak, "21:00", "23:00", price(102_610, 60_000)),
        ],
    })
}

pub fn facts_total(start: DateTime<Utc>, end: DateTime<Utc>, wh: i64) -> SessionFacts {
    SessionFacts {
        start,
        end,
        time_zone: Zone::SHANGHAI,
        energy: pricing::Energy::Total(Wh::new(wh)),
        max_power: None,
        unplugged_at: None,
    }
}

pub fn samples(points: &[(DateTime<Utc>, i64)]) -> pricing::Energy {
    pricing::Energy::Samples(
        points
            .iter()
            .map(|&(at, wh)| MeterSample {
                at,
                wh: Wh::new(wh),
            })
            .collect(),
    )
}

/// `(component, tariff index, amount)` of every item, for compact assertions.
pub fn amounts(bill: &Bill) -> Vec<(Component, Option<u32>, i64)> {
    bill.items
        .iter()
        .map(|i| (i.component, i.tariff_index, i.amount_fen.get()))
        .collect()
}

pub fn quantity(item: &LineItem) -> i64 {
    item.quantity.map(|q| q.value).unwrap_or(0)
}
