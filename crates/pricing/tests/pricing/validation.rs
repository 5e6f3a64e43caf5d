//! Tariff and facts validation: each error names the field at fault.

use pricing::{
    DeciWatts, EnergyFee, Fen, LadderStep, MilliFen, PeriodKind, PowerBracket, PowerFee, RateError,
    Tariff, TariffError, TimeFee, TimeOfUse, Zone, rate,
};

use crate::common::*;

fn tou(periods: Vec<pricing::TouPeriod>) -> Tariff {
    energy_only(EnergyFee::TimeOfUse(TimeOfUse { periods }))
}

fn message(tariff: &Tariff) -> String {
    tariff.validate().unwrap_err().to_string()
}

#[test]
fn the_examples_are_valid() {
    assert_eq!(energy_only(four_period_tou()).validate(), Ok(()));
    // One window of 24 hours.
    let whole = tou(vec![period(
        PeriodKind::Flat,
        "08:00",
        "08:00",
        price(1, 1),
    )]);
    assert_eq!(whole.validate(), Ok(()));
}

#[test]
fn overlapping_periods_are_named() {
    let t = tou(vec![
        period(PeriodKind::Valley, "23:00", "08:00", price(1, 1)),
        period(PeriodKind::Flat, "07:00", "23:00", price(1, 1)),
    ]);
    assert_eq!(
        t.validate(),
        Err(TariffError::TouOverlap {
            first: 0,
            second: 1,
            at: "07:00".parse().unwrap()
        })
    );
    assert_eq!(
        message(&t),
        "energy.time_of_use.periods[0] and periods[1] overlap from 07:00"
    );
    // A whole-day window cannot share the day.
    let t = tou(vec![
        period(PeriodKind::Flat, "00:00", "00:00", price(1, 1)),
        period(PeriodKind::Peak, "10:00", "11:00", price(1, 1)),
    ]);
    assert!(matches!(t.validate(), Err(TariffError::TouOverlap { .. })));
}

#[test]
fn gaps_are_named() {
    let t = tou(vec![
        period(PeriodKind::Valley, "23:00", "07:00", price(1, 1)),
        period(PeriodKind::Flat, "08:00", "23:00", price(1, 1)),
    ]);
    assert_eq!(
        message(&t),
        "energy.time_of_use.periods leave 07:00–08:00 uncovered: the periods must cover the whole day"
    );
    // The gap that wraps past midnight.
    let t = tou(vec![period(
        PeriodKind::Flat,
        "00:00",
        "23:59",
        price(1, 1),
    )]);
    assert_eq!(
        t.validate(),
        Err(TariffError::TouGap {
            from: "23:59".parse().unwrap(),
            to: "00:00".parse().unwrap()
        })
    );
}

#[test]
fn negative_prices_are_named() {
    let t = tou(vec![
        period(PeriodKind::Valley, "23:00", "07:00", price(1, 1)),
        period(PeriodKind::Flat, "07:00", "23:00", price(1, -5)),
    ]);
    assert_eq!(
        message(&t),
        "energy.time_of_use.periods[1].price.service_millifen_per_kwh is negative (-5)"
    );
    let t = energy_only(EnergyFee::Flat(price(-1, 0)));
    assert_eq!(
        message(&t),
        "energy.flat.electricity_millifen_per_kwh is negative (-1)"
    );
}

fn time_fee(steps: Vec<LadderStep>) -> Tariff {
    Tariff {
        energy: None,
        time: Some(TimeFee {
            per_minutes: 60,
            partial: Default::default(),
            steps,
        }),
        ..energy_only(EnergyFee::Flat(price(0, 0)))
    }
}

fn step(up_to: Option<u32>, fen: i64) -> LadderStep {
    LadderStep {
        up_to_minutes: up_to,
        price_millifen: MilliFen::from_fen(fen),
    }
}

#[test]
fn ladders_must_be_non_empty_ascending_and_open_ended() {
    assert_eq!(message(&time_fee(vec![])), "time.steps is empty");
    assert_eq!(
        message(&time_fee(vec![
            step(Some(120), 3),
            step(Some(60), 2),
            step(None, 1)
        ])),
        "time.steps[1].up_to_minutes must be above the bound of the entry before it"
    );
    assert_eq!(
        message(&time_fee(vec![step(Some(120), 3)])),
        "time.steps[0].up_to_minutes must be open-ended (null): the ladder has to price the rest of the session"
    );
    assert_eq!(
        message(&time_fee(vec![step(None, 3), step(None, 1)])),
        "time.steps[0].up_to_minutes is open-ended but is not the last entry"
    );
    let mut zero_unit = time_fee(vec![step(None, 1)]);
    if let Some(t) = zero_unit.time.as_mut() {
        t.per_minutes = 0;
    }
    assert_eq!(
        message(&zero_unit),
        "time.per_minutes must be at least 1 minute"
    );
}

#[test]
fn brackets_must_ascend() {
    let b = |up: u32| PowerBracket {
        up_to: Some(DeciWatts::new(up)),
        price_millifen: MilliFen::from_fen(25),
        per_minutes: 60,
    };
    let t = Tariff {
        energy: None,
        power: Some(PowerFee {
            partial: Default::default(),
            brackets: vec![b(2_000), b(2_000)],
        }),
        ..energy_only(EnergyFee::Flat(price(0, 0)))
    };
    assert_eq!(
        message(&t),
        "power.brackets[1].up_to must be above the bound of the entry before it"
    );
}

