//! The worked examples of docs/billing.md, rated by the engine and compared with the
//! fen computed there by hand. If one of these fails, either the engine or the document
//! is wrong: fix whichever it is, never just the number.

use pricing::{
    Component, DeciWatts, EnergyFee, IdleFee, LadderStep, MilliFen, PartialUnit, Plan,
    PowerBracket, PowerFee, PriceUnit, QuantityUnit, QuoteRequest, Tariff, TimeFee, Zone, quote,
    rate,
};

use crate::common::*;

/// Example 1: flat energy, 7 345 Wh at 0.6532 + 0.40 yuan/kWh.
#[test]
fn example_1_flat_energy() {
    let tariff = energy_only(EnergyFee::Flat(price(65_320, 40_000)));
    let facts = facts_total(
        shanghai(2026, 11, 20, 10, 0),
        shanghai(2026, 11, 20, 11, 30),
        7_345,
    );
    let bill = rate(&tariff, &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, None, 480),
            (Component::Service, None, 294)
        ]
    );
    assert_eq!(quantity(&bill.items[0]), 7_345);
    assert_eq!(bill.items[0].period, None);
    assert_eq!(bill.total_fen.get(), 774);
}

/// Example 2: four-period TOU, 22:30 → 01:00, across 23:00 (峰 → 谷) and midnight.
#[test]
fn example_2_tou_across_23_and_midnight() {
    let tariff = energy_only(four_period_tou());
    let mut facts = facts_total(
        shanghai(2026, 11, 20, 22, 30),
        shanghai(2026, 11, 21, 1, 0),
        0,
    );
    facts.energy = samples(&[
        (shanghai(2026, 11, 20, 22, 30), 0),
        (shanghai(2026, 11, 20, 22, 50), 1_000),
        (shanghai(2026, 11, 20, 23, 20), 2_501),
        (shanghai(2026, 11, 21, 1, 0), 7_501),
    ]);
    let bill = rate(&tariff, &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, Some(0), 180),
            (Component::Service, Some(0), 240),
            (Component::Electricity, Some(3), 154),
            (Component::Service, Some(3), 90),
        ]
    );
    let wh: Vec<i64> = bill.items.iter().map(quantity).collect();
    assert_eq!(wh, vec![6_001, 6_001, 1_500, 1_500]);
    assert_eq!(bill.items[0].period, Some(pricing::PeriodKind::Valley));
    assert_eq!(bill.items[2].period, Some(pricing::PeriodKind::Peak));
    assert_eq!(bill.total_fen.get(), 664);
}

fn ladder(partial: PartialUnit) -> Tariff {
    Tariff {
        time: Some(TimeFee {
            per_minutes: 60,
            partial,
            steps: vec![
                LadderStep {
                    up_to_minutes: Some(120),
                    price_millifen: MilliFen::from_fen(300),
                },
                LadderStep {
                    up_to_minutes: None,
                    price_millifen: MilliFen::from_fen(100),
                },
            ],
        }),
        energy: None,
        free_minutes: 10,
        ..energy_only(EnergyFee::Flat(price(0, 0)))
    }
}

/// Example 3: time ladder, 3 h 25 min with 10 free minutes, prorated and by started hour.
#[test]
fn example_3_time_ladder() {
    let facts = facts_total(
        shanghai(2026, 11, 20, 9, 0),
        shanghai(2026, 11, 20, 12, 25),
        2_000,
    );
    let bill = rate(&ladder(PartialUnit::Prorate), &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Time, Some(0), 550),
            (Component::Time, Some(1), 142)
        ]
    );
    assert_eq!(quantity(&bill.items[0]), 6_600);
    assert_eq!(quantity(&bill.items[1]), 5_100);
    assert_eq!(bill.total_fen.get(), 692);

    let bill = rate(&ladder(PartialUnit::StartedUnit), &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Time, Some(0), 600),
            (Component::Time, Some(1), 200)
        ]
    );
    assert_eq!(quantity(&bill.items[1]), 7_200);
    assert_eq!(bill.total_fen.get(), 800);
}

fn gn_brackets(partial: PartialUnit) -> Tariff {
    let bracket = |up_to: u32, fen: i64| PowerBracket {
        up_to: Some(DeciWatts::new(up_to)),
        price_millifen: MilliFen::from_fen(fen),
        per_minutes: 60,
    };
    Tariff {
        power: Some(PowerFee {
            partial,
            brackets: vec![bracket(2_000, 25), bracket(4_000, 35), bracket(10_000, 50)],
        }),
        energy: None,
        ..energy_only(EnergyFee::Flat(price(0, 0)))
    }
}

