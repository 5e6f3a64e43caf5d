//! Quotes: what a driver would pay for a planned session, before it starts.
//!
//! A quote is a rating of invented facts: constant power for the planned time, energy
//! spread evenly, the expected power as settled power, no idle time. It goes through
//! [`rate`], so a quote and the bill of a session that matches the plan are equal.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::bill::Bill;
use crate::error::RateError;
use crate::facts::{Energy, SessionFacts};
use crate::limits::{MAX_SESSION_SECONDS, MAX_WH};
use crate::rate::rate;
use crate::rounding::round_half_up;
use crate::tariff::Tariff;
use crate::units::{DeciWatts, Wh};
use crate::zone::Zone;

/// A planned session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub start: DateTime<Utc>,
    pub time_zone: Zone,
    pub plan: Plan,
    /// Constant power assumed for the whole session.
    pub expected_power: DeciWatts,
}

/// How long the driver wants to charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// For this many seconds; energy = power × time.
    DurationSeconds(u32),
    /// Until this much energy; time = energy / power, in whole seconds rounded up.
    Energy(Wh),
}

/// What the driver would pay for `request` under `tariff`.
///
/// Energy from power × time is rounded half-up to the Wh (0.1 W × 1 s = 1/36 000 Wh).
pub fn quote(tariff: &Tariff, request: &QuoteRequest) -> Result<Bill, RateError> {
    let power = i128::from(request.expected_power.get());
    let (seconds, wh) = match request.plan {
        Plan::DurationSeconds(s) => {
            let s = i64::from(s);
            (s, round_half_up(power * i128::from(s), 36_000))
        }
        Plan::Energy(wh) => {
            let wh = wh.get();
            if !(0..=MAX_WH).contains(&wh) {
                return Err(RateError::facts("plan.energy", "is out of range"));
            }
            if wh > 0 && power == 0 {
                return Err(RateError::facts(
                    "expected_power",
                    "must be above zero to plan by energy",
                ));
            }
            let needed = i128::from(wh) * 36_000;
            let s = if wh == 0 {
                0
            } else {
                (needed + power - 1) / power
            };
            (i64::try_from(s).unwrap_or(i64::MAX), i128::from(wh))
        }
    };
    if seconds > MAX_SESSION_SECONDS {
        return Err(RateError::facts("plan", "the session would exceed 31 days"));
    }
    let wh = i64::try_from(wh).map_err(|_| RateError::Overflow)?;
    let end = request
        .start
        .checked_add_signed(Duration::seconds(seconds))
        .ok_or(RateError::TimeOutOfRange)?;
    let facts = SessionFacts {
        start: request.start,
        end,
        time_zone: request.time_zone,
        energy: Energy::Total(Wh::new(wh)),
        max_power: Some(request.expected_power),
        unplugged_at: None,
    };
    rate(tariff, &facts)
}
