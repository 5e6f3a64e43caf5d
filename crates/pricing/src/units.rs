//! Integer units of the engine. Money is never a float: amounts are whole fen, prices
//! are milli-fen (0.001 fen = 0.00001 yuan) so that grid tariffs quoted to four
//! decimals of a yuan (0.6532 yuan/kWh = 65 320 milli-fen/kWh) are exact.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in fen (分, 0.01 yuan). Bills and line items carry this.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub const fn new(fen: i64) -> Self {
        Fen(fen)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fen", self.0)
    }
}

/// A price in milli-fen (0.001 fen) per unit named by the field that holds it.
/// Signed so that a negative value sent over REST is reported by validation with the
/// field's name instead of failing deep inside a deserializer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MilliFen(i64);

impl MilliFen {
    pub const fn new(millifen: i64) -> Self {
        MilliFen(millifen)
    }

    /// Whole fen as a price (the GN protocol's fen/kWh and fen per N minutes).
    pub const fn from_fen(fen: i64) -> Self {
        MilliFen(fen.saturating_mul(1000))
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Energy in watt-hours, the platform's energy unit (meters and codecs report Wh).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Wh(i64);

impl Wh {
    pub const fn new(wh: i64) -> Self {
        Wh(wh)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Power in 0.1 W, the unit the codecs produce (GN settle power, DNY port power), so a
/// settled power goes from an event to the rating engine without conversion.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct DeciWatts(u32);

impl DeciWatts {
    pub const fn new(deciwatts: u32) -> Self {
        DeciWatts(deciwatts)
    }

    pub const fn from_watts(watts: u32) -> Self {
        DeciWatts(watts.saturating_mul(10))
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for DeciWatts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} W", self.0 / 10, self.0 % 10)
    }
}

/// A local wall-clock time of day at minute resolution (the resolution of GN fee
/// brackets), written `"HH:MM"` in JSON. Valid by construction: 00:00 ..= 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

/// Minutes in a day; a window's length is counted modulo this.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime(0);

    pub fn new(hour: u8, minute: u8) -> Result<Self, ClockTimeError> {
        if hour > 23 || minute > 59 {
            return Err(ClockTimeError(format!("{hour:02}:{minute:02}")));
        }
        Ok(ClockTime(u16::from(hour) * 60 + u16::from(minute)))
    }

    /// Minutes since local midnight, 0 ..= 1439.
    pub const fn minute_of_day(self) -> u16 {
        self.0
    }

    pub const fn hour(self) -> u8 {
        (self.0 / 60) as u8
    }

    pub const fn minute(self) -> u8 {
        (self.0 % 60) as u8
    }
}

/// A string that is not a `HH:MM` time of day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time of day HH:MM between 00:00 and 23:59")]
pub struct ClockTimeError(String);

impl FromStr for ClockTime {
    type Err = ClockTimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ClockTimeError(s.to_owned());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        ClockTime::new(hour, minute).map_err(|_| bad())
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_time_parses_and_prints() {
        let t: ClockTime = "07:05".parse().unwrap();
        assert_eq!(t.minute_of_day(), 425);
        assert_eq!(t.to_string(), "07:05");
        assert_eq!("23:59".parse::<ClockTime>().unwrap().minute_of_day(), 1439);
        for bad in ["24:00", "7:05", "07:60", "0705", "ab:cd", "", "07:5"] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn deciwatts_display() {
        assert_eq!(DeciWatts::new(2342).to_string(), "234.2 W");
        assert_eq!(DeciWatts::from_watts(200), DeciWatts::new(2000));
    }
}
