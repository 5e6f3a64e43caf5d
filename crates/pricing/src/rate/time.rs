//! The time fee: charging time × price, laddered by elapsed session time.
//!
//! Step bounds count from the session start; the free minutes only remove the first
//! part of whichever steps they cover. Each step that has billable time is one line
//! item, rounded on its own (see `rounding.rs`).

use crate::bill::{Component, LineItem, PriceUnit, Quantity, QuantityUnit, UnitPrice};
use crate::error::RateError;
use crate::rate::partial::billable_seconds;
use crate::rounding::time_amount;
use crate::tariff::TimeFee;

/// `free` and `duration` are seconds from the session start.
pub(crate) fn rate(
    fee: &TimeFee,
    free: i64,
    duration: i64,
    items: &mut Vec<LineItem>,
) -> Result<(), RateError> {
    let mut lower = 0i64;
    for (i, step) in fee.steps.iter().enumerate() {
        let upper = step.up_to_minutes.map_or(i64::MAX, |m| i64::from(m) * 60);
        let seconds = upper.min(duration) - lower.max(free);
        if seconds > 0 {
            let billed = billable_seconds(seconds, fee.per_minutes, fee.partial);
            items.push(LineItem {
                component: Component::Time,
                period: None,
                tariff_index: u32::try_from(i).ok(),
                quantity: Some(Quantity {
                    value: billed,
                    unit: QuantityUnit::Second,
                }),
                unit_price: Some(UnitPrice {
                    millifen: step.price_millifen,
                    per: PriceUnit::Minutes(fee.per_minutes),
                }),
                amount_fen: time_amount(billed, step.price_millifen, fee.per_minutes)?,
            });
        }
        if upper >= duration {
            break;
        }
        lower = upper;
    }
    Ok(())
}
