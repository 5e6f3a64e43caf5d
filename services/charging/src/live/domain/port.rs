//! A port's status and current charge, merged from its events in any order.
//!
//! Two clocks per port, because two kinds of facts describe it: the status (from
//! `port_status`, snapshots included) and the charge (meter samples, starts, ends). A
//! fact replaces what an equally new or newer fact of its kind has not already set. A
//! status that is not "charging" ends the charge shown on the port when it is newer
//! than the charge's last fact, so an idle port never shows a stale order or power.

use chrono::{DateTime, Utc};

/// The normalized port state (`pylon.events.v1.PortState`), as stored and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortState {
    Unknown,
    Idle,
    Charging,
    Full,
    Fault,
    Offline,
    Occupied,
}

impl PortState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Idle => "idle",
            Self::Charging => "charging",
            Self::Full => "full",
            Self::Fault => "fault",
            Self::Offline => "offline",
            Self::Occupied => "occupied",
        }
    }

    /// The stored text back; what it does not know reads as `Unknown`.
    pub fn parse(s: &str) -> Self {
        match s {
            "idle" => Self::Idle,
            "charging" => Self::Charging,
            "full" => Self::Full,
            "fault" => Self::Fault,
            "offline" => Self::Offline,
            "occupied" => Self::Occupied,
            _ => Self::Unknown,
        }
    }
}

/// A meter reading in Pylon units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meter {
    pub power_dw: u32,
    pub voltage_dv: u32,
    pub current_ma: u32,
    pub energy_wh: u64,
    pub elapsed_secs: u64,
}

/// The part of an event that concerns one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortFact {
    Status { state: PortState, raw_status: u32 },
    Meter { order_ref: String, meter: Meter },
    Started { order_ref: String },
    Ended { order_ref: String },
}

/// The stored live state of one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortLive {
    pub state: PortState,
    pub raw_status: u32,
    /// Instant of the newest status report (snapshots refresh it).
    pub state_at: Option<DateTime<Utc>>,
    /// Since when the port is in `state` (snapshots of the same state keep it).
    pub state_since: Option<DateTime<Utc>>,
    /// The order the device charges for, as it names it; empty when none is known.
    pub order_ref: String,
    pub meter: Option<Meter>,
    pub meter_at: Option<DateTime<Utc>>,
    /// Instant of the newest fact about the charge (meter, start, end, a clearing status).
    pub charge_at: Option<DateTime<Utc>>,
}

impl PortLive {
    fn empty() -> Self {
        Self {
            state: PortState::Unknown,
            raw_status: 0,
            state_at: None,
            state_since: None,
            order_ref: String::new(),
            meter: None,
            meter_at: None,
            charge_at: None,
        }
    }

    fn clear_charge(&mut self, at: DateTime<Utc>) {
        self.order_ref.clear();
        self.meter = None;
        self.charge_at = Some(at);
    }
}

fn not_older(stored: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    stored.is_none_or(|t| at >= t)
}