/// Example 4: power brackets, settled power 300.0 W, 4 h 20 min.
#[test]
fn example_4_power_bracket() {
    let mut facts = facts_total(
        shanghai(2026, 11, 20, 8, 0),
        shanghai(2026, 11, 20, 12, 20),
        1_200,
    );
    facts.max_power = Some(DeciWatts::new(3_000));
    let bill = rate(&gn_brackets(PartialUnit::StartedUnit), &facts).unwrap();
    assert_eq!(amounts(&bill), vec![(Component::Power, Some(1), 175)]);
    assert_eq!(quantity(&bill.items[0]), 18_000);
    let unit = bill.items[0].unit_price.unwrap();
    assert_eq!(unit.per, PriceUnit::Minutes(60));
    assert_eq!(unit.millifen, MilliFen::new(35_000));

    let bill = rate(&gn_brackets(PartialUnit::Prorate), &facts).unwrap();
    assert_eq!(amounts(&bill), vec![(Component::Power, Some(1), 152)]);

    // Exactly on a bound belongs to that bracket; above the top one is an error.
    facts.max_power = Some(DeciWatts::new(2_000));
    let bill = rate(&gn_brackets(PartialUnit::StartedUnit), &facts).unwrap();
    assert_eq!(amounts(&bill), vec![(Component::Power, Some(0), 125)]);
    facts.max_power = Some(DeciWatts::new(10_001));
    assert!(matches!(
        rate(&gn_brackets(PartialUnit::StartedUnit), &facts),
        Err(pricing::RateError::PowerAboveBrackets { .. })
    ));
}

/// Example 5: idle fee, unplugged 47 min after charging ended, 15 min grace.
#[test]
fn example_5_idle_after_grace() {
    let tariff = Tariff {
        idle: Some(IdleFee {
            grace_minutes: 15,
            price_millifen: MilliFen::from_fen(50),
            per_minutes: 10,
            partial: PartialUnit::StartedUnit,
        }),
        ..energy_only(EnergyFee::Flat(price(50_000, 50_000)))
    };
    let mut facts = facts_total(
        shanghai(2026, 11, 20, 16, 0),
        shanghai(2026, 11, 20, 18, 0),
        10_000,
    );
    facts.unplugged_at = Some(shanghai(2026, 11, 20, 18, 47));
    let bill = rate(&tariff, &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, None, 500),
            (Component::Service, None, 500),
            (Component::Idle, None, 200),
        ]
    );
    assert_eq!(quantity(&bill.items[2]), 2_400);
    assert_eq!(bill.total_fen.get(), 1_200);

    // Unplugged within the grace period: no idle item.
    facts.unplugged_at = Some(shanghai(2026, 11, 20, 18, 15));
    assert_eq!(rate(&tariff, &facts).unwrap().total_fen.get(), 1_000);
}

fn min_max() -> Tariff {
    Tariff {
        free_minutes: 5,
        minimum_fen: Some(pricing::Fen::new(100)),
        maximum_fen: Some(pricing::Fen::new(2_000)),
        ..energy_only(EnergyFee::Flat(price(65_320, 40_000)))
    }
}

/// Example 6a: a short session is raised to the minimum.
#[test]
fn example_6a_minimum() {
    let mut facts = facts_total(
        shanghai(2026, 11, 20, 9, 0),
        shanghai(2026, 11, 20, 9, 20),
        0,
    );
    facts.energy = samples(&[
        (shanghai(2026, 11, 20, 9, 0), 0),
        (shanghai(2026, 11, 20, 9, 20), 400),
    ]);
    let bill = rate(&min_max(), &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, None, 20),
            (Component::Service, None, 12),
            (Component::MinimumCharge, None, 68),
        ]
    );
    assert_eq!(quantity(&bill.items[0]), 300);
    assert_eq!(bill.total_fen.get(), 100);
}

/// Example 6b: a long session is capped.
#[test]
fn example_6b_maximum() {
    let facts = facts_total(
        shanghai(2026, 11, 20, 8, 0),
        shanghai(2026, 11, 20, 18, 0),
        25_000,
    );
    let bill = rate(&min_max(), &facts).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, None, 1_619),
            (Component::Service, None, 992),
            (Component::MaximumCap, None, -611),
        ]
    );
    assert_eq!(quantity(&bill.items[0]), 24_792);
    assert_eq!(bill.total_fen.get(), 2_000);
}

/// Example 6c: ended inside the free minutes: nothing, not even the minimum.
#[test]
fn example_6c_inside_free_minutes() {
    let facts = facts_total(
        shanghai(2026, 11, 20, 9, 0),
        shanghai(2026, 11, 20, 9, 3),
        40,
    );
    let bill = rate(&min_max(), &facts).unwrap();
    assert!(bill.items.is_empty());
    assert_eq!(bill.total_fen.get(), 0);
}

/// Example 7: a quote for 2 h at 3.5 kW from 22:00 under the example 2 tariff.
#[test]
fn example_7_quote() {
    let tariff = energy_only(four_period_tou());
    let request = QuoteRequest {
        start: shanghai(2026, 11, 20, 22, 0),
        time_zone: Zone::SHANGHAI,
        plan: Plan::DurationSeconds(7_200),
        expected_power: DeciWatts::new(35_000),
    };
    let bill = quote(&tariff, &request).unwrap();
    assert_eq!(
        amounts(&bill),
        vec![
            (Component::Electricity, Some(0), 105),
            (Component::Service, Some(0), 140),
            (Component::Electricity, Some(3), 359),
            (Component::Service, Some(3), 210),
        ]
    );
    assert_eq!(bill.total_fen.get(), 814);

    // Planning by energy instead gives the same session, hence the same bill.
    let by_energy = QuoteRequest {
        plan: Plan::Energy(pricing::Wh::new(7_000)),
        ..request
    };
    assert_eq!(quote(&tariff, &by_energy).unwrap(), bill);
    assert_eq!(bill.items[0].quantity.unwrap().unit, QuantityUnit::Wh);
}
