//! Pylon units. The codec converts wire units into these on decode and back on
//! encode; nothing outside this crate sees a wire unit or a float.
//!
//! | Type | Unit | Wire sources |
//! |---|---|---|
//! | [`Fen`] | 0.01 yuan | fen on the wire |
//! | [`Wh`] | watt-hour | Wh on the wire (document: `0x0050` = 0.08 kWh) |
//! | [`DeciWatts`] | 0.1 W | 0.1 W on the wire |
//! | [`DeciVolts`] | 0.1 V | 0.1 V on the wire |
//! | [`MilliAmps`] | 0.001 A | 0.001 A on the wire |
//! | [`Seconds`] | duration in seconds | minutes (×60) or seconds on the wire |
//! | [`UnixTime`] | UTC instant, seconds since 1970 | BCD or binary local wall clock (UTC+8, see [`crate::time`]) |
//! | [`Celsius`] | °C | °C, no offset |

use serde::Serialize;

macro_rules! unit {
    ($(#[$meta:meta])* $name:ident($repr:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
        #[serde(transparent)]
        pub struct $name($repr);

        impl $name {
            /// Wraps a value already in this unit.
            pub const fn new(value: $repr) -> Self {
                Self(value)
            }

            /// The value in this unit.
            pub const fn get(self) -> $repr {
                self.0
            }
        }
    };
}

unit!(
    /// Money in fen (分, 0.01 yuan).
    Fen(i64)
);
unit!(
    /// Energy in watt-hours.
    Wh(i64)
);
unit!(
    /// Power in 0.1 W.
    DeciWatts(u32)
);
unit!(
    /// Voltage in 0.1 V.
    DeciVolts(u32)
);
unit!(
    /// Current in milliamperes.
    MilliAmps(u32)
);
unit!(
    /// A duration in seconds.
    Seconds(u32)
);
unit!(
    /// A UTC instant in seconds since the Unix epoch.
    UnixTime(i64)
);
unit!(
    /// A temperature in °C.
    Celsius(i16)
);

impl Seconds {
    /// A duration of whole minutes.
    pub const fn from_minutes(minutes: u32) -> Self {
        Self(minutes.saturating_mul(60))
    }

    /// Whole minutes, if the duration is a multiple of 60 s.
    pub const fn whole_minutes(self) -> Option<u32> {
        if self.0.is_multiple_of(60) {
            Some(self.0 / 60)
        } else {
            None
        }
    }
}
