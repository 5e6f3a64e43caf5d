//! One running charge, as pure arithmetic over simulated time: when and why it ends,
//! energy, power and cost at any moment. The end is computed in advance from the
//! curve and the limits, so a late timer never changes what the settlement says.

use std::time::Duration;

use crate::clock::SimTime;
use crate::curve::PowerCurve;
use crate::event::OrderRef;
use crate::faults::{EndReason, PortFault};

/// One power bracket of a GN power-bracket order: charging at a settle power up to
/// `max_dw` costs `price_fen` per `per_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bracket {
    pub(crate) max_dw: u32,
    pub(crate) price_fen: u32,
    pub(crate) per_s: u32,
}

/// A money limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Budget {
    /// GN power brackets (0x0015/0x17, card orders mode 3): the bracket of the
    /// highest power so far sets the price of the whole time.
    Brackets {
        amount_fen: u32,
        /// Sorted by `max_dw`.
        brackets: Vec<Bracket>,
    },
    /// GN fee mode (BKV 0x1007): electricity per kWh plus a service fee per kWh
    /// (`service_by_energy`) or per hour.
    Fee {
        amount_fen: u32,
        electricity_fen_per_kwh: u32,
        service_fen: u32,
        service_by_energy: bool,
    },
}

/// What ends a charge besides the curve's own "full".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Ordered duration.
    pub(crate) duration: Option<Duration>,
    /// Ordered energy.
    pub(crate) energy_wh: Option<u64>,
    /// Stop when the battery is full.
    pub(crate) full_stop: bool,
    /// Hard limit (the pile's max charge time); bounds every charge.
    pub(crate) max_duration: Duration,
    /// Stop with an overload fault when the power exceeds this (0.1 W).
    pub(crate) overload_dw: Option<u32>,
    /// Money limit.
    pub(crate) budget: Option<Budget>,
}

impl Limit {
    /// Only the hard limit and full-stop.
    pub(crate) fn until_full(max_duration: Duration) -> Self {
        Limit {
            duration: None,
            energy_wh: None,
            full_stop: true,
            max_duration,
            overload_dw: None,
            budget: None,
        }
    }
}

/// A running charge.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) order: OrderRef,
    pub(crate) started: SimTime,
    pub(crate) curve: PowerCurve,
    pub(crate) card: Option<u64>,
    limit: Limit,
    /// When (after the start) and why it ends, derived from curve and limit.
    end: (Duration, EndReason),
}

impl Session {
    pub(crate) fn new(
        order: OrderRef,
        started: SimTime,
        curve: PowerCurve,
        limit: Limit,
        card: Option<u64>,
    ) -> Self {
        let end = compute_end(&curve, &limit);
        Session {
            order,
            started,
            curve,
            card,
            limit,
            end,
        }
    }

    pub(crate) fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Changes the limits (DNY 0x8A) and recomputes the end.
    pub(crate) fn set_limit(&mut self, limit: Limit) {
        self.end = compute_end(&self.curve, &limit);
        self.limit = limit;
    }

    /// When the charge ends by itself, and why.
    pub(crate) fn end(&self) -> (SimTime, EndReason) {
        (self.started.after(self.end.0), self.end.1)
    }

    /// Time charged at `now` (never past the end).
    pub(crate) fn elapsed(&self, now: SimTime) -> Duration {
        now.since(self.started).min(self.end.0)
    }

    pub(crate) fn energy_wh(&self, elapsed: Duration) -> u64 {
        match self.limit.energy_wh {
            // The pile cuts off at the ordered energy.
            Some(limit) => self.curve.energy_wh(elapsed).min(limit),
            None => self.curve.energy_wh(elapsed),
        }
    }

    pub(crate) fn power_dw(&self, elapsed: Duration) -> u32 {
        self.curve.power_dw(elapsed)
    }

    pub(crate) fn max_power_dw(&self, elapsed: Duration) -> u32 {
        self.curve.max_power_dw_until(elapsed)
    }

    /// Money used after `elapsed` (fen, rounded up, never above the paid amount),
    /// for budget-limited orders.
    pub(crate) fn amount_fen(&self, elapsed: Duration) -> Option<u32> {
        let budget = self.limit.budget.as_ref()?;
        let fen = total_cost(&self.curve, budget, elapsed).div_ceil(1000);
        Some(
            u32::try_from(fen)
                .unwrap_or(u32::MAX)
                .min(amount_of(budget)),
        )
    }

