//! When a port counts as stuck: the device says it charges, but nothing Pylon knows
//! backs that up. Operators look at these to stop the port or fix the order by hand.
//!
//! The rule (docs/charging.md, "Live state"): a port of an online device that has been
//! `charging` for longer than [`STUCK_AFTER`] is stuck when
//! - the device names no order for it (`no_order`), or
//! - the named order is not a live order of Pylon (`no_live_order`; until the orders
//!   capability exists every named order counts as live), or
//! - no meter sample arrived within [`STUCK_AFTER`] (`meter_silent`).
//!
//! Devices report meter samples at least every 5 minutes while charging (DNY 0x06, GN
//! status clusters), so three missed periods are a fault, not a delay. Ports of an
//! offline device are not judged: their state is unknown until it reconnects.

use chrono::{DateTime, TimeDelta, Utc};

use super::port::{PortLive, PortState};

/// Three missed 5-minute reporting periods.
pub const STUCK_AFTER: TimeDelta = TimeDelta::minutes(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StuckReason {
    NoOrder,
    NoLiveOrder,
    MeterSilent,
}

impl StuckReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoOrder => "no_order",
            Self::NoLiveOrder => "no_live_order",
            Self::MeterSilent => "meter_silent",
        }
    }
}

/// Why `port` is stuck at `now`, if it is. `has_live_order` is asked only about a
/// named order.
pub fn judge(
    port: &PortLive,
    device_online: bool,
    now: DateTime<Utc>,
    has_live_order: impl Fn(&str) -> bool,
) -> Option<StuckReason> {
    if !device_online || port.state != PortState::Charging {
        return None;
    }
    let since = port.state_since?;
    if now - since <= STUCK_AFTER {
        // A charge that just began may not have named its order or sampled yet.
        return None;
    }
    if port.order_ref.is_empty() {
        return Some(StuckReason::NoOrder);
    }
    if !has_live_order(&port.order_ref) {
        return Some(StuckReason::NoLiveOrder);
    }
    let last_sign = port.meter_at.map_or(since, |m| m.max(since));
    (now - last_sign > STUCK_AFTER).then_some(StuckReason::MeterSilent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::domain::port::Meter;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + min * 60, 0)
            .single()
            .unwrap_or_default()
    }
    fn charging(since: i64, order: &str, meter_at: Option<i64>) -> PortLive {
        PortLive {
            state: PortState::Charging,
            raw_status: 1,
            state_at: Some(at(since)),
            state_since: Some(at(since)),
            order_ref: order.into(),
            meter: meter_at.map(|_| Meter::default()),
            meter_at: meter_at.map(at),
            charge_at: meter_at.map(at),
        }
    }
    fn live(_: &str) -> bool {
        true
    }

    #[test]
    fn a_fresh_charge_is_given_time() {
        assert_eq!(judge(&charging(0, "", None), true, at(15), live), None);
    }

    #[test]
    fn a_charge_without_an_order_is_stuck() {
        let r = judge(&charging(0, "", Some(20)), true, at(21), live);
        assert_eq!(r, Some(StuckReason::NoOrder));
    }

    #[test]
    fn a_charge_for_an_unknown_order_is_stuck() {
        let r = judge(&charging(0, "o1", Some(20)), true, at(21), |_| false);
        assert_eq!(r, Some(StuckReason::NoLiveOrder));
    }

    #[test]
    fn a_charge_whose_meter_went_silent_is_stuck() {
        let p = charging(0, "o1", Some(10));
        assert_eq!(judge(&p, true, at(25), live), None);
        assert_eq!(
            judge(&p, true, at(26), live),
            Some(StuckReason::MeterSilent)
        );
    }

    #[test]
    fn offline_devices_and_idle_ports_are_not_judged() {
        let p = charging(0, "", None);
        assert_eq!(judge(&p, false, at(60), live), None);
        let mut idle = p;
        idle.state = PortState::Idle;
        assert_eq!(judge(&idle, true, at(60), live), None);
    }
}
