//! The one place where exact amounts become fen.
//!
//! Rule: every priced line item is computed exactly as a fraction of a fen
//! (quantity × price in milli-fen over the unit) and rounded **once, half-up, to the
//! fen**. Nothing else is ever rounded: adjustments (minimum, cap) are differences of
//! whole fen, and the bill total is the integer sum of the items.
//!
//! Energy: Wh × milli-fen/kWh = 10⁻⁶ fen, so `fen = round(Wh × price / 1 000 000)`.
//! Time:   s × milli-fen per N min, so `fen = round(s × price / (N × 60 × 1000))`.

use crate::error::RateError;
use crate::units::{Fen, MilliFen};

/// `num / den` rounded to the nearest integer, halves upwards (towards +∞).
/// `den` must be positive.
pub(crate) fn round_half_up(num: i128, den: i128) -> i128 {
    // floor((2·num + den) / (2·den)) = floor(num/den + 1/2), exact for any sign of num.
    (2 * num + den).div_euclid(2 * den)
}

fn to_fen(num: i128, den: i128) -> Result<Fen, RateError> {
    i64::try_from(round_half_up(num, den))
        .map(Fen::new)
        .map_err(|_| RateError::Overflow)
}

/// Amount of `wh` watt-hours at `price` milli-fen per kWh.
pub(crate) fn energy_amount(wh: i64, price: MilliFen) -> Result<Fen, RateError> {
    to_fen(i128::from(wh) * i128::from(price.get()), 1_000_000)
}

/// Amount of `seconds` at `price` milli-fen per `per_minutes` minutes.
pub(crate) fn time_amount(
    seconds: i64,
    price: MilliFen,
    per_minutes: u32,
) -> Result<Fen, RateError> {
    let den = i128::from(per_minutes) * 60 * 1000;
    if den == 0 {
        // Validation forbids a zero unit; refuse rather than divide by zero.
        return Err(RateError::Overflow);
    }
    to_fen(i128::from(seconds) * i128::from(price.get()), den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_go_up() {
        assert_eq!(round_half_up(5, 10), 1);
        assert_eq!(round_half_up(4, 10), 0);
        assert_eq!(round_half_up(15, 10), 2);
        assert_eq!(round_half_up(14_999, 10_000), 1);
        assert_eq!(round_half_up(-5, 10), 0);
        assert_eq!(round_half_up(-6, 10), -1);
        assert_eq!(round_half_up(0, 7), 0);
    }

    #[test]
    fn energy_and_time_amounts() {
        // 7 345 Wh at 0.6532 yuan/kWh = 479.7754 fen → 480.
        assert_eq!(
            energy_amount(7_345, MilliFen::new(65_320)).unwrap(),
            Fen::new(480)
        );
        // 5 100 s at 1 yuan/h = 141.67 fen → 142.
        assert_eq!(
            time_amount(5_100, MilliFen::from_fen(100), 60).unwrap(),
            Fen::new(142)
        );
        // 500 Wh at 1 fen/kWh is exactly half a fen → 1; 499 Wh is 0.499 fen → 0.
        assert_eq!(
            energy_amount(500, MilliFen::from_fen(1)).unwrap(),
            Fen::new(1)
        );
        assert_eq!(
            energy_amount(499, MilliFen::from_fen(1)).unwrap(),
            Fen::new(0)
        );
    }
}
