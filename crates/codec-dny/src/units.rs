//! Pylon units for DNY quantities. No floats anywhere.
//!
//! | type | unit | wire |
//! |---|---|---|
//! | [`DeciVolts`] | 0.1 V | u16, same unit |
//! | [`DeciWatts`] | 0.1 W | u16 (u32 in 0x09), same unit |
//! | [`Wh`] | watt-hour | 0.01 kWh (u16, or u32 in 0x17): Wh = wire × 10 |
//! | [`MilliAmps`] | mA | 0.001 A (0x06) or 0.01 A (0x17) |
//! | [`Fen`] | fen (分) | u16 or u32, same unit |
//! | [`UnixTime`] | UTC instant, Unix seconds | u32, same unit |
//! | [`Temperature`] | °C | u8 with +65 offset, 0 = no sensor |
//!
//! Durations are plain integers whose field name ends in `_s` (seconds) or
//! `_min` (minutes). A value that does not fit its wire field (e.g. a [`Wh`]
//! that is not a multiple of 10) makes encoding fail with
//! [`Error::Encode`](crate::Error::Encode) instead of being rounded.

use std::fmt;

use serde::ser::SerializeStruct;

macro_rules! int_unit {
    ($(#[$m:meta])* $name:ident($inner:ty)) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            /// Wraps a value in this unit.
            pub const fn new(value: $inner) -> Self {
                $name(value)
            }

            /// The value in this unit.
            pub const fn get(self) -> $inner {
                self.0
            }
        }
    };
}

int_unit!(
    /// Voltage in 0.1 V (2188 = 218.8 V).
    DeciVolts(u16)
);
int_unit!(
    /// Power in 0.1 W (228 = 22.8 W).
    DeciWatts(u32)
);
int_unit!(
    /// Energy in watt-hours. DNY counts 0.01 kWh, so decoded values are
    /// multiples of 10.
    Wh(u64)
);
int_unit!(
    /// Current in milliamperes.
    MilliAmps(u32)
);
int_unit!(
    /// Money in fen (分, 0.01 yuan).
    Fen(u32)
);

impl Wh {
    /// From the wire unit, 0.01 kWh.
    pub const fn from_centi_kwh(v: u32) -> Self {
        Wh(v as u64 * 10)
    }

    /// The wire value in 0.01 kWh, if the energy is a whole number of them.
    pub const fn to_centi_kwh(self) -> Option<u64> {
        if self.0.is_multiple_of(10) {
            Some(self.0 / 10)
        } else {
            None
        }
    }
}

/// A temperature as DNY sends it: °C + 65 in one byte, 0 meaning "no sensor".
/// Kept raw so re-encoding is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Temperature(u8);

impl Temperature {
    /// The offset added on the wire.
    pub const OFFSET: i16 = 65;

    /// From the raw wire byte.
    pub const fn from_raw(raw: u8) -> Self {
        Temperature(raw)
    }

    /// From °C; `None` when not representable (below −64 °C or above 190 °C:
    /// raw 0 is reserved for "no sensor").
    pub fn from_celsius(c: i16) -> Option<Self> {
        let raw = c.checked_add(Self::OFFSET)?;
        u8::try_from(raw).ok().filter(|&r| r != 0).map(Temperature)
    }

    /// The raw wire byte.
    pub const fn raw(self) -> u8 {
        self.0
    }

    /// °C, or `None` when the device has no sensor (raw 0).
    pub fn celsius(self) -> Option<i16> {
        (self.0 != 0).then(|| i16::from(self.0) - Self::OFFSET)
    }
}

impl serde::Serialize for Temperature {
    /// `{"raw": 94, "c": 29}` (`c` is null without a sensor).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Temperature", 2)?;
        st.serialize_field("raw", &self.0)?;
        st.serialize_field("c", &self.celsius())?;
        st.end()
    }
}

/// A UTC instant in Unix seconds, as the device sends it (u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UnixTime(u32);

impl UnixTime {
    /// Wraps Unix seconds.
    pub const fn new(secs: u32) -> Self {
        UnixTime(secs)
    }

    /// Unix seconds.
    pub const fn secs(self) -> u32 {
        self.0
    }

    /// ISO-8601 UTC, e.g. `2025-06-26T06:53:23Z`.
    pub fn to_iso8601(self) -> String {
        let secs = u64::from(self.0);
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

impl serde::Serialize for UnixTime {
    /// `{"unix": 1750920803, "utc": "2025-06-26T06:53:23Z"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UnixTime", 2)?;
        st.serialize_field("unix", &self.0)?;
        st.serialize_field("utc", &self.to_iso8601())?;
        st.end()
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`, non-negative days only).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(UnixTime::new(0).to_iso8601(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UnixTime::new(1_750_920_803).to_iso8601(),
            "2025-06-26T06:53:23Z"
        );
        // Spec: 1604934878 = 2020-11-09 23:14:38 Beijing = 15:14:38 UTC.
        assert_eq!(
            UnixTime::new(1_604_934_878).to_iso8601(),
            "2020-11-09T15:14:38Z"
        );
        assert_eq!(
            UnixTime::new(951_782_400).to_iso8601(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(UnixTime::new(u32::MAX).to_iso8601(), "2106-02-07T06:28:15Z");
    }

    #[test]
    fn temperature_offset() {
        assert_eq!(Temperature::from_raw(94).celsius(), Some(29));
        assert_eq!(Temperature::from_raw(0).celsius(), None);
        assert_eq!(Temperature::from_raw(65).celsius(), Some(0));
        assert_eq!(
            Temperature::from_celsius(29),
            Some(Temperature::from_raw(94))
        );
        assert_eq!(Temperature::from_celsius(-65), None);
        assert_eq!(Temperature::from_celsius(191), None);
    }

    #[test]
    fn energy() {
        assert_eq!(Wh::from_centi_kwh(135).get(), 1350);
        assert_eq!(Wh::new(1350).to_centi_kwh(), Some(135));
        assert_eq!(Wh::new(1355).to_centi_kwh(), None);
    }
}
