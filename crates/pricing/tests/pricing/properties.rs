//! Properties of the rating engine (docs/billing.md, "Guarantees").
//!
//! - never negative: every priced item and the total are ≥ 0 (only the cap item is < 0);
//! - total = sum of items, and every priced item = round_half_up(quantity × unit price);
//! - monotone in energy (more Wh anywhere never lowers the bill) and in time (a later
//!   end never lowers it);
//! - additive: rating `[start, s)` and `[s, end)` separately equals rating
//!   `[start, end)` with quantities exactly equal and each amount within 1 fen per line
//!   item present in both halves — for the additive components only (see below);
//! - a time-of-use window crossing midnight prices the whole night as one period.
//!
//! Excluded from additivity, by design: free minutes (each half would get its own),
//! minimum and cap (not linear), ladders with more than one step and started-unit
//! rounding (both depend on where the session starts), and a session split at an
//! instant without a meter reading (the halves would need an invented reading).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pricing::{
    Bill, Component, DeciWatts, Energy, EnergyFee, Fen, IdleFee, LadderStep, MeterSample, MilliFen,
    PartialUnit, PeriodKind, PowerBracket, PowerFee, PriceUnit, SessionFacts, Tariff, TimeFee,
    TimeOfUse, TouPeriod, Wh, Zone, rate,
};
use proptest::prelude::*;

use crate::common::price;

const YEAR_2026: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn instant(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just("Asia/Shanghai"),
        Just("Europe/Berlin"),
        Just("America/New_York"),
        // Half-hour daylight saving: a hard case for window placement.
        Just("Australia/Lord_Howe"),
    ]
    .prop_map(|name| Zone::parse(name).unwrap())
}

fn energy_price() -> impl Strategy<Value = pricing::EnergyPrice> {
    (0i64..200_000, 0i64..200_000).prop_map(|(e, s)| price(e, s))
}

/// A random tiling of the day; the last window wraps past midnight unless a boundary
/// is exactly 00:00.
fn tou() -> impl Strategy<Value = EnergyFee> {
    prop::collection::btree_set(0u16..1440, 1..7)
        .prop_flat_map(|bounds| {
            let n = bounds.len();
            (Just(bounds), prop::collection::vec(energy_price(), n))
        })
        .prop_map(|(bounds, prices)| {
            let b: Vec<u16> = bounds.into_iter().collect();
            let kinds = [
                PeriodKind::Valley,
                PeriodKind::Flat,
                PeriodKind::Peak,
                PeriodKind::Sharp,
            ];
            let clock = |m: u16| pricing::ClockTime::new((m / 60) as u8, (m % 60) as u8).unwrap();
            let periods = (0..b.len())
                .map(|i| TouPeriod {
                    kind: kinds[i % 4],
                    start: clock(b[i]),
                    end: clock(b[(i + 1) % b.len()]),
                    price: prices[i],
                })
                .collect();
            EnergyFee::TimeOfUse(TimeOfUse { periods })
        })
}

fn energy_fee() -> impl Strategy<Value = EnergyFee> {
    prop_oneof![energy_price().prop_map(EnergyFee::Flat), tou()]
}

fn partial() -> impl Strategy<Value = PartialUnit> {
    prop_oneof![Just(PartialUnit::Prorate), Just(PartialUnit::StartedUnit)]
}

fn per_minutes() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(10), Just(60), 1u32..240]
}

fn ladder(max_steps: usize) -> impl Strategy<Value = Vec<LadderStep>> {
    prop::collection::vec((1u32..600, 0i64..1_000_000), 1..=max_steps).prop_map(|raw| {
        let mut bound = 0;
        let last = raw.len() - 1;
        raw.into_iter()
            .enumerate()
            .map(|(i, (gap, p))| {
                bound += gap;
                LadderStep {
                    up_to_minutes: (i != last).then_some(bound),
                    price_millifen: MilliFen::new(p),
                }
            })
            .collect()
    })
}

