//! The JSON shapes billing stores (JSONB) and accepts over REST; the tariff below is
//! the one printed in docs/billing.md.

use pricing::{Bill, PeriodKind, SessionFacts, Tariff, rate};

const TARIFF: &str = r#"{
  "energy": {"time_of_use": {"periods": [
    {"kind": "valley", "start": "23:00", "end": "07:00",
     "price": {"electricity_millifen_per_kwh": 30010, "service_millifen_per_kwh": 40000}},
    {"kind": "flat", "start": "07:00", "end": "17:00",
     "price": {"electricity_millifen_per_kwh": 65320, "service_millifen_per_kwh": 60000}},
    {"kind": "sharp", "start": "17:00", "end": "21:00",
     "price": {"electricity_millifen_per_kwh": 123310, "service_millifen_per_kwh": 80000}},
    {"kind": "peak", "start": "21:00", "end": "23:00",
     "price": {"electricity_millifen_per_kwh": 102610, "service_millifen_per_kwh": 60000}}
  ]}},
  "time": {"per_minutes": 60, "partial": "prorate", "steps": [
    {"up_to_minutes": 120, "price_millifen": 300000},
    {"up_to_minutes": null, "price_millifen": 100000}
  ]},
  "power": {"partial": "started_unit", "brackets": [
    {"up_to": 2000, "price_millifen": 25000, "per_minutes": 60},
    {"up_to": null, "price_millifen": 35000, "per_minutes": 60}
  ]},
  "idle": {"grace_minutes": 15, "price_millifen": 50000, "per_minutes": 10, "partial": "started_unit"},
  "free_minutes": 5,
  "minimum_fen": 100,
  "maximum_fen": 5000
}"#;

#[test]
fn documented_tariff_parses_validates_and_round_trips() {
    let tariff: Tariff = serde_json::from_str(TARIFF).unwrap();
    tariff.validate().unwrap();
    let again: Tariff = serde_json::from_str(&serde_json::to_string(&tariff).unwrap()).unwrap();
    assert_eq!(again, tariff);
    // The example-2 periods, spelled the same in Rust and in JSON.
    let expected = crate::common::four_period_tou();
    assert_eq!(tariff.energy, Some(expected));
}

#[test]
fn chinese_period_names_are_accepted() {
    let json = TARIFF
        .replace("\"valley\"", "\"谷\"")
        .replace("\"sharp\"", "\"尖\"");
    let tariff: Tariff = serde_json::from_str(&json).unwrap();
    let Some(pricing::EnergyFee::TimeOfUse(tou)) = tariff.energy else {
        panic!("not time of use")
    };
    assert_eq!(tou.periods[0].kind, PeriodKind::Valley);
    assert_eq!(tou.periods[2].kind, PeriodKind::Sharp);
}

#[test]
fn unknown_fields_and_bad_times_are_rejected() {
    let typo = TARIFF.replace("\"free_minutes\"", "\"free_minute\"");
    assert!(serde_json::from_str::<Tariff>(&typo).is_err());
    let bad = TARIFF.replace(
        "\"23:00\", \"end\": \"07:00\"",
        "\"24:00\", \"end\": \"07:00\"",
    );
    let err = serde_json::from_str::<Tariff>(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"24:00\" is not a time of day"), "{err}");
}

#[test]
fn facts_and_bill_have_stable_json() {
    let facts: SessionFacts = serde_json::from_str(
        r#"{"start": "2026-11-20T14:30:00Z", "end": "2026-11-20T17:00:00Z",
            "time_zone": "Asia/Shanghai",
            "energy": {"samples": [{"at": "2026-11-20T14:30:00Z", "wh": 0},
                                   {"at": "2026-11-20T17:00:00Z", "wh": 7501}]},
            "max_power": 70000}"#,
    )
    .unwrap();
    let tariff = crate::common::energy_only(crate::common::four_period_tou());
    let bill = rate(&tariff, &facts).unwrap();
    let json = serde_json::to_value(&bill).unwrap();
    assert_eq!(json["currency"], "CNY");
    assert_eq!(json["total_fen"], bill.total_fen.get());
    let first = &json["items"][0];
    assert_eq!(first["component"], "electricity");
    assert_eq!(first["period"], "valley");
    assert_eq!(first["tariff_index"], 0);
    assert_eq!(first["quantity"]["unit"], "wh");
    assert_eq!(first["unit_price"]["per"], "kwh");
    let back: Bill = serde_json::from_value(json).unwrap();
    assert_eq!(back, bill);
}
