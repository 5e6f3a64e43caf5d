//! A tiny deterministic generator (SplitMix64) for jitter, garbage bytes and the
//! spontaneous activity of demo fleets. Seeded from the pile index, so a run is
//! reproducible and no dependency is needed.

#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5EED_F00D_u64)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in (0, `period`], to the millisecond: a random phase within a period.
    pub(crate) fn phase_within(&mut self, period: std::time::Duration) -> std::time::Duration {
        let ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
        std::time::Duration::from_millis(1 + self.below(ms))
    }

    /// `base` scaled by a factor in [1 − pct/100, 1 + pct/100].
    pub(crate) fn jitter(&mut self, base: u64, pct: u64) -> u64 {
        let spread = base.saturating_mul(pct) / 100;
        base.saturating_sub(spread)
            .saturating_add(self.below(spread.saturating_mul(2).saturating_add(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let (mut a, mut b) = (Rng::new(1), Rng::new(1));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
            let j = a.jitter(1000, 20);
            assert!((800..=1200).contains(&j));
            b.jitter(1000, 20);
        }
        assert_eq!(a.below(0), 0);
    }
}
