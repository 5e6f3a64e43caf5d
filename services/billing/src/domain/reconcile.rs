//! Comparing our bill with the amount the pile computed itself (GN and DNY piles report
//! one at settlement). A difference is stored on every bill; it is flagged for review
//! only beyond the tolerance, which absorbs rounding, not disagreement:
//!
//! tolerance = max(1 fen per line item, 1 % of the bill's total, rounded up)
//!
//! - 1 fen per line item: piles round each part (electricity, service, each period) on
//!   their own, often truncating where we round half-up, so every line may be a fen off.
//! - 1 %: piles price from their own meter register at the moment they stop, while the
//!   bill rates the samples the platform received; on long sessions the two drift by a
//!   fraction of a percent. Disagreements worth a look (a wrong tariff on the pile, a
//!   meter fault) are far larger.

use pricing::Bill;

/// The comparison stored with a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconciliation {
    pub device_reported_fen: Option<i64>,
    /// Our total − the device's (0 without a device amount).
    pub difference_fen: i64,
    pub tolerance_fen: i64,
    pub flagged: bool,
}

/// The tolerance of `bill` (see the module documentation).
pub fn tolerance(bill: &Bill) -> i64 {
    let per_item = i64::try_from(bill.items.len()).unwrap_or(i64::MAX).max(1);
    let total = bill.total_fen.get().unsigned_abs();
    let percent = i64::try_from(total.div_ceil(100)).unwrap_or(i64::MAX);
    per_item.max(percent)
}

pub fn reconcile(bill: &Bill, device_reported_fen: Option<i64>) -> Reconciliation {
    let tolerance_fen = tolerance(bill);
    match device_reported_fen {
        None => Reconciliation {
            device_reported_fen: None,
            difference_fen: 0,
            tolerance_fen,
            flagged: false,
        },
        Some(device) => {
            let difference_fen = bill.total_fen.get().saturating_sub(device);
            Reconciliation {
                device_reported_fen: Some(device),
                difference_fen,
                tolerance_fen,
                flagged: difference_fen.unsigned_abs() > tolerance_fen.unsigned_abs(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use pricing::{Bill, Component, Currency, Fen, LineItem};

    use super::*;

    fn bill(amounts: &[i64]) -> Bill {
        let items: Vec<LineItem> = amounts
            .iter()
            .map(|a| LineItem {
                component: Component::Service,
                period: None,
                tariff_index: None,
                quantity: None,
                unit_price: None,
                amount_fen: Fen::new(*a),
            })
            .collect();
        Bill {
            total_fen: Fen::new(amounts.iter().sum()),
            items,
            currency: Currency::Cny,
        }
    }

    #[test]
    fn small_bills_allow_a_fen_per_item() {
        let b = bill(&[120, 80]); // 2 items, 200 fen: 1 % = 2 fen, per item = 2 fen
        assert_eq!(tolerance(&b), 2);
        assert!(!reconcile(&b, Some(198)).flagged);
        assert!(!reconcile(&b, Some(202)).flagged);
        let r = reconcile(&b, Some(197));
        assert_eq!((r.difference_fen, r.flagged), (3, true));
    }

    #[test]
    fn large_bills_allow_one_percent_rounded_up() {
        let b = bill(&[10_001]); // 1 % = 100.01 → 101 fen
        assert_eq!(tolerance(&b), 101);
        assert!(!reconcile(&b, Some(10_001 + 101)).flagged);
        assert!(reconcile(&b, Some(10_001 + 102)).flagged);
    }

    #[test]
    fn free_sessions_still_allow_one_fen() {
        let b = bill(&[]);
        assert_eq!(tolerance(&b), 1);
        assert!(!reconcile(&b, Some(1)).flagged);
        assert!(reconcile(&b, Some(2)).flagged);
    }

    #[test]
    fn no_device_amount_is_never_flagged() {
        let r = reconcile(&bill(&[500]), None);
        assert_eq!((r.difference_fen, r.flagged), (0, false));
    }
}
