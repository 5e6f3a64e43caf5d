//! Wall-clock times on the wire and their conversion to [`UnixTime`].
//!
//! GN has two encodings of a local wall-clock time, both 7 bytes:
//! **BCD** `YY YY MM DD hh mm ss` (heartbeat reply, BKV keys 0x06 and 0x2E) and
//! **binary** `year u16, month, day, hour, minute, second` (0x0015/0x18 end time).
//! The clock is the server's / gateway's Beijing wall clock, so the codec reads
//! and writes every such time at the fixed offset [`WIRE_UTC_OFFSET_SECS`] (UTC+8).
//! Only real calendar dates with 00:00:00–23:59:59 convert; anything else is
//! rejected so that a decoded instant always re-encodes to the same bytes.

use crate::units::UnixTime;

/// The UTC offset of every wall-clock time on the GN wire: +08:00 (China has no DST).
pub const WIRE_UTC_OFFSET_SECS: i64 = 8 * 3600;

/// A broken-down wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl Civil {
    fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Seconds since the epoch of this wall-clock time read at `offset`.
    pub fn to_unix(self, offset: i64) -> Option<UnixTime> {
        if !self.is_valid() {
            return None;
        }
        let days = days_from_civil(self.year, i64::from(self.month), i64::from(self.day));
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        Some(UnixTime::new(secs - offset))
    }

    /// The wall-clock time of `t` at `offset`.
    pub fn from_unix(t: UnixTime, offset: i64) -> Self {
        let local = t.get().saturating_add(offset);
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // All three are < 60 / < 24 by construction; `as` cannot truncate here.
        Self {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod % 3600 / 60) as u8,
            second: (sod % 60) as u8,
        }
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // 1 <= m <= 12 and 1 <= d <= 31 by construction.
    (y, m as u8, d as u8)
}

fn bcd(b: u8) -> Option<u8> {
    let (hi, lo) = (b >> 4, b & 0x0f);
    (hi <= 9 && lo <= 9).then_some(hi * 10 + lo)
}

fn to_bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// Decodes a 7-byte BCD local time.
pub fn from_bcd(b: &[u8; 7]) -> Option<UnixTime> {
    let [c, y, mo, d, h, mi, s] = *b;
    let civil = Civil {
        year: i64::from(bcd(c)?) * 100 + i64::from(bcd(y)?),
        month: bcd(mo)?,
        day: bcd(d)?,
        hour: bcd(h)?,
        minute: bcd(mi)?,
        second: bcd(s)?,
    };
    civil.to_unix(WIRE_UTC_OFFSET_SECS)
}

/// Encodes a 7-byte BCD local time; `None` outside years 0–9999.
pub fn to_bcd_bytes(t: UnixTime) -> Option<[u8; 7]> {
    let c = Civil::from_unix(t, WIRE_UTC_OFFSET_SECS);
    if !(0..=9999).contains(&c.year) {
        return None;
    }
    // 0 <= year <= 9999 checked above.
    let (cc, yy) = ((c.year / 100) as u8, (c.year % 100) as u8);
    Some([
        to_bcd(cc),
        to_bcd(yy),
        to_bcd(c.month),
        to_bcd(c.day),
        to_bcd(c.hour),
        to_bcd(c.minute),
        to_bcd(c.second),
    ])
}

/// Decodes a 7-byte binary local time (`year u16 BE, month, day, h, m, s`).
pub fn from_binary(b: &[u8; 7]) -> Option<UnixTime> {
    let [y0, y1, month, day, hour, minute, second] = *b;
    Civil {
        year: i64::from(u16::from_be_bytes([y0, y1])),
        month,
        day,
        hour,
        minute,
        second,
    }
    .to_unix(WIRE_UTC_OFFSET_SECS)
}

/// Encodes a 7-byte binary local time; `None` outside years 0–65535.
pub fn to_binary_bytes(t: UnixTime) -> Option<[u8; 7]> {
    let c = Civil::from_unix(t, WIRE_UTC_OFFSET_SECS);
    let [y0, y1] = u16::try_from(c.year).ok()?.to_be_bytes();
    Some([y0, y1, c.month, c.day, c.hour, c.minute, c.second])
}

/// `YYYY-MM-DDThh:mm:ssZ` of a UTC instant (for the JSON view).
pub fn rfc3339_utc(t: UnixTime) -> String {
    let c = Civil::from_unix(t, 0);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_heartbeat_reply_example() {
        // 2020-07-30 16:45:45 +08:00 = 2020-07-30 08:45:45 UTC = 1596098745.
        let t = from_bcd(&[0x20, 0x20, 0x07, 0x30, 0x16, 0x45, 0x45]);
        assert_eq!(t, Some(UnixTime::new(1_596_098_745)));
        assert_eq!(
            to_bcd_bytes(UnixTime::new(1_596_098_745)),
            Some([0x20, 0x20, 0x07, 0x30, 0x16, 0x45, 0x45])
        );
    }

    #[test]
    fn binary_end_time_example() {
        // 07e4 06 08 0e 15 07 = 2020-06-08 14:21:07 +08:00.
        let t = from_binary(&[0x07, 0xe4, 0x06, 0x08, 0x0e, 0x15, 0x07]);
        assert_eq!(t, Some(UnixTime::new(1_591_597_267)));
        assert_eq!(
            rfc3339_utc(UnixTime::new(1_591_597_267)),
            "2020-06-08T06:21:07Z"
        );
    }

    #[test]
    fn invalid_dates_rejected() {
        assert_eq!(from_bcd(&[0x20, 0x23, 0x02, 0x29, 0, 0, 0]), None);
        assert_eq!(from_bcd(&[0x20, 0x24, 0x13, 0x01, 0, 0, 0]), None);
        assert_eq!(from_bcd(&[0x20, 0x24, 0x01, 0x01, 0x24, 0, 0]), None);
        assert_eq!(from_bcd(&[0x20, 0x2a, 0x01, 0x01, 0, 0, 0]), None);
        assert!(from_bcd(&[0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x59]).is_some());
    }

    #[test]
    fn civil_round_trip_over_a_wide_range() {
        for days in (-800_000i64..3_000_000).step_by(997) {
            let t = UnixTime::new(days * 86_400 + 12_345);
            let c = Civil::from_unix(t, WIRE_UTC_OFFSET_SECS);
            assert_eq!(c.to_unix(WIRE_UTC_OFFSET_SECS), Some(t));
        }
    }
}
