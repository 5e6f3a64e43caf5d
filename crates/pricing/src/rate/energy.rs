//! The energy fee: how many Wh fell into each time-of-use period, then Wh × price.
//!
//! The meter curve is a list of intervals between consecutive samples, each with a whole
//! number of Wh. An interval inside one period gives all its Wh to that period. An
//! interval that straddles boundaries (or the free minutes, or the session's ends) splits
//! its Wh in proportion to the seconds it spends in each, with the house-monotone
//! apportionment of `apportion.rs`. Bucket 0 collects what is not billed: the free
//! minutes and any part of an interval outside `[start, end)`.
//!
//! Consequences the tests pin down: quantities are whole Wh, so every line item can be
//! recomputed from the bill; splitting a session at a sample's instant changes no
//! interval, so per-period Wh add up exactly; adding Wh to any interval never lowers a
//! period's Wh.

use crate::apportion::apportion;
use crate::bill::{Component, LineItem, PriceUnit, Quantity, QuantityUnit, UnitPrice};
use crate::error::RateError;
use crate::facts::Session;
use crate::rate::timeline::{Segment, tou_segments};
use crate::rounding::energy_amount;
use crate::tariff::{EnergyFee, EnergyPrice, PeriodKind};

pub(crate) fn rate(
    fee: &EnergyFee,
    session: &Session,
    billable_from: i64,
    items: &mut Vec<LineItem>,
) -> Result<(), RateError> {
    let mut segments = Vec::new();
    if billable_from > session.start {
        segments.push(Segment {
            start: session.start,
            end: billable_from,
            label: 0,
        });
    }
    // Bucket 1 + i is price i; bucket 0 is "not billed".
    let prices: Vec<(EnergyPrice, Option<PeriodKind>)> = match fee {
        EnergyFee::Flat(price) => {
            if billable_from < session.end {
                segments.push(Segment {
                    start: billable_from,
                    end: session.end,
                    label: 1,
                });
            }
            vec![(*price, None)]
        }
        EnergyFee::TimeOfUse(tou) => {
            tou_segments(
                &tou.periods,
                &session.zone,
                billable_from,
                session.end,
                1,
                &mut segments,
            )?;
            tou.periods
                .iter()
                .map(|p| (p.price, Some(p.kind)))
                .collect()
        }
    };
    let wh = distribute(&session.curve, &segments, prices.len() + 1);

    for (i, ((price, kind), &wh)) in prices.iter().zip(wh.iter().skip(1)).enumerate() {
        if wh == 0 {
            continue;
        }
        let index = match fee {
            EnergyFee::Flat(_) => None,
            EnergyFee::TimeOfUse(_) => u32::try_from(i).ok(),
        };
        for (component, p) in [
            (Component::Electricity, price.electricity_millifen_per_kwh),
            (Component::Service, price.service_millifen_per_kwh),
        ] {
            items.push(LineItem {
                component,
                period: *kind,
                tariff_index: index,
                quantity: Some(Quantity {
                    value: wh,
                    unit: QuantityUnit::Wh,
                }),
                unit_price: Some(UnitPrice {
                    millifen: p,
                    per: PriceUnit::Kwh,
                }),
                amount_fen: energy_amount(wh, p)?,
            });
        }
    }
    Ok(())
}

/// Whole Wh per bucket. `segments` are sorted and contiguous; time outside them is
/// bucket 0.
fn distribute(curve: &[(i64, i64)], segments: &[Segment], buckets: usize) -> Vec<i64> {
    let mut totals = vec![0i64; buckets];
    let mut weights = vec![0i64; buckets];
    let mut shares = vec![0i64; buckets];
    let mut first = 0;
    for pair in curve.windows(2) {
        let [(t0, e0), (t1, e1)] = [pair[0], pair[1]];
        let wh = e1 - e0;
        if wh == 0 {
            continue;
        }
        while first < segments.len() && segments[first].end <= t0 {
            first += 1;
        }
        weights.iter_mut().for_each(|w| *w = 0);
        let mut covered = 0;
        for seg in segments[first..].iter().take_while(|s| s.start < t1) {
            let overlap = seg.end.min(t1) - seg.start.max(t0);
            if overlap > 0 {
                weights[seg.label] += overlap;
                covered += overlap;
            }
        }
        weights[0] += (t1 - t0) - covered;

        let mut nonzero = weights.iter().enumerate().filter(|(_, w)| **w > 0);
        match (nonzero.next(), nonzero.next()) {
            // The common case: the whole interval lies in one period.
            (Some((only, _)), None) => totals[only] += wh,
            _ => {
                apportion(wh, &weights, &mut shares);
                totals.iter_mut().zip(&shares).for_each(|(t, s)| *t += s);
            }
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_straddling_a_boundary_is_split_by_time() {
        let segments = [
            Segment {
                start: 0,
                end: 600,
                label: 1,
            },
            Segment {
                start: 600,
                end: 3600,
                label: 2,
            },
        ];
        // 1 501 Wh from 0 s to 1 800 s: 600 s in bucket 1, 1 200 s in bucket 2.
        let wh = distribute(&[(0, 0), (1800, 1501)], &segments, 3);
        assert_eq!(wh, vec![0, 500, 1001]);
    }

    #[test]
    fn energy_outside_the_session_is_not_billed() {
        let segments = [Segment {
            start: 100,
            end: 200,
            label: 1,
        }];
        // 300 Wh from 0 to 300 s: only the middle third is inside.
        let wh = distribute(&[(0, 0), (300, 300)], &segments, 2);
        assert_eq!(wh, vec![200, 100]);
    }
}
