//! A device's online state, merged from its events in any order.
//!
//! Events arrive out of order (redelivery after a NAK, two gateway replicas publishing
//! about a reconnecting pile), so every field remembers the instant of the fact that set
//! it and only a fact at least as new may replace it. Online follows the newest event:
//! `disconnected` says offline, every other event proves a live connection (the gateway
//! publishes only while it holds one).

use chrono::{DateTime, Utc};

/// What every device event tells: who, under which tenant token, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub device_id: String,
    /// The subject's tenant token (`_` while the device is unassigned).
    pub tenant: String,
    pub protocol: String,
    pub gateway_id: String,
    /// The device's own instant for the fact (`reported_at`, `sampled_at`, …).
    pub at: DateTime<Utc>,
}

/// The part of an event that concerns the device as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceFact {
    Connected,
    Disconnected {
        reason: String,
    },
    Heartbeat(HeartbeatInfo),
    /// Any other event: only liveness.
    Other,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeartbeatInfo {
    pub signal: u32,
    pub firmware: String,
    pub iccid: String,
    pub port_count: u32,
}

/// The stored live state of one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceLive {
    pub device_id: String,
    pub tenant: String,
    pub protocol: String,
    pub gateway_id: String,
    pub online: bool,
    /// Instant of the event that set `online`.
    pub online_at: DateTime<Utc>,
    /// Newest event instant of any kind.
    pub last_seen: DateTime<Utc>,
    /// Why it went offline (the disconnect reason); empty while online.
    pub offline_reason: String,
    pub heartbeat: Option<HeartbeatInfo>,
    pub heartbeat_at: Option<DateTime<Utc>>,
}

/// `current` after `fact` seen as `seen`. A fact older than what set a field leaves that
/// field alone, so applying events in any order ends in the same state.
pub fn merge(current: Option<DeviceLive>, seen: &Seen, fact: &DeviceFact) -> DeviceLive {
    let mut d = current.unwrap_or_else(|| DeviceLive {
        device_id: seen.device_id.clone(),
        tenant: seen.tenant.clone(),
        protocol: seen.protocol.clone(),
        gateway_id: seen.gateway_id.clone(),
        online: false,
        online_at: DateTime::<Utc>::MIN_UTC,
        last_seen: DateTime::<Utc>::MIN_UTC,
        offline_reason: String::new(),
        heartbeat: None,
        heartbeat_at: None,
    });
    if seen.at >= d.last_seen {
        // Tenant and identity follow the newest event: a claim by an operator shows up
        // as events under its tenant token from then on.
        d.last_seen = seen.at;
        d.tenant = seen.tenant.clone();
        if !seen.protocol.is_empty() {
            d.protocol = seen.protocol.clone();
        }
        d.gateway_id = seen.gateway_id.clone();
    }
    if seen.at >= d.online_at {
        d.online_at = seen.at;
        match fact {
            DeviceFact::Disconnected { reason } => {
                d.online = false;
                d.offline_reason = reason.clone();
            }
            _ => {
                d.online = true;
                d.offline_reason.clear();
            }
        }
    }
    if let DeviceFact::Heartbeat(info) = fact
        && d.heartbeat_at.is_none_or(|t| seen.at >= t)
    {
        d.heartbeat = Some(info.clone());
        d.heartbeat_at = Some(seen.at);
    }
    d
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
    fn seen(s: i64) -> Seen {
        Seen {
            device_id: "04ab373b".into(),
            tenant: "_".into(),
            protocol: "dny".into(),
            gateway_id: String::new(),
            at: at(s),
        }
    }
    fn apply(events: &[(i64, DeviceFact)]) -> DeviceLive {
        let mut d = None;
        for (s, f) in events {
            d = Some(merge(d, &seen(*s), f));
        }
        d.unwrap()
    }
    fn hb(signal: u32) -> DeviceFact {
        DeviceFact::Heartbeat(HeartbeatInfo {
            signal,
            firmware: "v1".into(),
            ..Default::default()
        })
    }
    fn gone() -> DeviceFact {
        DeviceFact::Disconnected {
            reason: "closed".into(),
        }
    }

    #[test]
    fn online_follows_the_newest_event_in_any_order() {
        let events = [
            (1, DeviceFact::Connected),
            (2, hb(20)),
            (3, DeviceFact::Other),
            (9, gone()),
        ];
        let inorder = apply(&events);
        assert!(!inorder.online);
        assert_eq!(inorder.offline_reason, "closed");
        assert_eq!(inorder.last_seen, at(9));
        let mut reversed = events.clone();
        reversed.reverse();
        assert_eq!(apply(&reversed), inorder);
    }

    #[test]
    fn a_late_heartbeat_does_not_bring_a_disconnected_device_back() {
        let d = apply(&[(1, DeviceFact::Connected), (9, gone()), (5, hb(7))]);
        assert!(!d.online);
        assert_eq!(
            d.heartbeat.unwrap().signal,
            7,
            "its info is still the newest"
        );
    }

    #[test]
    fn an_older_heartbeat_does_not_overwrite_a_newer_one() {
        let d = apply(&[(5, hb(20)), (3, hb(10))]);
        assert_eq!(d.heartbeat.unwrap().signal, 20);
        assert_eq!(d.heartbeat_at, Some(at(5)));
    }

    #[test]
    fn a_reconnect_clears_the_offline_reason() {
        let d = apply(&[(1, gone()), (2, DeviceFact::Connected)]);
        assert!(d.online);
        assert!(d.offline_reason.is_empty());
    }

    #[test]
    fn tenant_follows_the_newest_event() {
        let mut d = merge(None, &seen(5), &DeviceFact::Other);
        let mut claimed = seen(3);
        claimed.tenant = "t1".into();
        d = merge(Some(d), &claimed, &DeviceFact::Other);
        assert_eq!(d.tenant, "_");
        claimed.at = at(6);
        d = merge(Some(d), &claimed, &DeviceFact::Other);
        assert_eq!(d.tenant, "t1");
    }
}