    /// Electricity and service fee (fen) after `elapsed`, for fee-mode orders; the
    /// service fee absorbs the rounding so the two add up to [`Session::amount_fen`].
    pub(crate) fn fee_split(&self, elapsed: Duration) -> Option<(u32, u32)> {
        let budget @ Budget::Fee { .. } = self.limit.budget.as_ref()? else {
            return None;
        };
        let total = self.amount_fen(elapsed)?;
        let (e, _) = fee_cost(&self.curve, budget, elapsed);
        let e = u32::try_from(e / 1000).unwrap_or(u32::MAX).min(total);
        Some((e, total - e))
    }

    /// The bracket the settle power falls in (power-bracket orders).
    pub(crate) fn bracket_index(&self, elapsed: Duration) -> Option<usize> {
        match self.limit.budget.as_ref()? {
            Budget::Brackets { brackets, .. } => {
                bracket_for(brackets, self.max_power_dw(elapsed)).map(|(i, _)| i)
            }
            Budget::Fee { .. } => None,
        }
    }
}

/// The bracket for a settle power: the first whose ceiling covers it, else the last.
fn bracket_for(brackets: &[Bracket], power_dw: u32) -> Option<(usize, Bracket)> {
    brackets
        .iter()
        .copied()
        .enumerate()
        .find(|(_, b)| power_dw <= b.max_dw)
        .or_else(|| {
            let last = brackets.len().checked_sub(1)?;
            brackets.get(last).map(|b| (last, *b))
        })
}

/// Cost in millifen (1/1000 fen, rounded down) of a power-bracket charge after
/// `elapsed`: the bracket of the settle power prices the whole time.
fn bracket_cost(curve: &PowerCurve, budget: &Budget, elapsed: Duration) -> u128 {
    let Budget::Brackets { brackets, .. } = budget else {
        return 0;
    };
    let Some((_, b)) = bracket_for(brackets, curve.max_power_dw_until(elapsed)) else {
        return 0;
    };
    (u128::from(elapsed.as_secs()) * u128::from(b.price_fen) * 1000)
        .checked_div(u128::from(b.per_s))
        .unwrap_or(0)
}

/// (electricity, service) cost in millifen, rounded down.
fn fee_cost(curve: &PowerCurve, budget: &Budget, elapsed: Duration) -> (u128, u128) {
    let Budget::Fee {
        electricity_fen_per_kwh,
        service_fen,
        service_by_energy,
        ..
    } = *budget
    else {
        return (0, 0);
    };
    // fen/kWh × Wh = millifen.
    let wh = u128::from(curve.energy_wh(elapsed));
    let elec = wh * u128::from(electricity_fen_per_kwh);
    let service = if service_by_energy {
        wh * u128::from(service_fen)
    } else {
        u128::from(elapsed.as_secs()) * u128::from(service_fen) * 1000 / 3600
    };
    (elec, service)
}

fn total_cost(curve: &PowerCurve, budget: &Budget, elapsed: Duration) -> u128 {
    match budget {
        Budget::Brackets { .. } => bracket_cost(curve, budget, elapsed),
        Budget::Fee { .. } => {
            let (e, s) = fee_cost(curve, budget, elapsed);
            e + s
        }
    }
}

fn amount_of(budget: &Budget) -> u32 {
    match budget {
        Budget::Brackets { amount_fen, .. } | Budget::Fee { amount_fen, .. } => *amount_fen,
    }
}

