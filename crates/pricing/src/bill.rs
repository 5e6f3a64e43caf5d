//! The output: an itemised bill whose total is, by construction, the sum of its items.

use serde::{Deserialize, Serialize};

use crate::error::RateError;
use crate::tariff::PeriodKind;
use crate::units::{Fen, MilliFen};

/// An itemised bill in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub items: Vec<LineItem>,
    /// Exactly the sum of `items[..].amount_fen`.
    pub total_fen: Fen,
    pub currency: Currency,
}

impl Bill {
    /// Sums the items; the only way the engine builds a bill.
    pub(crate) fn from_items(items: Vec<LineItem>) -> Result<Self, RateError> {
        let total = items.iter().try_fold(0i64, |acc, item| {
            acc.checked_add(item.amount_fen.get())
                .ok_or(RateError::Overflow)
        })?;
        Ok(Bill {
            items,
            total_fen: Fen::new(total),
            currency: Currency::Cny,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "CNY")]
    Cny,
}

/// One priced quantity, or an adjustment (minimum charge, cap) without one.
///
/// For priced items `amount_fen = round_half_up(quantity × unit_price)`, so a driver can
/// check every line with a calculator (see docs/billing.md, "Rounding").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub component: Component,
    /// The time-of-use period of energy items (`None` for a flat energy fee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<PeriodKind>,
    /// Position in the tariff list that priced this item: the time-of-use period, the
    /// ladder step or the power bracket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<UnitPrice>,
    pub amount_fen: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// 电费: energy × electricity price.
    Electricity,
    /// 服务费: energy × service fee.
    Service,
    /// Charging time × time price (one item per ladder step).
    Time,
    /// Charging time × the settled power's bracket price.
    Power,
    /// Idle time beyond the grace period × idle price.
    Idle,
    /// Raises the charging subtotal to the tariff's minimum (positive).
    MinimumCharge,
    /// Lowers the charging subtotal to the tariff's maximum (negative).
    MaximumCap,
}

/// A quantity in the engine's base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: i64,
    pub unit: QuantityUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityUnit {
    Wh,
    /// Seconds; with `StartedUnit` rounding already a whole number of price units.
    Second,
}

/// A price in milli-fen per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPrice {
    pub millifen: MilliFen,
    pub per: PriceUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    Kwh,
    Minutes(u32),
}
