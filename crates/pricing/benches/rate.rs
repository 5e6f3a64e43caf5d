//! Bills per second for a realistic time-of-use session: an overnight car charge,
//! 20:30 → 04:30 Beijing time across 尖 → 峰 → 谷 and midnight, 100 meter samples
//! (one every 4 min 48 s) of a 7 kW charge tapering at the end, an idle fee and a cap.
//!
//! `cargo bench -p pylon-pricing --bench rate`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pricing::{
    DeciWatts, Energy, EnergyFee, EnergyPrice, Fen, IdleFee, MeterSample, MilliFen, PartialUnit,
    PeriodKind, SessionFacts, Tariff, TimeOfUse, TouPeriod, Wh, Zone, rate,
};

fn period(kind: PeriodKind, start: &str, end: &str, e: i64, s: i64) -> TouPeriod {
    TouPeriod {
        kind,
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
        price: EnergyPrice {
            electricity_millifen_per_kwh: MilliFen::new(e),
            service_millifen_per_kwh: MilliFen::new(s),
        },
    }
}

fn tariff() -> Tariff {
    Tariff {
        energy: Some(EnergyFee::TimeOfUse(TimeOfUse {
            periods: vec![
                period(PeriodKind::Valley, "23:00", "07:00", 30_010, 40_000),
                period(PeriodKind::Flat, "07:00", "10:00", 65_320, 60_000),
                period(PeriodKind::Peak, "10:00", "15:00", 102_610, 60_000),
                period(PeriodKind::Flat, "15:00", "18:00", 65_320, 60_000),
                period(PeriodKind::Sharp, "18:00", "21:00", 123_310, 80_000),
                period(PeriodKind::Peak, "21:00", "23:00", 102_610, 60_000),
            ],
        })),
        time: None,
        power: None,
        idle: Some(IdleFee {
            grace_minutes: 30,
            price_millifen: MilliFen::from_fen(50),
            per_minutes: 10,
            partial: PartialUnit::StartedUnit,
        }),
        free_minutes: 0,
        minimum_fen: Some(Fen::new(100)),
        maximum_fen: Some(Fen::new(20_000)),
    }
}

fn facts() -> SessionFacts {
    // 2026-11-20 20:30 +08:00.
    let start = 1_795_177_800i64;
    let end = start + 8 * 3600;
    let step = (end - start) / 99;
    let mut wh = 0i64;
    let samples = (0..100)
        .map(|i| {
            let at = if i == 99 { end } else { start + i * step };
            let sample = MeterSample {
                at: DateTime::<Utc>::from_timestamp(at, 0).unwrap(),
                wh: Wh::new(wh),
            };
            // 7 kW for most of the night, tapering over the last hour.
            let watts = if i < 88 {
                7_000
            } else {
                7_000 - (i - 88) * 550
            };
            wh += watts * step / 3600;
            sample
        })
        .collect();
    SessionFacts {
        start: DateTime::<Utc>::from_timestamp(start, 0).unwrap(),
        end: DateTime::<Utc>::from_timestamp(end, 0).unwrap(),
        time_zone: Zone::SHANGHAI,
        energy: Energy::Samples(samples),
        max_power: Some(DeciWatts::from_watts(7_000)),
        unplugged_at: DateTime::<Utc>::from_timestamp(end + 47 * 60, 0),
    }
}

fn bench(c: &mut Criterion) {
    let (tariff, facts) = (tariff(), facts());
    let bill = rate(&tariff, &facts).unwrap();
    assert!(bill.total_fen.get() > 0);

    let mut group = c.benchmark_group("rate");
    group.throughput(Throughput::Elements(1));
    group.bench_function("tou_100_samples", |b| {
        b.iter(|| rate(black_box(&tariff), black_box(&facts)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