fn brackets() -> impl Strategy<Value = Vec<PowerBracket>> {
    (prop::collection::vec((1u32..3_000, 0i64..500_000, 1u32..120), 1..5)).prop_map(|raw| {
        let mut bound = 0;
        let last = raw.len() - 1;
        raw.into_iter()
            .enumerate()
            .map(|(i, (gap, p, per))| {
                bound += gap;
                PowerBracket {
                    // Always an open-ended top bracket, so any settled power has a price.
                    up_to: (i != last).then_some(DeciWatts::new(bound)),
                    price_millifen: MilliFen::new(p),
                    per_minutes: per,
                }
            })
            .collect()
    })
}

fn idle(partial: impl Strategy<Value = PartialUnit>) -> impl Strategy<Value = IdleFee> {
    (0u32..60, 0i64..200_000, per_minutes(), partial).prop_map(|(grace, p, per, partial)| IdleFee {
        grace_minutes: grace,
        price_millifen: MilliFen::new(p),
        per_minutes: per,
        partial,
    })
}

/// Any valid tariff: every component, ladders, started units, free minutes, min/max.
fn any_tariff() -> impl Strategy<Value = Tariff> {
    (
        prop::option::weighted(0.8, energy_fee()),
        prop::option::of((per_minutes(), partial(), ladder(4))),
        prop::option::of((partial(), brackets())),
        prop::option::of(idle(partial())),
        prop_oneof![Just(0u32), 0u32..90],
        prop::option::of(0i64..2_000),
        prop::option::of(0i64..20_000),
    )
        .prop_map(|(energy, time, power, idle, free, min, max)| {
            let (min, max) = match (min, max) {
                (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
                other => other,
            };
            let mut t = Tariff {
                energy,
                time: time.map(|(per_minutes, partial, steps)| TimeFee {
                    per_minutes,
                    partial,
                    steps,
                }),
                power: power.map(|(partial, brackets)| PowerFee { partial, brackets }),
                idle,
                free_minutes: free,
                minimum_fen: min.map(Fen::new),
                maximum_fen: max.map(Fen::new),
            };
            if t.energy.is_none() && t.time.is_none() && t.power.is_none() {
                t.energy = Some(EnergyFee::Flat(price(65_320, 40_000)));
            }
            t
        })
}

/// Only the components that add up over a split: energy, a one-step prorated time fee,
/// prorated power brackets and a prorated idle fee; no free minutes, no min/max.
fn additive_tariff() -> impl Strategy<Value = Tariff> {
    (
        energy_fee(),
        prop::option::of((per_minutes(), ladder(1))),
        prop::option::of(brackets()),
        prop::option::of(idle(Just(PartialUnit::Prorate))),
    )
        .prop_map(|(energy, time, power, idle)| Tariff {
            energy: Some(energy),
            time: time.map(|(per_minutes, steps)| TimeFee {
                per_minutes,
                partial: PartialUnit::Prorate,
                steps,
            }),
            power: power.map(|brackets| PowerFee {
                partial: PartialUnit::Prorate,
                brackets,
            }),
            idle,
            free_minutes: 0,
            minimum_fen: None,
            maximum_fen: None,
        })
}

/// A session described by its meter curve; `end` is the last sample.
#[derive(Debug, Clone)]
struct Gen {
    zone: Zone,
    points: Vec<(i64, i64)>,
    max_power: u32,
    idle_after: Option<i64>,
}

impl Gen {
    fn facts(&self) -> SessionFacts {
        let start = self.points[0].0;
        let end = self.points[self.points.len() - 1].0;
        SessionFacts {
            start: instant(start),
            end: instant(end),
            time_zone: self.zone,
            energy: Energy::Samples(
                self.points
                    .iter()
                    .map(|&(t, wh)| MeterSample {
                        at: instant(t),
                        wh: Wh::new(wh),
                    })
                    .collect(),
            ),
            max_power: Some(DeciWatts::new(self.max_power)),
            unplugged_at: self.idle_after.map(|s| instant(end + s)),
        }
    }
}

fn session() -> impl Strategy<Value = Gen> {
    (
        zone(),
        0i64..365 * 86_400,
        0i64..1_000_000,
        prop::collection::vec((1i64..7_200, 0i64..5_000), 1..40),
        0u32..12_000,
        prop::option::of(0i64..7_200),
    )
        .prop_map(|(zone, offset, base, steps, max_power, idle_after)| {
            let mut t = YEAR_2026 + offset;
            let mut wh = base;
            let mut points = vec![(t, wh)];
            for (dt, de) in steps {
                t += dt;
                wh += de;
                points.push((t, wh));
            }
            Gen {
                zone,
                points,
                max_power,
                idle_after,
            }
        })
}

type Key = (Component, Option<u32>);

fn by_key(bill: &Bill) -> HashMap<Key, (i64, i64)> {
    let mut map = HashMap::new();
    for item in &bill.items {
        let q = item.quantity.map_or(0, |q| q.value);
        let previous = map.insert(
            (item.component, item.tariff_index),
            (q, item.amount_fen.get()),
        );
        assert!(previous.is_none(), "duplicate line item {:?}", item);
    }
    map
}

/// No line item's quantity went down (and none disappeared): with prices ≥ 0 this is
/// what makes the bill monotone, and it sees a single Wh moving between periods even
/// when the money does not show it.
fn no_quantity_lost(before: &Bill, after: &Bill) -> Result<(), TestCaseError> {
    let after = by_key(after);
    for (key, (q, _)) in by_key(before) {
        let later = after.get(&key).map_or(0, |(q, _)| *q);
        prop_assert!(later >= q, "{:?}: {} → {}", key, q, later);
    }
    Ok(())
}

/// Small increments find rounding effects, large ones find everything else.
fn more_wh() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..4, 1i64..5_000]
}

