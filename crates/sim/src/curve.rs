//! Power curves: how much a charger draws over the course of a charge.
//!
//! A curve is piecewise linear in time, so energy is an exact integral (integer
//! arithmetic, no floats): the settlement a pile sends is a pure function of the curve
//! and the charge's duration, and a test can compute what to expect with
//! [`PowerCurve::energy_wh`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::SimError;

/// 1 Wh in the curve's integration unit, 0.1 W × ms: 10 × 3600 × 1000.
const DWMS_PER_WH: i128 = 36_000_000;

/// Power drawn over a charge. Powers are in 0.1 W (`_dw`), durations in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerCurve {
    /// The same power all along; the battery never reports full.
    Constant {
        /// Power in 0.1 W.
        power_dw: u32,
    },
    /// Linear rise from 0 to `peak_dw` over `ramp_s`, hold for `hold_s`, linear fall to
    /// `floor_dw` over `taper_s`; the battery is full at the end of the taper (an
    /// e-bike charger's CC/CV shape, roughly).
    RampTaper {
        /// Peak power in 0.1 W.
        peak_dw: u32,
        /// Rise time.
        ramp_s: u32,
        /// Time at peak.
        hold_s: u32,
        /// Fall time.
        taper_s: u32,
        /// Power at the end of the taper, in 0.1 W.
        floor_dw: u32,
    },
}

impl Default for PowerCurve {
    /// 200 W peak, 5 min ramp, 3 h hold, 1 h taper to 20 W: full after 4 h 5 min.
    fn default() -> Self {
        PowerCurve::RampTaper {
            peak_dw: 2000,
            ramp_s: 300,
            hold_s: 3 * 3600,
            taper_s: 3600,
            floor_dw: 200,
        }
    }
}

/// One linear piece: from `start_ms` for `len_ms`, power `p0` → `p1` (0.1 W).
#[derive(Debug, Clone, Copy)]
struct Segment {
    start_ms: u64,
    len_ms: u64,
    p0: i128,
    p1: i128,
}

impl Segment {
    /// Power `x` ms into the segment.
    fn power(&self, x: u64) -> i128 {
        if self.len_ms == 0 {
            return self.p1;
        }
        self.p0 + (self.p1 - self.p0) * i128::from(x) / i128::from(self.len_ms)
    }

    /// 0.1 W·ms over the first `x` ms of the segment (trapezoid).
    fn area(&self, x: u64) -> i128 {
        (self.p0 + self.power(x)) * i128::from(x) / 2
    }
}

impl PowerCurve {
    /// A constant curve of `watts`.
    pub fn constant_watts(watts: u32) -> Self {
        PowerCurve::Constant {
            power_dw: watts.saturating_mul(10),
        }
    }

    /// The pieces, in order; the last one's end power holds forever after.
    fn segments(&self) -> ([Segment; 3], usize) {
        let empty = Segment {
            start_ms: 0,
            len_ms: 0,
            p0: 0,
            p1: 0,
        };
        match *self {
            PowerCurve::Constant { power_dw } => {
                let p = i128::from(power_dw);
                let s = Segment {
                    p0: p,
                    p1: p,
                    ..empty
                };
                ([s, empty, empty], 1)
            }
            PowerCurve::RampTaper {
                peak_dw,
                ramp_s,
                hold_s,
                taper_s,
                floor_dw,
            } => {
                let (peak, floor) = (i128::from(peak_dw), i128::from(floor_dw));
                let ms = |s: u32| u64::from(s) * 1000;
                let ramp = Segment {
                    start_ms: 0,
                    len_ms: ms(ramp_s),
                    p0: 0,
                    p1: peak,
                };
                let hold = Segment {
                    start_ms: ms(ramp_s),
                    len_ms: ms(hold_s),
                    p0: peak,
                    p1: peak,
                };
                let taper = Segment {
                    start_ms: ms(ramp_s) + ms(hold_s),
                    len_ms: ms(taper_s),
                    p0: peak,
                    p1: floor,
                };
                ([ramp, hold, taper], 3)
            }
        }
    }

    /// Power `elapsed` into the charge, in 0.1 W.
    pub fn power_dw(&self, elapsed: Duration) -> u32 {
        let t = millis(elapsed);
        let (segs, n) = self.segments();
        let mut last = 0;
        for s in segs.iter().take(n) {
            if t < s.start_ms + s.len_ms {
                return clamp_u32(s.power(t.saturating_sub(s.start_ms)));
            }
            last = s.p1;
        }
        clamp_u32(last)
    }

