//! Splitting a whole number of watt-hours among buckets (time-of-use periods) in
//! proportion to time, without fractions.
//!
//! Why not round the interpolated meter reading at each period boundary? Because then
//! adding energy can *move* a watt-hour from an expensive period to a cheap one (the
//! rounded boundary reading jumps while the next one does not), and a bigger session
//! could cost less. Webster's (Sainte-Laguë) divisor method is *house-monotone*: giving
//! it one more Wh never takes a Wh away from any bucket. With prices ≥ 0 that makes the
//! bill monotone in energy, exactly, while each bucket stays within about one Wh of its
//! exact share.
//!
//! The allocation for `total` is the first `total` entries of the sequence of
//! "thresholds" `2·w/(2j+1)` (bucket weight `w`, j = 0, 1, …) sorted by value descending
//! and, on equal values, by bucket index ascending. Because the order is total and fixed,
//! the allocation for `total + 1` contains the one for `total`: that is the monotonicity.

/// Splits `total` (≥ 0) among buckets with `weights` (≥ 0, not all zero) into `out`
/// (same length as `weights`). `out` sums to `total`.
pub(crate) fn apportion(total: i64, weights: &[i64], out: &mut [i64]) {
    let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    let t = i128::from(total);
    out.iter_mut().for_each(|a| *a = 0);
    if sum <= 0 || t <= 0 {
        return;
    }
    // Jump: every threshold ≥ sum/total is in, i.e. a = floor(w·t/sum + 1/2). This is a
    // prefix of the order (it is decided by value alone), within a few seats of `total`.
    let mut given: i128 = 0;
    for (a, &w) in out.iter_mut().zip(weights) {
        let seats = (2 * i128::from(w) * t + sum).div_euclid(2 * sum);
        // seats ≤ t + 1 ≤ i64::MAX for any total from the facts limits.
        *a = i64::try_from(seats).unwrap_or(i64::MAX);
        given += seats;
    }
    // Step: add the next thresholds or drop the last ones until the count is right.
    while given < t {
        if let Some(p) = next_threshold(weights, out) {
            out[p] += 1;
        }
        given += 1;
    }
    while given > t {
        if let Some(p) = last_threshold(weights, out) {
            out[p] -= 1;
        }
        given -= 1;
    }
}

/// The bucket owning the largest threshold not yet given, ties to the lowest index.
fn next_threshold(weights: &[i64], seats: &[i64]) -> Option<usize> {
    let mut best: Option<(usize, i128, i128)> = None; // (bucket, numerator, denominator)
    for (p, (&w, &a)) in weights.iter().zip(seats).enumerate() {
        if w <= 0 {
            continue;
        }
        let (num, den) = (2 * i128::from(w), 2 * i128::from(a) + 1);
        // Strictly greater keeps the lowest index on ties.
        if best.is_none_or(|(_, bn, bd)| num * bd > bn * den) {
            best = Some((p, num, den));
        }
    }
    best.map(|(p, _, _)| p)
}

/// The bucket owning the smallest threshold given, ties to the highest index.
fn last_threshold(weights: &[i64], seats: &[i64]) -> Option<usize> {
    let mut worst: Option<(usize, i128, i128)> = None;
    for (p, (&w, &a)) in weights.iter().zip(seats).enumerate() {
        if a <= 0 {
            continue;
        }
        let (num, den) = (2 * i128::from(w), 2 * i128::from(a) - 1);
        // Less-or-equal moves to the highest index on ties.
        if worst.is_none_or(|(_, wn, wd)| num * wd <= wn * den) {
            worst = Some((p, num, den));
        }
    }
    worst.map(|(p, _, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(total: i64, weights: &[i64]) -> Vec<i64> {
        let mut out = vec![0; weights.len()];
        apportion(total, weights, &mut out);
        out
    }

    #[test]
    fn exact_shares_are_kept() {
        assert_eq!(split(1500, &[600, 1200]), vec![500, 1000]);
        assert_eq!(split(7, &[1]), vec![7]);
        assert_eq!(split(0, &[3, 4]), vec![0, 0]);
    }

    #[test]
    fn fractions_go_to_the_largest_remainder_in_simple_cases() {
        // 1501 Wh over 10 and 20 minutes: shares 500.33 and 1000.67.
        assert_eq!(split(1501, &[600, 1200]), vec![500, 1001]);
        // Three equal buckets, one left over: the tie goes to the first bucket.
        assert_eq!(split(4, &[1, 1, 1]), vec![2, 1, 1]);
        assert_eq!(split(5, &[1, 1, 1]), vec![2, 2, 1]);
    }

    #[test]
    fn zero_weight_gets_nothing() {
        assert_eq!(split(10, &[0, 5, 0]), vec![0, 10, 0]);
    }

    proptest! {
        #[test]
        fn sums_to_total_and_stays_near_the_share(
            total in 0i64..5_000_000,
            weights in prop::collection::vec(0i64..200_000, 1..12),
        ) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let out = split(total, &weights);
            prop_assert_eq!(out.iter().sum::<i64>(), total);
            let sum: i64 = weights.iter().sum();
            for (&a, &w) in out.iter().zip(&weights) {
                prop_assert!(a >= 0);
                // Webster stays within one bucket count of the exact share.
                let share = i128::from(total) * i128::from(w);
                let dev = (i128::from(a) * i128::from(sum) - share).abs();
                prop_assert!(dev <= i128::from(sum) * weights.len() as i128, "{a} vs {share}/{sum}");
            }
        }

        #[test]
        fn one_more_wh_never_takes_from_a_bucket(
            total in 0i64..100_000,
            weights in prop::collection::vec(0i64..5_000, 1..12),
        ) {
            prop_assume!(weights.iter().any(|&w| w > 0));
            let before = split(total, &weights);
            let after = split(total + 1, &weights);
            for (b, a) in before.iter().zip(&after) {
                prop_assert!(a >= b);
            }
        }
    }
}