/// `current` after `fact` at `at`; `None` when it changes nothing (no write needed).
pub fn merge(current: Option<&PortLive>, at: DateTime<Utc>, fact: &PortFact) -> Option<PortLive> {
    let mut p = current.cloned().unwrap_or_else(PortLive::empty);
    match fact {
        PortFact::Status { state, raw_status } => {
            if !not_older(p.state_at, at) {
                return None;
            }
            if p.state != *state || p.state_since.is_none() {
                p.state_since = Some(at);
            }
            p.state = *state;
            p.raw_status = *raw_status;
            p.state_at = Some(at);
            if *state != PortState::Charging && not_older(p.charge_at, at) {
                p.clear_charge(at);
            }
        }
        PortFact::Meter { order_ref, meter } => {
            if !not_older(p.charge_at, at) {
                return None;
            }
            if !order_ref.is_empty() {
                p.order_ref = order_ref.clone();
            }
            p.meter = Some(meter.clone());
            p.meter_at = Some(at);
            p.charge_at = Some(at);
        }
        PortFact::Started { order_ref } => {
            if !not_older(p.charge_at, at) {
                return None;
            }
            if *order_ref != p.order_ref {
                // A new charge: the previous one's readings are not this one's.
                p.meter = None;
            }
            p.order_ref = order_ref.clone();
            p.charge_at = Some(at);
        }
        PortFact::Ended { order_ref } => {
            // The end of another (older) order does not end the one shown.
            let same = p.order_ref.is_empty() || order_ref.is_empty() || *order_ref == p.order_ref;
            if !not_older(p.charge_at, at) || !same {
                return None;
            }
            p.clear_charge(at);
        }
    }
    (current != Some(&p)).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .unwrap_or_default()
    }
    fn status(state: PortState) -> PortFact {
        PortFact::Status {
            state,
            raw_status: 0,
        }
    }
    fn meter(order: &str, power_dw: u32) -> PortFact {
        PortFact::Meter {
            order_ref: order.into(),
            meter: Meter {
                power_dw,
                ..Default::default()
            },
        }
    }
    fn apply(events: &[(i64, PortFact)]) -> Option<PortLive> {
        let mut p: Option<PortLive> = None;
        for (s, f) in events {
            if let Some(next) = merge(p.as_ref(), at(*s), f) {
                p = Some(next);
            }
        }
        p
    }

    #[test]
    fn a_charge_shows_its_order_and_power() {
        let p = apply(&[(1, status(PortState::Charging)), (2, meter("o1", 1200))]).unwrap();
        assert_eq!(p.state, PortState::Charging);
        assert_eq!(p.order_ref, "o1");
        assert_eq!(p.meter.unwrap().power_dw, 1200);
        assert_eq!(p.state_since, Some(at(1)));
    }

    #[test]
    fn an_older_status_does_not_overwrite_a_newer_one() {
        let p = apply(&[
            (5, status(PortState::Idle)),
            (3, status(PortState::Charging)),
        ])
        .unwrap();
        assert_eq!(p.state, PortState::Idle);
        assert_eq!(p.state_at, Some(at(5)));
    }

    #[test]
    fn an_older_meter_sample_does_not_overwrite_a_newer_one() {
        let p = apply(&[(5, meter("o1", 900)), (3, meter("o1", 100))]).unwrap();
        assert_eq!(p.meter.unwrap().power_dw, 900);
    }

    #[test]
    fn a_newer_idle_status_ends_the_shown_charge_and_a_late_sample_does_not_revive_it() {
        let p = apply(&[
            (1, status(PortState::Charging)),
            (2, meter("o1", 1200)),
            (4, status(PortState::Idle)),
            (3, meter("o1", 1100)),
        ])
        .unwrap();
        assert_eq!(p.state, PortState::Idle);
        assert!(p.order_ref.is_empty());
        assert_eq!(p.meter, None);
    }

    #[test]
    fn a_snapshot_of_the_same_state_keeps_since() {
        let p = apply(&[
            (1, status(PortState::Charging)),
            (300, status(PortState::Charging)),
        ])
        .unwrap();
        assert_eq!((p.state_since, p.state_at), (Some(at(1)), Some(at(300))));
    }

    #[test]
    fn a_replayed_fact_changes_nothing() {
        let p = apply(&[(1, status(PortState::Charging)), (2, meter("o1", 5))]).unwrap();
        assert_eq!(merge(Some(&p), at(2), &meter("o1", 5)), None);
        assert_eq!(merge(Some(&p), at(1), &status(PortState::Charging)), None);
    }

    #[test]
    fn the_end_of_another_order_does_not_end_the_current_one() {
        let p = apply(&[(2, meter("o2", 5))]).unwrap();
        let ended = PortFact::Ended {
            order_ref: "o1".into(),
        };
        assert_eq!(merge(Some(&p), at(3), &ended), None);
        let ended = PortFact::Ended {
            order_ref: "o2".into(),
        };
        let p = merge(Some(&p), at(3), &ended).unwrap();
        assert!(p.order_ref.is_empty());
    }

    #[test]
    fn a_start_names_the_order_before_any_sample() {
        let p = apply(&[
            (1, meter("o1", 5)),
            (
                3,
                PortFact::Started {
                    order_ref: "o2".into(),
                },
            ),
        ])
        .unwrap();
        assert_eq!(p.order_ref, "o2");
        assert_eq!(p.meter, None);
    }

    #[test]
    fn state_names_round_trip() {
        for s in [
            PortState::Unknown,
            PortState::Idle,
            PortState::Charging,
            PortState::Full,
            PortState::Fault,
            PortState::Offline,
            PortState::Occupied,
        ] {
            assert_eq!(PortState::parse(s.as_str()), s);
        }
    }
}
