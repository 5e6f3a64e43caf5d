//! The power-bracket fee (GN 0x17/0x18, DNY 分功率): the settled power — the highest
//! power of the session — picks one bracket, whose price applies to the whole billable
//! charging time. The first bracket whose inclusive upper bound is at least the settled
//! power wins, as on the devices.

use crate::bill::{Component, LineItem, PriceUnit, Quantity, QuantityUnit, UnitPrice};
use crate::error::RateError;
use crate::rate::partial::billable_seconds;
use crate::rounding::time_amount;
use crate::tariff::{PowerBracket, PowerFee};
use crate::units::DeciWatts;

pub(crate) fn rate(
    fee: &PowerFee,
    settled: Option<DeciWatts>,
    seconds: i64,
    items: &mut Vec<LineItem>,
) -> Result<(), RateError> {
    if seconds <= 0 {
        return Ok(());
    }
    let settled = settled
        .ok_or_else(|| RateError::facts("max_power", "is required by the tariff's power fee"))?;
    let (index, bracket) = select(&fee.brackets, settled)?;
    let billed = billable_seconds(seconds, bracket.per_minutes, fee.partial);
    items.push(LineItem {
        component: Component::Power,
        period: None,
        tariff_index: u32::try_from(index).ok(),
        quantity: Some(Quantity {
            value: billed,
            unit: QuantityUnit::Second,
        }),
        unit_price: Some(UnitPrice {
            millifen: bracket.price_millifen,
            per: PriceUnit::Minutes(bracket.per_minutes),
        }),
        amount_fen: time_amount(billed, bracket.price_millifen, bracket.per_minutes)?,
    });
    Ok(())
}

/// The bracket for `settled`, or an error naming the highest bound.
pub(crate) fn select(
    brackets: &[PowerBracket],
    settled: DeciWatts,
) -> Result<(usize, &PowerBracket), RateError> {
    brackets
        .iter()
        .enumerate()
        .find(|(_, b)| b.up_to.is_none_or(|up| settled <= up))
        .ok_or_else(|| RateError::PowerAboveBrackets {
            settled,
            highest: brackets
                .iter()
                .filter_map(|b| b.up_to)
                .max()
                .unwrap_or_default(),
        })
}
