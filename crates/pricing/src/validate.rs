//! Tariff validation. Every error names the offending field by its JSON path so that the
//! billing REST API can hand it back to the operator unchanged.
//!
//! The limits keep every intermediate product of the engine inside `i128` and keep a
//! rating bounded in time and memory whatever a client sends.

use crate::limits::{
    MAX_BRACKETS, MAX_FEN, MAX_LADDER_STEPS, MAX_MINUTES, MAX_PRICE_MILLIFEN, MAX_TOU_PERIODS,
};
use crate::tariff::{EnergyFee, EnergyPrice, PowerFee, Tariff, TimeFee, TimeOfUse};
use crate::units::{ClockTime, MINUTES_PER_DAY, MilliFen};

/// What is wrong with a tariff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("the tariff has no charging component: set energy, time or power")]
    NoChargingComponent,
    #[error("{field} is negative ({value})")]
    Negative { field: String, value: i64 },
    #[error("{field} is {value}, above the limit {max}")]
    TooLarge { field: String, value: i64, max: i64 },
    #[error("{field} must be at least 1 minute")]
    ZeroMinutes { field: String },
    #[error("{field} is empty")]
    Empty { field: String },
    #[error("{field} has {len} entries, above the limit {max}")]
    TooMany {
        field: String,
        len: usize,
        max: usize,
    },
    #[error("energy.time_of_use.periods[{first}] and periods[{second}] overlap from {at}")]
    TouOverlap {
        first: usize,
        second: usize,
        at: ClockTime,
    },
    #[error(
        "energy.time_of_use.periods leave {from}–{to} uncovered: the periods must cover the whole day"
    )]
    TouGap { from: ClockTime, to: ClockTime },
    #[error("{field} must be above the bound of the entry before it")]
    NotAscending { field: String },
    #[error("{field} is open-ended but is not the last entry")]
    OpenEndedBeforeLast { field: String },
    #[error("{field} must be open-ended (null): the ladder has to price the rest of the session")]
    LastStepBounded { field: String },
    #[error("minimum_fen ({min}) is above maximum_fen ({max})")]
    MinimumAboveMaximum { min: i64, max: i64 },
}

impl Tariff {
    /// Checks the tariff; [`crate::rate`] calls this before rating.
    pub fn validate(&self) -> Result<(), TariffError> {
        if self.energy.is_none() && self.time.is_none() && self.power.is_none() {
            return Err(TariffError::NoChargingComponent);
        }
        if let Some(energy) = &self.energy {
            validate_energy(energy)?;
        }
        if let Some(time) = &self.time {
            validate_time(time)?;
        }
        if let Some(power) = &self.power {
            validate_power(power)?;
        }
        if let Some(idle) = &self.idle {
            minutes(Path::top("idle.grace_minutes"), idle.grace_minutes, true)?;
            minutes(Path::top("idle.per_minutes"), idle.per_minutes, false)?;
            price(Path::top("idle.price_millifen"), idle.price_millifen)?;
        }
        minutes(Path::top("free_minutes"), self.free_minutes, true)?;
        let min = self.minimum_fen.map(|f| f.get());
        let max = self.maximum_fen.map(|f| f.get());
        if let Some(min) = min {
            amount(Path::top("minimum_fen"), min)?;
        }
        if let Some(max) = max {
            amount(Path::top("maximum_fen"), max)?;
        }
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Err(TariffError::MinimumAboveMaximum { min, max });
        }
        Ok(())
    }
}

fn validate_energy(energy: &EnergyFee) -> Result<(), TariffError> {
    match energy {
        EnergyFee::Flat(p) => energy_price(
            p,
            Path::top("energy.flat.electricity_millifen_per_kwh"),
            Path::top("energy.flat.service_millifen_per_kwh"),
        ),
        EnergyFee::TimeOfUse(tou) => validate_tou(tou),
    }
}

fn validate_tou(tou: &TimeOfUse) -> Result<(), TariffError> {
    const FIELD: &str = "energy.time_of_use.periods";
    count(Path::top(FIELD), tou.periods.len(), MAX_TOU_PERIODS)?;
    for (i, p) in tou.periods.iter().enumerate() {
        energy_price(
            &p.price,
            Path::at(FIELD, i, "price.electricity_millifen_per_kwh"),
            Path::at(FIELD, i, "price.service_millifen_per_kwh"),
        )?;
    }
    // Walk the windows in order of start; each must end exactly where the next begins,
    // and the last must wrap around to the first: that is "no overlap and no gap".
    let mut order: Vec<usize> = (0..tou.periods.len()).collect();
    order.sort_by_key(|&i| tou.periods[i].start);
    for (k, &i) in order.iter().enumerate() {
        let next = order[(k + 1) % order.len()];
        let (cur, nxt) = (&tou.periods[i], &tou.periods[next]);
        let end = u32::from(cur.start.minute_of_day()) + u32::from(cur.minutes());
        let mut next_start = u32::from(nxt.start.minute_of_day());
        if k + 1 == order.len() {
            next_start += u32::from(MINUTES_PER_DAY);
        }
        if end > next_start {
            return Err(TariffError::TouOverlap {
                first: i.min(next),
                second: i.max(next),
                at: nxt.start,
            });
        }
        if end < next_start {
            return Err(TariffError::TouGap {
                from: clock(end),
                to: nxt.start,
            });
        }
    }
    Ok(())
}

