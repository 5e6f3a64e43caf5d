//! The tariff model: what an operator configures, stored by billing as JSONB and
//! accepted over REST. Components combine: a tariff may charge energy, time, power
//! bracket and idle fees at once; each produces its own line items.
//!
//! The model is plain data (all fields public, serde both ways); [`Tariff::validate`]
//! (in `validate.rs`) checks it and [`crate::rate`] refuses an invalid one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::units::{ClockTime, DeciWatts, Fen, MilliFen};

/// A complete tariff. At least one of `energy`, `time` and `power` must be present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Electricity + service fee per kWh, flat or by time of use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<EnergyFee>,
    /// A fee for the charging time, optionally laddered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeFee>,
    /// A fee per time whose rate is chosen by the session's settled (maximum) power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<PowerFee>,
    /// An occupancy fee for keeping the plug in after charging ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<IdleFee>,
    /// The first minutes of a session are free for every charging component (energy,
    /// time, power); a session that ends within them costs nothing, not even the minimum.
    #[serde(default)]
    pub free_minutes: u32,
    /// The least a session that ran past the free minutes pays for charging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_fen: Option<Fen>,
    /// The most a session pays for charging (energy + time + power); idle fees are not
    /// capped by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_fen: Option<Fen>,
}

/// How energy is priced. Both parts of a price are per kWh in milli-fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnergyFee {
    /// One price all day.
    Flat(EnergyPrice),
    /// Prices by local time of day.
    TimeOfUse(TimeOfUse),
}

/// An electricity price and a service fee, both per kWh (the pair GN BKV 0x83 carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyPrice {
    pub electricity_millifen_per_kwh: MilliFen,
    pub service_millifen_per_kwh: MilliFen,
}

/// Time-of-use periods. Together they must cover each day exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeOfUse {
    pub periods: Vec<TouPeriod>,
}

/// One daily window `[start, end)` of local wall-clock time with its price. `end`
/// before `start` crosses midnight (23:00–07:00); `end == start` is the whole day.
/// Several periods may share a kind (a morning and an evening peak).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TouPeriod {
    pub kind: PeriodKind,
    pub start: ClockTime,
    pub end: ClockTime,
    pub price: EnergyPrice,
}

impl TouPeriod {
    /// Length of the daily window in minutes (1 ..= 1440).
    pub fn minutes(&self) -> u16 {
        let (s, e) = (self.start.minute_of_day(), self.end.minute_of_day());
        if e > s {
            e - s
        } else {
            crate::units::MINUTES_PER_DAY - s + e
        }
    }
}

/// The four periods of Chinese time-of-use electricity tariffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// 尖 — critical peak.
    #[serde(alias = "尖")]
    Sharp,
    /// 峰 — peak.
    #[serde(alias = "峰")]
    Peak,
    /// 平 — shoulder ("flat").
    #[serde(alias = "平")]
    Flat,
    /// 谷 — valley (off-peak).
    #[serde(alias = "谷")]
    Valley,
}

impl PeriodKind {
    pub fn chinese(self) -> &'static str {
        match self {
            PeriodKind::Sharp => "尖",
            PeriodKind::Peak => "峰",
            PeriodKind::Flat => "平",
            PeriodKind::Valley => "谷",
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chinese())
    }
}

/// How a time quantity that is not a whole number of price units is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialUnit {
    /// To the second: 90 s at 60 fen/min is 90 fen. Additive over a split session.
    #[default]
    Prorate,
    /// Every started unit is billed in full (不足一小时按一小时计): 61 min per hour is 2 h.
    StartedUnit,
}

/// A fee for charging time. Steps ladder the price over the session's elapsed time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeFee {
    /// The price unit in minutes: 1 = per minute, 60 = per hour.
    pub per_minutes: u32,
    #[serde(default)]
    pub partial: PartialUnit,
    /// Ascending steps; the last one is open-ended.
    pub steps: Vec<LadderStep>,
}

/// One ladder step: applies to elapsed session time below `up_to_minutes` (counted from
/// the session start, free minutes included) and above the previous step's bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// `None` on the last step only: it applies to the rest of the session.
    #[serde(default)]
    pub up_to_minutes: Option<u32>,
    /// Milli-fen per `per_minutes`.
    pub price_millifen: MilliFen,
}

/// A fee per time whose rate depends on the settled power (GN 0x17/0x18, DNY 分功率).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerFee {
    #[serde(default)]
    pub partial: PartialUnit,
    /// Ascending by upper power bound; the first bracket whose bound is at least the
    /// settled power applies to the whole session.
    pub brackets: Vec<PowerBracket>,
}

/// A power bracket: up to `up_to` (inclusive), `price_millifen` per `per_minutes`.
/// GN 0x17's `07D0 0019 003C` is `up_to = 2000` (200.0 W), 25 fen per 60 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerBracket {
    /// Inclusive upper bound in 0.1 W; `None` on the last bracket only (no upper bound).
    #[serde(default)]
    pub up_to: Option<DeciWatts>,
    pub price_millifen: MilliFen,
    pub per_minutes: u32,
}

/// An occupancy fee after charging ended and before the plug was pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleFee {
    /// Minutes after the end of charging that are never billed.
    pub grace_minutes: u32,
    pub price_millifen: MilliFen,
    pub per_minutes: u32,
    #[serde(default)]
    pub partial: PartialUnit,
}
