//! Latency summaries the benchmarks share: nearest-rank percentiles of samples.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile of sorted samples (nearest rank); zero without samples.
pub fn pct<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    let Some(last) = sorted.len().checked_sub(1) else {
        return T::default();
    };
    let i = ((p / 100.0) * last as f64).round() as usize;
    sorted[i.min(last)]
}

/// Count, median, 99th percentile and maximum, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of_ms(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        Self {
            count: ms.len(),
            p50_ms: pct(&ms, 50.0),
            p99_ms: pct(&ms, 99.0),
            max_ms: pct(&ms, 100.0),
        }
    }

    pub fn of(samples: Vec<Duration>) -> Self {
        Self::of_ms(samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect())
    }

    /// "p50 …, p99 **…**, max … ms", for a report's prose.
    pub fn brief(&self) -> String {
        format!(
            "p50 {:.2}, p99 **{:.2}**, max {:.2} ms",
            self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(pct(&v, 50.0), Duration::from_millis(51));
        assert_eq!(pct(&v, 99.0), Duration::from_millis(99));
        assert_eq!(pct::<Duration>(&[], 99.0), Duration::ZERO);
    }
}