fn validate_time(time: &TimeFee) -> Result<(), TariffError> {
    const FIELD: &str = "time.steps";
    minutes(Path::top("time.per_minutes"), time.per_minutes, false)?;
    count(Path::top(FIELD), time.steps.len(), MAX_LADDER_STEPS)?;
    let mut previous = 0;
    let last = time.steps.len() - 1;
    for (i, step) in time.steps.iter().enumerate() {
        price(Path::at(FIELD, i, "price_millifen"), step.price_millifen)?;
        let bound_field = Path::at(FIELD, i, "up_to_minutes");
        match step.up_to_minutes {
            Some(_) if i == last => {
                return Err(TariffError::LastStepBounded {
                    field: bound_field.render(),
                });
            }
            Some(bound) => {
                minutes(bound_field, bound, true)?;
                if bound <= previous {
                    return Err(TariffError::NotAscending {
                        field: bound_field.render(),
                    });
                }
                previous = bound;
            }
            None if i != last => {
                return Err(TariffError::OpenEndedBeforeLast {
                    field: bound_field.render(),
                });
            }
            None => {}
        }
    }
    Ok(())
}

fn validate_power(power: &PowerFee) -> Result<(), TariffError> {
    const FIELD: &str = "power.brackets";
    count(Path::top(FIELD), power.brackets.len(), MAX_BRACKETS)?;
    let mut previous: Option<u32> = None;
    let last = power.brackets.len() - 1;
    for (i, b) in power.brackets.iter().enumerate() {
        price(Path::at(FIELD, i, "price_millifen"), b.price_millifen)?;
        minutes(Path::at(FIELD, i, "per_minutes"), b.per_minutes, false)?;
        match b.up_to {
            Some(bound) => {
                if previous.is_some_and(|p| bound.get() <= p) {
                    return Err(TariffError::NotAscending {
                        field: Path::at(FIELD, i, "up_to").render(),
                    });
                }
                previous = Some(bound.get());
            }
            // An open-ended last bracket is optional: without one, a session above the
            // top bound is a rating error the operator must see, not a silent price.
            None if i != last => {
                return Err(TariffError::OpenEndedBeforeLast {
                    field: Path::at(FIELD, i, "up_to").render(),
                });
            }
            None => {}
        }
    }
    Ok(())
}

/// A field's JSON path, rendered only when there is an error to report: validation
/// runs on every rating, and naming fields eagerly would allocate on the hot path.
#[derive(Debug, Clone, Copy)]
struct Path {
    base: &'static str,
    index: Option<usize>,
    leaf: &'static str,
}

impl Path {
    fn top(name: &'static str) -> Self {
        Path {
            base: name,
            index: None,
            leaf: "",
        }
    }

    fn at(base: &'static str, index: usize, leaf: &'static str) -> Self {
        Path {
            base,
            index: Some(index),
            leaf,
        }
    }

    fn render(self) -> String {
        match self.index {
            None => self.base.to_owned(),
            Some(i) => format!("{}[{i}].{}", self.base, self.leaf),
        }
    }
}

fn energy_price(p: &EnergyPrice, electricity: Path, service: Path) -> Result<(), TariffError> {
    price(electricity, p.electricity_millifen_per_kwh)?;
    price(service, p.service_millifen_per_kwh)
}

fn price(field: Path, p: MilliFen) -> Result<(), TariffError> {
    bounded(field, p.get(), MAX_PRICE_MILLIFEN)
}

fn amount(field: Path, fen: i64) -> Result<(), TariffError> {
    bounded(field, fen, MAX_FEN)
}

fn bounded(field: Path, value: i64, max: i64) -> Result<(), TariffError> {
    if value < 0 {
        return Err(TariffError::Negative {
            field: field.render(),
            value,
        });
    }
    if value > max {
        return Err(TariffError::TooLarge {
            field: field.render(),
            value,
            max,
        });
    }
    Ok(())
}

fn minutes(field: Path, value: u32, zero_ok: bool) -> Result<(), TariffError> {
    if value == 0 && !zero_ok {
        return Err(TariffError::ZeroMinutes {
            field: field.render(),
        });
    }
    bounded(field, i64::from(value), i64::from(MAX_MINUTES))
}

fn count(field: Path, len: usize, max: usize) -> Result<(), TariffError> {
    if len == 0 {
        return Err(TariffError::Empty {
            field: field.render(),
        });
    }
    if len > max {
        return Err(TariffError::TooMany {
            field: field.render(),
            len,
            max,
        });
    }
    Ok(())
}

/// A minute count (possibly ≥ 1440 after wrapping) as a clock time.
fn clock(minute: u32) -> ClockTime {
    let m = minute % u32::from(MINUTES_PER_DAY);
    // `m` < 1440, so the hour is < 24 and the constructor cannot fail.
    ClockTime::new((m / 60) as u8, (m % 60) as u8).unwrap_or(ClockTime::MIDNIGHT)
}
