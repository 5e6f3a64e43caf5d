//! What happened in a session: the input of [`crate::rate`]. The charging service
//! assembles it from device events; nothing here reads a clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::RateError;
use crate::limits::{MAX_SAMPLES, MAX_SESSION_SECONDS, MAX_WH};
use crate::units::{DeciWatts, Wh};
use crate::zone::Zone;

/// The facts of one charging session.
///
/// Instants are used at whole-second resolution (sub-second parts are dropped, as the
/// devices report seconds). Charging is `[start, end)`; idle time is `[end, unplugged_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFacts {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The tenant's IANA time zone; time-of-use windows are its local wall clock.
    pub time_zone: Zone,
    pub energy: Energy,
    /// The settled power: the highest power seen (GN 0x18 "settle power"). Required
    /// when the tariff has a power fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_power: Option<DeciWatts>,
    /// When the plug was pulled or the port freed; only the idle fee reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unplugged_at: Option<DateTime<Utc>>,
}

/// The energy delivered, as the meter saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Energy {
    /// Only the session total is known: it is spread evenly over `[start, end)`.
    Total(Wh),
    /// Cumulative meter readings with strictly increasing timestamps. The energy curve
    /// is linear between samples and flat before the first and after the last, so a
    /// session-relative counter needs a sample `(start, 0)` to bill the energy before its
    /// first report. Readings may be absolute register values: only differences count.
    Samples(Vec<MeterSample>),
}

/// One cumulative meter reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterSample {
    pub at: DateTime<Utc>,
    pub wh: Wh,
}

/// Checked facts in the engine's units: Unix seconds and a piecewise-linear energy curve.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub start: i64,
    pub end: i64,
    pub zone: Zone,
    /// `(unix seconds, cumulative Wh)`, strictly increasing in time, non-decreasing in Wh.
    pub curve: Vec<(i64, i64)>,
    pub max_power: Option<DeciWatts>,
    pub unplugged_at: Option<i64>,
}

impl Session {
    pub fn from_facts(facts: &SessionFacts) -> Result<Self, RateError> {
        let start = facts.start.timestamp();
        let end = facts.end.timestamp();
        if end < start {
            return Err(RateError::facts("end", "is before start"));
        }
        if end - start > MAX_SESSION_SECONDS {
            return Err(RateError::facts(
                "end",
                "the session is longer than 31 days",
            ));
        }
        let unplugged_at = match facts.unplugged_at {
            None => None,
            Some(t) => {
                let t = t.timestamp();
                if t < end {
                    return Err(RateError::facts("unplugged_at", "is before end"));
                }
                if t - end > MAX_SESSION_SECONDS {
                    return Err(RateError::facts(
                        "unplugged_at",
                        "is more than 31 days after end",
                    ));
                }
                Some(t)
            }
        };
        let curve = match &facts.energy {
            Energy::Total(total) => total_curve(start, end, *total)?,
            Energy::Samples(samples) => sample_curve(start, end, samples)?,
        };
        Ok(Session {
            start,
            end,
            zone: facts.time_zone,
            curve,
            max_power: facts.max_power,
            unplugged_at,
        })
    }
}

fn total_curve(start: i64, end: i64, total: Wh) -> Result<Vec<(i64, i64)>, RateError> {
    let wh = total.get();
    check_wh(wh).map_err(|problem| RateError::facts("energy.total", problem))?;
    if wh == 0 {
        return Ok(Vec::new());
    }
    if end == start {
        return Err(RateError::facts(
            "energy.total",
            "energy delivered in a session of zero duration",
        ));
    }
    // "Spread evenly" is exactly a two-point curve, so both inputs share one code path.
    Ok(vec![(start, 0), (end, wh)])
}

fn sample_curve(
    start: i64,
    end: i64,
    samples: &[MeterSample],
) -> Result<Vec<(i64, i64)>, RateError> {
    if samples.is_empty() {
        return Err(RateError::facts("energy.samples", "is empty"));
    }
    if samples.len() > MAX_SAMPLES {
        return Err(RateError::facts(
            "energy.samples",
            "has more than 100000 samples",
        ));
    }
    let mut curve = Vec::with_capacity(samples.len());
    let mut previous: Option<(i64, i64)> = None;
    for (i, s) in samples.iter().enumerate() {
        let (at, wh) = (s.at.timestamp(), s.wh.get());
        check_wh(wh)
            .map_err(|problem| RateError::facts(format!("energy.samples[{i}].wh"), problem))?;
        // Far-away samples would only widen the arithmetic; real ones are near the session.
        if at < start - MAX_SESSION_SECONDS || at > end + MAX_SESSION_SECONDS {
            return Err(RateError::facts(
                format!("energy.samples[{i}].at"),
                "is more than 31 days away from the session",
            ));
        }
        if let Some((t0, e0)) = previous {
            if at <= t0 {
                return Err(RateError::facts(
                    format!("energy.samples[{i}].at"),
                    "is not after the previous sample (whole seconds)",
                ));
            }
            if wh < e0 {
                return Err(RateError::facts(
                    format!("energy.samples[{i}].wh"),
                    "is below the previous reading: a cumulative meter never goes back",
                ));
            }
        }
        previous = Some((at, wh));
        curve.push((at, wh));
    }
    Ok(curve)
}

/// A reading or total out of range; the caller names the field (only on error, as this
/// runs once per meter sample).
fn check_wh(wh: i64) -> Result<(), &'static str> {
    if wh < 0 {
        return Err("is negative");
    }
    if wh > MAX_WH {
        return Err("is above 10^12 Wh");
    }
    Ok(())
}
