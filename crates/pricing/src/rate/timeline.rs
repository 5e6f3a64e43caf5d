//! Cutting a stretch of time into labelled segments: which time-of-use period (label)
//! each second of the session belongs to.
//!
//! Period boundaries are placed per local day in the tenant's zone (see `zone.rs` for
//! daylight-saving rules). Only the *start* of each period is placed; a period runs
//! until the next boundary. Because validation guarantees the daily windows tile the
//! day, that next boundary is exactly the period's end, and the segments tile time with
//! no overlap and no gap even on days of 23 or 25 hours.

use chrono::{Days, NaiveDate};

use crate::error::RateError;
use crate::tariff::TouPeriod;
use crate::zone::Zone;

/// `[start, end)` in Unix seconds, priced by bucket `label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: i64,
    pub end: i64,
    pub label: usize,
}

/// Appends the segments of `[from, to)` labelled `first_label + period index`.
pub(crate) fn tou_segments(
    periods: &[TouPeriod],
    zone: &Zone,
    from: i64,
    to: i64,
    first_label: usize,
    out: &mut Vec<Segment>,
) -> Result<(), RateError> {
    if from >= to {
        return Ok(());
    }
    let mut starts: Vec<(u16, usize)> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start.minute_of_day(), i))
        .collect();
    starts.sort_unstable();

    // The window that contains `from` may have started the local day before.
    let first_day = day_before(zone.local_date(from).ok_or(RateError::TimeOutOfRange)?)?;
    let last_day = zone.local_date(to).ok_or(RateError::TimeOutOfRange)?;
    let stop_day = next_day(last_day)?;

    // Walk boundaries in time order, remembering the period that began at the previous one.
    let mut open: Option<(i64, usize)> = None;
    let mut day = first_day;
    while day <= stop_day {
        for &(minute, period) in &starts {
            let at = zone.instant(day, minute).ok_or(RateError::TimeOutOfRange)?;
            if let Some((began, label)) = open {
                push_clipped(out, began, at, label, from, to);
            }
            open = Some((at, first_label + period));
            if at >= to {
                return Ok(());
            }
        }
        day = next_day(day)?;
    }
    Ok(())
}

fn push_clipped(out: &mut Vec<Segment>, start: i64, end: i64, label: usize, from: i64, to: i64) {
    let (start, end) = (start.max(from), end.min(to));
    if start < end {
        out.push(Segment { start, end, label });
    }
}

fn next_day(day: NaiveDate) -> Result<NaiveDate, RateError> {
    day.checked_add_days(Days::new(1))
        .ok_or(RateError::TimeOutOfRange)
}

fn day_before(day: NaiveDate) -> Result<NaiveDate, RateError> {
    day.checked_sub_days(Days::new(1))
        .ok_or(RateError::TimeOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::{EnergyPrice, PeriodKind};
    use crate::units::MilliFen;

    fn period(kind: PeriodKind, start: &str, end: &str) -> TouPeriod {
        TouPeriod {
            kind,
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
            price: EnergyPrice {
                electricity_millifen_per_kwh: MilliFen::new(0),
                service_millifen_per_kwh: MilliFen::new(0),
            },
        }
    }

    // 2026-01-01 00:00 Asia/Shanghai.
    const NEW_YEAR: i64 = 1_767_196_800;

    #[test]
    fn a_window_crossing_midnight_is_one_segment() {
        let periods = [
            period(PeriodKind::Flat, "07:00", "23:00"),
            period(PeriodKind::Valley, "23:00", "07:00"),
        ];
        let mut out = Vec::new();
        // 2025-12-31 22:00 → 2026-01-01 08:00 local.
        let (from, to) = (NEW_YEAR - 2 * 3600, NEW_YEAR + 8 * 3600);
        tou_segments(&periods, &Zone::SHANGHAI, from, to, 1, &mut out).unwrap();
        assert_eq!(
            out,
            vec![
                Segment {
                    start: from,
                    end: NEW_YEAR - 3600,
                    label: 1
                },
                Segment {
                    start: NEW_YEAR - 3600,
                    end: NEW_YEAR + 7 * 3600,
                    label: 2
                },
                Segment {
                    start: NEW_YEAR + 7 * 3600,
                    end: to,
                    label: 1
                },
            ]
        );
    }

    #[test]
    fn whole_day_period_covers_everything() {
        let periods = [period(PeriodKind::Flat, "00:00", "00:00")];
        let mut out = Vec::new();
        tou_segments(
            &periods,
            &Zone::SHANGHAI,
            NEW_YEAR + 5,
            NEW_YEAR + 3 * 86_400,
            1,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out.iter().map(|s| s.end - s.start).sum::<i64>(),
            3 * 86_400 - 5
        );
        assert!(out.iter().all(|s| s.label == 1));
    }

    #[test]
    fn spring_forward_day_is_23_hours() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let periods = [
            period(PeriodKind::Valley, "22:00", "06:00"),
            period(PeriodKind::Peak, "06:00", "22:00"),
        ];
        // 2026-03-28 22:00 CET (21:00 UTC) → 2026-03-29 22:00 CEST (20:00 UTC).
        let from = 1_774_731_600;
        let to = from + 23 * 3600;
        let mut out = Vec::new();
        tou_segments(&periods, &berlin, from, to, 1, &mut out).unwrap();
        // The valley night lost its missing hour: 22:00 → 06:00 is 7 h of real time.
        assert_eq!(
            out[0],
            Segment {
                start: from,
                end: from + 7 * 3600,
                label: 1
            }
        );
        assert_eq!(
            out[1],
            Segment {
                start: from + 7 * 3600,
                end: to,
                label: 2
            }
        );
        assert_eq!(out.len(), 2);
    }
}