    /// Energy drawn during the first `elapsed` of the charge, in 0.1 W·ms.
    fn area(&self, elapsed: Duration) -> i128 {
        let t = millis(elapsed);
        let (segs, n) = self.segments();
        let mut total = 0i128;
        let mut end = 0u64;
        let mut last = 0i128;
        for s in segs.iter().take(n) {
            if t <= s.start_ms {
                return total;
            }
            let x = (t - s.start_ms).min(s.len_ms);
            total += s.area(x);
            end = s.start_ms + s.len_ms;
            last = s.p1;
        }
        total + last * i128::from(t.saturating_sub(end))
    }

    /// Energy drawn during the first `elapsed` of the charge, in whole Wh (rounded
    /// down).
    pub fn energy_wh(&self, elapsed: Duration) -> u64 {
        u64::try_from(self.area(elapsed) / DWMS_PER_WH).unwrap_or(0)
    }

    /// Lowest and highest power within `[from, to]` of the charge, in 0.1 W (the
    /// extremes of a piecewise-linear curve lie at the ends or at breakpoints).
    pub fn power_range_dw(&self, from: Duration, to: Duration) -> (u32, u32) {
        let (a, b) = (millis(from), millis(to).max(millis(from)));
        let (segs, n) = self.segments();
        let inner = segs
            .iter()
            .take(n)
            .flat_map(|s| [s.start_ms, s.start_ms + s.len_ms])
            .filter(|&t| t > a && t < b);
        let mut lo = self.power_dw(from);
        let mut hi = lo;
        for t in inner.chain([b]) {
            let p = self.power_dw(Duration::from_millis(t));
            lo = lo.min(p);
            hi = hi.max(p);
        }
        (lo, hi)
    }

    /// Highest power during the first `elapsed` of the charge, in 0.1 W (what a GN
    /// socket settles power brackets on).
    pub fn max_power_dw_until(&self, elapsed: Duration) -> u32 {
        self.power_range_dw(Duration::ZERO, elapsed).1
    }

    /// Highest power of the curve, in 0.1 W.
    pub fn peak_dw(&self) -> u32 {
        match *self {
            PowerCurve::Constant { power_dw } => power_dw,
            PowerCurve::RampTaper {
                peak_dw, floor_dw, ..
            } => peak_dw.max(floor_dw),
        }
    }

    /// When the battery is full (the charger stops drawing), if it ever is.
    pub fn full_after(&self) -> Option<Duration> {
        match *self {
            PowerCurve::Constant { .. } => None,
            PowerCurve::RampTaper {
                ramp_s,
                hold_s,
                taper_s,
                ..
            } => Some(Duration::from_secs(
                u64::from(ramp_s) + u64::from(hold_s) + u64::from(taper_s),
            )),
        }
    }

    /// The first whole second at which at least `wh` have been drawn, or `None` when
    /// the curve never gets there (zero power, or `within` passes first).
    pub fn time_to_energy(&self, wh: u64, within: Duration) -> Option<Duration> {
        let target = i128::from(wh) * DWMS_PER_WH;
        let horizon = within.as_secs();
        if self.area(Duration::from_secs(horizon)) < target {
            return None;
        }
        // Energy never decreases (power ≥ 0): binary search the whole seconds.
        let (mut lo, mut hi) = (0u64, horizon);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.area(Duration::from_secs(mid)) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(Duration::from_secs(lo))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn clamp_u32(v: i128) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl fmt::Display for PowerCurve {
    /// The form [`FromStr`] reads: `constant:<W>` or
    /// `ramp:<peak W>,<ramp s>,<hold s>,<taper s>,<floor W>` (watts with one decimal
    /// when needed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = |dw: u32| {
            if dw.is_multiple_of(10) {
                format!("{}", dw / 10)
            } else {
                format!("{}.{}", dw / 10, dw % 10)
            }
        };
        match *self {
            PowerCurve::Constant { power_dw } => write!(f, "constant:{}", w(power_dw)),
            PowerCurve::RampTaper {
                peak_dw,
                ramp_s,
                hold_s,
                taper_s,
                floor_dw,
            } => write!(
                f,
                "ramp:{},{ramp_s},{hold_s},{taper_s},{}",
                w(peak_dw),
                w(floor_dw)
            ),
        }
    }
}