/// The first whole second in `0..=horizon` where the monotone `pred` holds.
fn first_second(horizon: Duration, pred: impl Fn(Duration) -> bool) -> Option<Duration> {
    let h = horizon.as_secs();
    if !pred(Duration::from_secs(h)) {
        return None;
    }
    let (mut lo, mut hi) = (0u64, h);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(Duration::from_secs(mid)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(Duration::from_secs(lo))
}

fn compute_end(curve: &PowerCurve, limit: &Limit) -> (Duration, EndReason) {
    let horizon = limit.max_duration;
    // Candidates in tie-break order: a fault beats an ordered limit beats the
    // battery beats the hard limit.
    let mut candidates: Vec<(Duration, EndReason)> = Vec::with_capacity(6);
    if let Some(limit_dw) = limit.overload_dw
        && let Some(t) = first_second(horizon, |t| curve.max_power_dw_until(t) > limit_dw)
    {
        candidates.push((t, EndReason::Fault(PortFault::Overload)));
    }
    if let Some(wh) = limit.energy_wh
        && let Some(t) = curve.time_to_energy(wh, horizon)
    {
        candidates.push((t, EndReason::Energy));
    }
    if let Some(budget) = &limit.budget {
        let due = u128::from(amount_of(budget)) * 1000;
        if let Some(t) = first_second(horizon, |t| total_cost(curve, budget, t) >= due) {
            candidates.push((t, EndReason::Amount));
        }
    }
    if let Some(d) = limit.duration {
        candidates.push((d, EndReason::Time));
    }
    if limit.full_stop
        && let Some(t) = curve.full_after()
    {
        candidates.push((t, EndReason::Full));
    }
    candidates.push((horizon, EndReason::MaxDuration));
    let mut best = (horizon, EndReason::MaxDuration);
    for c in candidates.into_iter().rev() {
        if c.0 <= best.0 {
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Duration = Duration::from_secs(3600);

    fn session(curve: PowerCurve, limit: Limit) -> Session {
        Session::new(OrderRef::Gn(1), SimTime::ZERO, curve, limit, None)
    }

    #[test]
    fn ends_by_the_first_limit() {
        let c = PowerCurve::constant_watts(200);
        let mut l = Limit::until_full(10 * H);
        assert_eq!(session(c, l.clone()).end().1, EndReason::MaxDuration);
        l.duration = Some(2 * H);
        let s = session(c, l.clone());
        assert_eq!(s.end(), (SimTime::from_secs(7200), EndReason::Time));
        assert_eq!(s.energy_wh(s.elapsed(SimTime::from_secs(99_999))), 400);
        l.energy_wh = Some(100);
        assert_eq!(
            session(c, l.clone()).end(),
            (SimTime::from_secs(1800), EndReason::Energy)
        );
        l.overload_dw = Some(1500);
        assert_eq!(session(c, l).end().1, EndReason::Fault(PortFault::Overload));
        let full = PowerCurve::default();
        let s = session(full, Limit::until_full(10 * H));
        assert_eq!(s.end().1, EndReason::Full);
        assert_eq!(s.end().0, SimTime::ZERO.after(full.full_after().unwrap()));
    }

    #[test]
    fn tie_prefers_the_ordered_time() {
        let mut l = Limit::until_full(2 * H);
        l.duration = Some(2 * H);
        assert_eq!(
            session(PowerCurve::constant_watts(100), l).end().1,
            EndReason::Time
        );
    }

    #[test]
    fn power_brackets_buy_time() {
        // 1 yuan at 0.25 yuan per hour up to 200 W: 4 hours.
        let mut l = Limit::until_full(10 * H);
        l.full_stop = false;
        l.budget = Some(Budget::Brackets {
            amount_fen: 100,
            brackets: vec![
                Bracket {
                    max_dw: 2000,
                    price_fen: 25,
                    per_s: 3600,
                },
                Bracket {
                    max_dw: 4000,
                    price_fen: 50,
                    per_s: 3600,
                },
            ],
        });
        let s = session(PowerCurve::constant_watts(150), l.clone());
        assert_eq!(s.end(), (SimTime::from_secs(4 * 3600), EndReason::Amount));
        assert_eq!(s.amount_fen(4 * H), Some(100));
        assert_eq!(s.bracket_index(H), Some(0));
        let s = session(PowerCurve::constant_watts(300), l);
        assert_eq!(s.end().0, SimTime::from_secs(2 * 3600));
        assert_eq!(s.bracket_index(H), Some(1));
    }

    #[test]
    fn fee_mode_splits_costs() {
        let mut l = Limit::until_full(10 * H);
        l.full_stop = false;
        l.budget = Some(Budget::Fee {
            amount_fen: 100,
            electricity_fen_per_kwh: 50,
            service_fen: 50,
            service_by_energy: true,
        });
        // 1 yuan at 1 yuan/kWh: 1 kWh at 500 W = 2 h.
        let s = session(PowerCurve::constant_watts(500), l);
        assert_eq!(s.end(), (SimTime::from_secs(7200), EndReason::Amount));
        assert_eq!(s.fee_split(2 * H), Some((50, 50)));
    }
}
