//! The tenant's time zone and the two conversions the engine needs: a UTC instant to a
//! local date, and a local date + wall-clock time to a UTC instant.
//!
//! China has one offset and no daylight saving, but tenants elsewhere do, so the
//! conversion is written for the general case: a wall-clock time that happens twice
//! (clocks set back) means its first occurrence, and one that does not exist (clocks set
//! forward) means the first instant after the gap. Both rules are monotone, so the
//! boundaries of consecutive time-of-use windows never cross each other.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IANA time zone such as `"Asia/Shanghai"`. Parsing rejects unknown names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

/// The time zone name is not in the IANA database the crate ships.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (expected an IANA name such as \"Asia/Shanghai\")")]
pub struct UnknownTimeZone(pub String);

impl Zone {
    /// China Standard Time, the default tenant zone of the platform.
    pub const SHANGHAI: Zone = Zone(Tz::Asia__Shanghai);

    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        name.parse()
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local calendar date at a UTC instant (Unix seconds).
    pub(crate) fn local_date(&self, unix: i64) -> Option<NaiveDate> {
        DateTime::<Utc>::from_timestamp(unix, 0).map(|t| t.with_timezone(&self.0).date_naive())
    }

    /// The UTC instant (Unix seconds) of a local date and minute of day, resolving folds
    /// to the earlier instant and gaps to the first instant after the gap.
    pub(crate) fn instant(&self, date: NaiveDate, minute_of_day: u16) -> Option<i64> {
        let time = NaiveTime::from_hms_opt(
            u32::from(minute_of_day / 60),
            u32::from(minute_of_day % 60),
            0,
        )?;
        let mut local = NaiveDateTime::new(date, time);
        // A gap is at most a few hours in real zone data; a day bounds the walk.
        for _ in 0..=24 * 60 {
            match self.0.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    return Some(t.timestamp());
                }
                LocalResult::None => local = local.checked_add_signed(Duration::minutes(1))?,
            }
        }
        None
    }
}

impl FromStr for Zone {
    type Err = UnknownTimeZone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Tz>()
            .map(Zone)
            .map_err(|_| UnknownTimeZone(s.to_owned()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn unknown_zone_is_rejected() {
        assert_eq!(
            Zone::parse("Mars/Olympus_Mons"),
            Err(UnknownTimeZone("Mars/Olympus_Mons".into()))
        );
        assert_eq!(Zone::parse("Asia/Shanghai").unwrap(), Zone::SHANGHAI);
    }

    #[test]
    fn shanghai_is_utc_plus_8() {
        // 2026-01-01 00:00 +08:00 = 2025-12-31 16:00 UTC = 1767196800.
        assert_eq!(
            Zone::SHANGHAI.instant(date(2026, 1, 1), 0),
            Some(1_767_196_800)
        );
        assert_eq!(
            Zone::SHANGHAI.local_date(1_767_196_800),
            Some(date(2026, 1, 1))
        );
        assert_eq!(
            Zone::SHANGHAI.local_date(1_767_196_799),
            Some(date(2025, 12, 31))
        );
    }

    #[test]
    fn gap_resolves_to_the_first_instant_after_it() {
        // Berlin springs forward on 2026-03-29 at 02:00 CET to 03:00 CEST (01:00 UTC).
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let transition = 1_774_746_000; // 2026-03-29T01:00:00Z
        assert_eq!(
            berlin.instant(date(2026, 3, 29), 2 * 60 + 30),
            Some(transition)
        );
        assert_eq!(berlin.instant(date(2026, 3, 29), 3 * 60), Some(transition));
    }

    #[test]
    fn fold_resolves_to_the_earlier_instant() {
        // Berlin falls back on 2026-10-25 at 03:00 CEST to 02:00 CET; 02:30 happens twice,
        // first at 00:30 UTC.
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            berlin.instant(date(2026, 10, 25), 2 * 60 + 30),
            Some(1_792_888_200)
        );
    }
}