impl FromStr for PowerCurve {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, SimError> {
        let bad = |why: &str| SimError::Config(format!("power curve {s:?}: {why}"));
        let (kind, args) = s.split_once(':').ok_or_else(|| {
            bad("expected constant:<W> or ramp:<peak W>,<ramp s>,<hold s>,<taper s>,<floor W>")
        })?;
        let parts: Vec<&str> = args.split(',').map(str::trim).collect();
        match (kind.trim(), parts.as_slice()) {
            ("constant", [p]) => Ok(PowerCurve::Constant {
                power_dw: parse_dw(p).ok_or_else(|| bad("bad watts"))?,
            }),
            ("ramp", [peak, ramp, hold, taper, floor]) => {
                let secs = |v: &str| v.parse::<u32>().map_err(|_| bad("bad seconds"));
                Ok(PowerCurve::RampTaper {
                    peak_dw: parse_dw(peak).ok_or_else(|| bad("bad peak watts"))?,
                    ramp_s: secs(ramp)?,
                    hold_s: secs(hold)?,
                    taper_s: secs(taper)?,
                    floor_dw: parse_dw(floor).ok_or_else(|| bad("bad floor watts"))?,
                })
            }
            _ => Err(bad(
                "expected constant:<W> or ramp:<peak W>,<ramp s>,<hold s>,<taper s>,<floor W>",
            )),
        }
    }
}

/// Watts with at most one decimal → 0.1 W.
fn parse_dw(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    if frac.len() != 1 {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = frac.parse().ok()?;
    whole.checked_mul(10)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Duration = Duration::from_secs(3600);

    #[test]
    fn constant_energy_is_power_times_time() {
        let c = PowerCurve::constant_watts(200);
        assert_eq!(c.energy_wh(2 * H), 400);
        assert_eq!(c.energy_wh(Duration::from_secs(90)), 5); // 5.0 Wh
        assert_eq!(c.power_dw(H), 2000);
        assert_eq!(c.full_after(), None);
        assert_eq!(
            c.time_to_energy(100, 10 * H),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(c.time_to_energy(5000, 10 * H), None);
    }

    #[test]
    fn ramp_taper_integrates_trapezoids() {
        let c = PowerCurve::RampTaper {
            peak_dw: 2000,
            ramp_s: 600,
            hold_s: 3600,
            taper_s: 1800,
            floor_dw: 0,
        };
        // Ramp: 200 W × 600 s / 2 = 16.67 Wh; hold 200 Wh; taper 200 W × 1800 s / 2 = 50 Wh.
        assert_eq!(c.energy_wh(Duration::from_secs(600)), 16);
        assert_eq!(c.energy_wh(Duration::from_secs(4200)), 216);
        assert_eq!(c.energy_wh(Duration::from_secs(6000)), 266);
        assert_eq!(c.energy_wh(10 * H), 266);
        assert_eq!(c.power_dw(Duration::from_secs(300)), 1000);
        assert_eq!(c.power_dw(Duration::from_secs(5100)), 1000);
        assert_eq!(c.full_after(), Some(Duration::from_secs(6000)));
        let t = c.time_to_energy(100, 10 * H).unwrap();
        assert!(c.energy_wh(t) >= 100 && c.energy_wh(t - Duration::from_secs(1)) < 100);
    }

    #[test]
    fn power_ranges_see_breakpoints() {
        let c = PowerCurve::RampTaper {
            peak_dw: 2000,
            ramp_s: 600,
            hold_s: 600,
            taper_s: 600,
            floor_dw: 100,
        };
        let s = Duration::from_secs;
        assert_eq!(c.power_range_dw(s(300), s(1500)), (1000, 2000));
        assert_eq!(c.power_range_dw(s(0), s(2000)), (0, 2000));
        assert_eq!(c.max_power_dw_until(s(300)), 1000);
        assert_eq!(c.max_power_dw_until(s(5000)), 2000);
    }

    #[test]
    fn parses_and_prints() {
        for s in ["constant:200", "constant:0.5", "ramp:400,600,3600,1800,20"] {
            assert_eq!(s.parse::<PowerCurve>().unwrap().to_string(), s);
        }
        assert!("constant:".parse::<PowerCurve>().is_err());
        assert!("ramp:1,2".parse::<PowerCurve>().is_err());
        assert!("linear:5".parse::<PowerCurve>().is_err());
        assert!("constant:1.25".parse::<PowerCurve>().is_err());
    }
}
