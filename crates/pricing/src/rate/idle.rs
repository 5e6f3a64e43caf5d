//! The idle (occupancy) fee: time between the end of charging and the unplug, minus
//! the grace period. Free minutes do not apply here: they forgive a failed start, not a
//! blocked port.

use crate::bill::{Component, LineItem, PriceUnit, Quantity, QuantityUnit, UnitPrice};
use crate::error::RateError;
use crate::rate::partial::billable_seconds;
use crate::rounding::time_amount;
use crate::tariff::IdleFee;

/// `occupied` is the seconds from the end of charging to the unplug.
pub(crate) fn rate(
    fee: &IdleFee,
    occupied: i64,
    items: &mut Vec<LineItem>,
) -> Result<(), RateError> {
    let seconds = occupied - i64::from(fee.grace_minutes) * 60;
    if seconds <= 0 {
        return Ok(());
    }
    let billed = billable_seconds(seconds, fee.per_minutes, fee.partial);
    items.push(LineItem {
        component: Component::Idle,
        period: None,
        tariff_index: None,
        quantity: Some(Quantity {
            value: billed,
            unit: QuantityUnit::Second,
        }),
        unit_price: Some(UnitPrice {
            millifen: fee.price_millifen,
            per: PriceUnit::Minutes(fee.per_minutes),
        }),
        amount_fen: time_amount(billed, fee.price_millifen, fee.per_minutes)?,
    });
    Ok(())
}
