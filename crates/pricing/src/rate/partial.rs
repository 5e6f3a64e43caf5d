//! Billable seconds under a [`PartialUnit`] policy.

use crate::tariff::PartialUnit;

/// `seconds` as billed with a price unit of `per_minutes` minutes: unchanged when
/// prorated, rounded up to whole units when every started unit counts.
pub(crate) fn billable_seconds(seconds: i64, per_minutes: u32, partial: PartialUnit) -> i64 {
    match partial {
        PartialUnit::Prorate => seconds,
        PartialUnit::StartedUnit => {
            let unit = i64::from(per_minutes.max(1)) * 60;
            // Non-negative operands: ceiling division without overflow for the limits.
            seconds.div_euclid(unit) * unit + if seconds % unit > 0 { unit } else { 0 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_units_round_up() {
        assert_eq!(billable_seconds(3601, 60, PartialUnit::StartedUnit), 7200);
        assert_eq!(billable_seconds(3600, 60, PartialUnit::StartedUnit), 3600);
        assert_eq!(billable_seconds(0, 60, PartialUnit::StartedUnit), 0);
        assert_eq!(billable_seconds(1, 1, PartialUnit::StartedUnit), 60);
        assert_eq!(billable_seconds(3601, 60, PartialUnit::Prorate), 3601);
    }
}