fn check_invariants(bill: &Bill) -> Result<(), TestCaseError> {
    let sum: i64 = bill.items.iter().map(|i| i.amount_fen.get()).sum();
    prop_assert_eq!(sum, bill.total_fen.get());
    prop_assert!(bill.total_fen.get() >= 0);
    for item in &bill.items {
        if item.component == Component::MaximumCap {
            prop_assert!(item.amount_fen.get() < 0);
            continue;
        }
        prop_assert!(item.amount_fen.get() >= 0, "{:?}", item);
        if let (Some(q), Some(p)) = (item.quantity, item.unit_price) {
            prop_assert!(q.value >= 0);
            let den: i128 = match p.per {
                PriceUnit::Kwh => 1_000_000,
                PriceUnit::Minutes(m) => i128::from(m) * 60_000,
            };
            let num = i128::from(q.value) * i128::from(p.millifen.get());
            // round half up, written independently of the crate's helper.
            let expected = (num * 2 + den) / (den * 2);
            prop_assert_eq!(i128::from(item.amount_fen.get()), expected, "{:?}", item);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bills_are_never_negative_and_add_up(tariff in any_tariff(), g in session()) {
        let bill = rate(&tariff, &g.facts()).unwrap();
        check_invariants(&bill)?;
    }

    #[test]
    fn splitting_at_a_meter_reading_adds_up(
        tariff in additive_tariff(),
        g in session(),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(g.points.len() >= 3);
        let k = 1 + pick.index(g.points.len() - 2);
        let first = Gen { points: g.points[..=k].to_vec(), idle_after: None, ..g.clone() };
        let second = Gen { points: g.points[k..].to_vec(), ..g.clone() };
        let whole = rate(&tariff, &g.facts()).unwrap();
        let (a, b) = (rate(&tariff, &first.facts()).unwrap(), rate(&tariff, &second.facts()).unwrap());
        let (w, a, b) = (by_key(&whole), by_key(&a), by_key(&b));

        let mut shared = 0;
        for key in w.keys().chain(a.keys()).chain(b.keys()) {
            let (wq, wa) = w.get(key).copied().unwrap_or_default();
            let (aq, aa) = a.get(key).copied().unwrap_or_default();
            let (bq, ba) = b.get(key).copied().unwrap_or_default();
            // Quantities (Wh, seconds) add up exactly.
            prop_assert_eq!(wq, aq + bq, "quantity of {:?}", key);
            let bound = i64::from(a.contains_key(key) && b.contains_key(key));
            prop_assert!((wa - aa - ba).abs() <= bound, "{:?}: {} vs {} + {}", key, wa, aa, ba);
        }
        for key in w.keys() {
            shared += i64::from(a.contains_key(key) && b.contains_key(key));
        }
        let halves: i64 = a.values().chain(b.values()).map(|(_, amount)| amount).sum();
        let total: i64 = w.values().map(|(_, amount)| amount).sum();
        prop_assert!((total - halves).abs() <= shared);
    }

    #[test]
    fn more_total_energy_never_costs_less(
        tariff in any_tariff(),
        g in session(),
        wh in 0i64..200_000,
        more in more_wh(),
    ) {
        let mut facts = g.facts();
        facts.energy = Energy::Total(Wh::new(wh));
        let less = rate(&tariff, &facts).unwrap();
        facts.energy = Energy::Total(Wh::new(wh + more));
        let bigger = rate(&tariff, &facts).unwrap();
        no_quantity_lost(&less, &bigger)?;
        prop_assert!(bigger.total_fen >= less.total_fen, "{:?}\n{:?}", less, bigger);
    }

    #[test]
    fn more_metered_energy_never_costs_less(
        tariff in any_tariff(),
        g in session(),
        pick in any::<prop::sample::Index>(),
        more in more_wh(),
    ) {
        let k = 1 + pick.index(g.points.len() - 1);
        let mut bigger = g.clone();
        // Raising every reading from sample k on puts `more` Wh into interval k-1 only.
        bigger.points[k..].iter_mut().for_each(|p| p.1 += more);
        let (a, b) = (rate(&tariff, &g.facts()).unwrap(), rate(&tariff, &bigger.facts()).unwrap());
        no_quantity_lost(&a, &b)?;
        prop_assert!(b.total_fen >= a.total_fen, "{:?}\n{:?}", a, b);
    }

    #[test]
    fn a_later_end_never_costs_less(tariff in any_tariff(), g in session(), extra in 1i64..20_000) {
        let shorter = g.facts();
        let mut longer = g.facts();
        // The meter curve is flat after its last sample; idle time stays the same.
        longer.end = instant(longer.end.timestamp() + extra);
        longer.unplugged_at = shorter.unplugged_at.map(|t| instant(t.timestamp() + extra));
        let (a, b) = (rate(&tariff, &shorter).unwrap(), rate(&tariff, &longer).unwrap());
        // Adjustments (minimum, cap) have no quantity and may legitimately change.
        no_quantity_lost(&a, &b)?;
        prop_assert!(b.total_fen >= a.total_fen, "{:?}\n{:?}", a, b);
    }

    #[test]
    fn a_window_crossing_midnight_is_one_period(
        from in 18 * 60u16..1440,
        to in 1u16..8 * 60,
        start_in in 0u16..1440,
        end_in in 0u16..1440,
        day in 0i64..365,
        wh in 1i64..100_000,
        night in energy_price(),
        other in energy_price(),
    ) {
        let clock = |m: u16| pricing::ClockTime::new((m / 60) as u8, (m % 60) as u8).unwrap();
        let tariff = crate::common::energy_only(EnergyFee::TimeOfUse(TimeOfUse { periods: vec![
            TouPeriod { kind: PeriodKind::Valley, start: clock(from), end: clock(to), price: night },
            TouPeriod { kind: PeriodKind::Flat, start: clock(to), end: clock(from), price: other },
        ]}));
        // Start in [from, 24:00) of one local day, end in (00:00, to] of the next.
        let start_minute = i64::from(from + start_in % (1440 - from));
        let end_minute = 1440 + 1 + i64::from(end_in % to);
        // Local midnight in Shanghai is 16:00 UTC the day before.
        let midnight = YEAR_2026 - 8 * 3600 + day * 86_400;
        let facts = crate::common::facts_total(
            instant(midnight + start_minute * 60),
            instant(midnight + end_minute * 60),
            wh,
        );
        let bill = rate(&tariff, &facts).unwrap();
        prop_assert_eq!(bill.items.len(), 2);
        for item in &bill.items {
            prop_assert_eq!(item.tariff_index, Some(0));
            prop_assert_eq!(item.period, Some(PeriodKind::Valley));
            prop_assert_eq!(item.quantity.map(|q| q.value), Some(wh));
        }
    }
}
