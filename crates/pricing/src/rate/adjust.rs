//! Minimum charge and cap on the charging subtotal (energy + time + power items).
//!
//! Both are whole-fen differences added as their own line items, so no rounding
//! happens here and the items still sum to the total. A session that ended inside the
//! free minutes has no billable time and pays no minimum.

use crate::bill::{Component, LineItem};
use crate::error::RateError;
use crate::units::Fen;

pub(crate) fn apply(
    minimum: Option<Fen>,
    maximum: Option<Fen>,
    billable: bool,
    items: &mut Vec<LineItem>,
) -> Result<(), RateError> {
    let subtotal = items.iter().try_fold(0i64, |acc, item| {
        acc.checked_add(item.amount_fen.get())
            .ok_or(RateError::Overflow)
    })?;
    let adjustment = match (minimum, maximum) {
        (Some(min), _) if billable && subtotal < min.get() => {
            Some((Component::MinimumCharge, min.get() - subtotal))
        }
        (_, Some(max)) if subtotal > max.get() => {
            Some((Component::MaximumCap, max.get() - subtotal))
        }
        _ => None,
    };
    if let Some((component, amount)) = adjustment {
        items.push(LineItem {
            component,
            period: None,
            tariff_index: None,
            quantity: None,
            unit_price: None,
            amount_fen: Fen::new(amount),
        });
    }
    Ok(())
}