#[test]
fn minimum_above_maximum_and_empty_tariffs_are_rejected() {
    let t = Tariff {
        minimum_fen: Some(Fen::new(500)),
        maximum_fen: Some(Fen::new(100)),
        ..energy_only(EnergyFee::Flat(price(1, 1)))
    };
    assert_eq!(message(&t), "minimum_fen (500) is above maximum_fen (100)");
    let t = Tariff {
        energy: None,
        ..energy_only(EnergyFee::Flat(price(1, 1)))
    };
    assert_eq!(t.validate(), Err(TariffError::NoChargingComponent));
}

#[test]
fn rate_refuses_invalid_tariffs_and_facts() {
    let bad = energy_only(EnergyFee::Flat(price(-1, 0)));
    let facts = facts_total(shanghai(2026, 1, 1, 0, 0), shanghai(2026, 1, 1, 1, 0), 10);
    assert!(matches!(
        rate(&bad, &facts),
        Err(RateError::InvalidTariff(_))
    ));

    let good = energy_only(EnergyFee::Flat(price(1, 1)));
    let backwards = facts_total(shanghai(2026, 1, 1, 1, 0), shanghai(2026, 1, 1, 0, 0), 10);
    assert_eq!(
        rate(&good, &backwards).unwrap_err().to_string(),
        "invalid session facts: end: is before start"
    );

    let mut facts = facts_total(shanghai(2026, 1, 1, 0, 0), shanghai(2026, 1, 1, 1, 0), 0);
    facts.energy = samples(&[
        (shanghai(2026, 1, 1, 0, 0), 100),
        (shanghai(2026, 1, 1, 0, 30), 90),
    ]);
    assert_eq!(
        rate(&good, &facts).unwrap_err().to_string(),
        "invalid session facts: energy.samples[1].wh: is below the previous reading: a cumulative meter never goes back"
    );
    facts.energy = samples(&[
        (shanghai(2026, 1, 1, 0, 30), 1),
        (shanghai(2026, 1, 1, 0, 30), 2),
    ]);
    assert!(
        rate(&good, &facts)
            .unwrap_err()
            .to_string()
            .contains("energy.samples[1].at")
    );

    let mut facts = facts_total(shanghai(2026, 1, 1, 0, 0), shanghai(2026, 1, 1, 1, 0), 10);
    facts.unplugged_at = Some(shanghai(2026, 1, 1, 0, 59));
    assert!(
        rate(&good, &facts)
            .unwrap_err()
            .to_string()
            .contains("unplugged_at")
    );

    let zero = facts_total(shanghai(2026, 1, 1, 1, 0), shanghai(2026, 1, 1, 1, 0), 10);
    assert!(
        rate(&good, &zero)
            .unwrap_err()
            .to_string()
            .contains("energy.total")
    );
}

#[test]
fn power_fee_needs_the_settled_power() {
    let t = Tariff {
        energy: None,
        power: Some(PowerFee {
            partial: Default::default(),
            brackets: vec![PowerBracket {
                up_to: None,
                price_millifen: MilliFen::from_fen(25),
                per_minutes: 60,
            }],
        }),
        ..energy_only(EnergyFee::Flat(price(0, 0)))
    };
    let facts = facts_total(shanghai(2026, 1, 1, 0, 0), shanghai(2026, 1, 1, 1, 0), 10);
    assert_eq!(
        rate(&t, &facts).unwrap_err().to_string(),
        "invalid session facts: max_power: is required by the tariff's power fee"
    );
}

#[test]
fn unknown_time_zones_are_rejected_when_parsed() {
    assert_eq!(
        Zone::parse("Asia/Beijing").unwrap_err().to_string(),
        "unknown time zone \"Asia/Beijing\" (expected an IANA name such as \"Asia/Shanghai\")"
    );
    let json = r#"{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z",
        "time_zone":"Asia/Beijing","energy":{"total":10}}"#;
    let err = serde_json::from_str::<pricing::SessionFacts>(json).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown time zone \"Asia/Beijing\""),
        "{err}"
    );
}

#[test]
fn quotes_need_power_to_plan_by_energy() {
    let tariff = energy_only(EnergyFee::Flat(price(1, 1)));
    let request = pricing::QuoteRequest {
        start: shanghai(2026, 1, 1, 0, 0),
        time_zone: Zone::SHANGHAI,
        plan: pricing::Plan::Energy(pricing::Wh::new(1_000)),
        expected_power: DeciWatts::new(0),
    };
    assert_eq!(
        pricing::quote(&tariff, &request).unwrap_err().to_string(),
        "invalid session facts: expected_power: must be above zero to plan by energy"
    );
    let too_long = pricing::QuoteRequest {
        plan: pricing::Plan::DurationSeconds(32 * 86_400),
        expected_power: DeciWatts::new(10),
        ..request
    };
    assert!(pricing::quote(&tariff, &too_long).is_err());
}
