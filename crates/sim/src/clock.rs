//! Simulated time.
//!
//! Every period a pile keeps (heartbeats, meter reports, charge limits, resends,
//! back-off) is expressed in *simulated* time; the [`Clock`] maps it onto the wall
//! clock with an integer speed-up. At speed 3600 a 2-hour charge takes 2 s and a
//! 3-minute heartbeat period 50 ms, so tests and the demo run "accelerated" while the
//! piles still follow the protocols' periods. The clock reads `tokio::time::Instant`,
//! so a test that pauses tokio's clock controls the simulator too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A point in simulated time: milliseconds since the clock's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The clock's origin.
    pub const ZERO: SimTime = SimTime(0);

    /// From milliseconds since the origin.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    /// From seconds since the origin.
    pub const fn from_secs(secs: u64) -> Self {
        SimTime(secs.saturating_mul(1000))
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self` plus a simulated duration (saturating).
    pub fn after(self, d: Duration) -> SimTime {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        SimTime(self.0.saturating_add(ms))
    }

    /// `self` plus whole simulated seconds (saturating).
    pub const fn after_secs(self, secs: u64) -> SimTime {
        SimTime(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// Simulated time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// Maps simulated time to wall time: `speed` simulated seconds pass per wall second.
/// `Copy`, so every pile holds its own (they all share one origin when cloned from the
/// same value).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Simulated seconds per wall second (≥ 1).
    speed: u32,
    /// The wall instant of [`SimTime::ZERO`].
    wall_origin: Instant,
    /// The Unix time (ms) of [`SimTime::ZERO`]: what piles put in timestamps.
    unix_origin_ms: i64,
}

impl Clock {
    /// A clock starting now, at the real Unix time, running `speed` times faster than
    /// the wall clock (0 is taken as 1).
    pub fn new(speed: u32) -> Self {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self::with_unix_origin_ms(speed, unix_ms)
    }

    /// Real time: speed 1.
    pub fn real() -> Self {
        Self::new(1)
    }

    /// A clock starting now whose simulated Unix time starts at `unix_ms` (for
    /// reproducible timestamps).
    pub fn with_unix_origin_ms(speed: u32, unix_ms: i64) -> Self {
        Clock {
            speed: speed.max(1),
            wall_origin: Instant::now(),
            unix_origin_ms: unix_ms,
        }
    }

    /// Simulated seconds per wall second.
    pub fn speed(&self) -> u32 {
        self.speed
    }

    /// The simulated time now.
    pub fn now(&self) -> SimTime {
        let wall = Instant::now().saturating_duration_since(self.wall_origin);
        let ms = wall.as_millis().saturating_mul(u128::from(self.speed));
        SimTime(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// The simulated Unix time (seconds) at `t`.
    pub fn unix_secs(&self, t: SimTime) -> i64 {
        let ms = self
            .unix_origin_ms
            .saturating_add(i64::try_from(t.0).unwrap_or(i64::MAX));
        ms.div_euclid(1000)
    }

    /// The wall instant at which simulated time reaches `t`.
    pub fn wall_instant(&self, t: SimTime) -> Instant {
        self.wall_origin + self.wall_duration(Duration::from_millis(t.0))
    }

    /// How long a simulated duration lasts on the wall clock.
    pub fn wall_duration(&self, sim: Duration) -> Duration {
        sim / self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_time_arithmetic() {
        let t = SimTime::from_secs(10);
        assert_eq!(t.as_millis(), 10_000);
        assert_eq!(t.after_secs(5), SimTime::from_secs(15));
        assert_eq!(t.after(Duration::from_millis(250)).as_millis(), 10_250);
        assert_eq!(SimTime::from_secs(15).since(t), Duration::from_secs(5));
        assert_eq!(t.since(SimTime::from_secs(15)), Duration::ZERO);
    }

    #[test]
    fn speed_scales_wall_durations() {
        let c = Clock::with_unix_origin_ms(3600, 1_700_000_000_000);
        assert_eq!(
            c.wall_duration(Duration::from_secs(7200)),
            Duration::from_secs(2)
        );
        assert_eq!(c.unix_secs(SimTime::from_secs(60)), 1_700_000_060);
        assert_eq!(Clock::new(0).speed(), 1);
    }
}
