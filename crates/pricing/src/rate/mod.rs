//! The rating engine: tariff + session facts → bill.
//!
//! Order of work: validate the tariff and the facts; the charging components (energy,
//! time, power) price `[start + free minutes, end)`; the minimum/cap adjusts their
//! subtotal; the idle fee is added last, outside the cap.

mod adjust;
mod energy;
mod idle;
mod partial;
mod power;
mod time;
pub(crate) mod timeline;

use crate::bill::Bill;
use crate::error::RateError;
use crate::facts::{Session, SessionFacts};
use crate::tariff::Tariff;

/// Rates one session.
///
/// # Errors
/// [`RateError::InvalidTariff`] and [`RateError::InvalidFacts`] name the field at
/// fault; [`RateError::PowerAboveBrackets`] when the settled power has no bracket.
pub fn rate(tariff: &Tariff, facts: &SessionFacts) -> Result<Bill, RateError> {
    tariff.validate()?;
    let session = Session::from_facts(facts)?;
    let free = (i64::from(tariff.free_minutes) * 60).min(session.end - session.start);
    let billable_from = session.start + free;
    let duration = session.end - session.start;

    let mut items = Vec::new();
    if let Some(fee) = &tariff.energy {
        energy::rate(fee, &session, billable_from, &mut items)?;
    }
    if let Some(fee) = &tariff.time {
        time::rate(fee, free, duration, &mut items)?;
    }
    if let Some(fee) = &tariff.power {
        power::rate(fee, session.max_power, duration - free, &mut items)?;
    }
    adjust::apply(
        tariff.minimum_fen,
        tariff.maximum_fen,
        billable_from < session.end,
        &mut items,
    )?;
    if let (Some(fee), Some(unplugged)) = (&tariff.idle, session.unplugged_at) {
        idle::rate(fee, unplugged - session.end, &mut items)?;
    }
    Bill::from_items(items)
}
