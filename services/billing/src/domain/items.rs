//! The names of the engine's enums as they appear on the wire (proto strings, event
//! fields, report columns). They are pricing's own serde names, taken from serde so the
//! two can never drift apart.

use pricing::{Component, Currency, PeriodKind, PriceUnit, QuantityUnit};
use serde::Serialize;

fn serde_name<T: Serialize + std::fmt::Debug>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        // Unreachable for the unit enums below (their tests check every variant); a
        // debug name keeps a report readable should pricing ever add a data variant.
        _ => format!("{v:?}").to_ascii_lowercase(),
    }
}

pub fn component(c: Component) -> String {
    serde_name(&c)
}

pub fn period(p: PeriodKind) -> String {
    serde_name(&p)
}

/// `"CNY"`.
pub fn currency(c: Currency) -> String {
    serde_name(&c)
}

pub fn quantity_unit(u: QuantityUnit) -> String {
    serde_name(&u)
}

/// `("kwh", 0)` or `("minutes", n)`.
pub fn price_unit(u: PriceUnit) -> (&'static str, u32) {
    match u {
        PriceUnit::Kwh => ("kwh", 0),
        PriceUnit::Minutes(n) => ("minutes", n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pricings_serde_names() {
        let all = [
            (Component::Electricity, "electricity"),
            (Component::Service, "service"),
            (Component::Time, "time"),
            (Component::Power, "power"),
            (Component::Idle, "idle"),
            (Component::MinimumCharge, "minimum_charge"),
            (Component::MaximumCap, "maximum_cap"),
        ];
        for (c, n) in all {
            assert_eq!(component(c), n);
        }
        let periods = [
            (PeriodKind::Sharp, "sharp"),
            (PeriodKind::Peak, "peak"),
            (PeriodKind::Flat, "flat"),
            (PeriodKind::Valley, "valley"),
        ];
        for (p, n) in periods {
            assert_eq!(period(p), n);
        }
        assert_eq!(currency(Currency::Cny), "CNY");
        assert_eq!(quantity_unit(QuantityUnit::Wh), "wh");
        assert_eq!(quantity_unit(QuantityUnit::Second), "second");
        assert_eq!(price_unit(PriceUnit::Minutes(60)), ("minutes", 60));
    }
}
