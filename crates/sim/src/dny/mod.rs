//! An AP3000 "DNY" pile: its own modem (ICCID preamble, `link` keepalive), register,
//! heartbeats, time requests, meter heartbeats while charging, settlements resent
//! until answered, card swipes and alarms; every server command answered with the
//! command's message id (`commands.rs`).

mod actions;
mod commands;
mod frames;
pub use frames::{VOLTAGE_DV, heartbeat_uplink, register_uplink};
mod params;
mod reports;
mod start_stop;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use codec_dny::{
    CardId, MessageId, OrderNo, PhysicalId, Settlement, StreamDecoder, UnixTime, Uplink,
};

use crate::clock::{Clock, SimTime};
use crate::config::{PileConfig, Profile, Protocol};
use crate::event::{DisconnectReason, PortRef};
use crate::faults::{DropPlan, Malformed};
use crate::handle::{PileInfo, PileState, PortState, PortStatus};
use crate::ids;
use crate::rng::Rng;
use crate::runner::{Action, Device, Outbox};
use crate::session::Session;

use params::Params;

/// Time requests after the first answer (fact sheet §1.7.4: every 12 h).
const TIME_REFRESH: Duration = Duration::from_secs(12 * 3600);
/// First settlement transmission after the port switches off (§1.7.6).
const SETTLEMENT_DELAY: Duration = Duration::from_secs(2);
/// The next stored settlement follows an answered one after this (§1.7.6).
const SETTLEMENT_GAP: Duration = Duration::from_secs(60);
/// Pending card-swipe answers remembered.
const MAX_SWIPES: usize = 8;

/// A running charge on a port.
#[derive(Debug)]
pub(crate) struct Charge {
    session: Session,
    order_no: OrderNo,
    /// 1 = online start (0x82).
    start_mode: u8,
    card_id: CardId,
    meter_at: SimTime,
    /// Elapsed at the previous 0x06 (start of the next interval).
    last_meter: Duration,
}

#[derive(Debug)]
pub(crate) struct DnyPort {
    rf: PortRef,
    plugged: bool,
    fault: Option<crate::faults::PortFault>,
    charge: Option<Box<Charge>>,
    /// The last card swiped here and when, credited to the next start.
    last_card: Option<(u64, SimTime)>,
}

/// A settlement stored until the server answers it.
#[derive(Debug)]
struct Stored {
    port: usize,
    order: OrderNo,
    settlement: Settlement,
    /// Assigned at the first transmission; resends reuse it.
    id: Option<MessageId>,
    next_at: SimTime,
    attempts: u32,
}

/// A device request resent until answered (register, time).
#[derive(Debug, Clone, Copy)]
struct Request {
    id: MessageId,
    next_at: Option<SimTime>,
    answered: bool,
}

pub(crate) struct DnyPile {
    profile: Arc<Profile>,
    clock: Clock,
    id: PhysicalId,
    iccid: [u8; 20],
    device_type: u8,
    firmware: u16,
    ports: Vec<DnyPort>,
    decoder: StreamDecoder,
    online: bool,
    silent: bool,
    /// `Registered` was reported on this connection (a 0x81 re-registers).
    announced: bool,
    next_id: MessageId,
    register: Request,
    time: Request,
    heartbeat_at: SimTime,
    unanswered: u32,
    link_at: Option<SimTime>,
    settlements: VecDeque<Stored>,
    swipes: VecDeque<(MessageId, u64)>,
    /// Last answers by (message id, command, request data): a resend gets the same
    /// answer without the command running twice.
    recent: VecDeque<(MessageId, u8, Bytes, Bytes)>,
    drop: DropPlan,
    params: Params,
    /// Firmware upgrade in progress: (total, last packet accepted).
    upgrade: Option<(u16, u16)>,
    reboot_at: Option<SimTime>,
    swipe_at: Option<SimTime>,
    rng: Rng,
}

impl DnyPile {
    pub(crate) fn new(cfg: &PileConfig) -> Result<(Self, PileInfo), crate::SimError> {
        let id = ids::dny_physical_id(cfg.index, cfg.ports)?;
        let (device_type, firmware) = ids::dny_model(cfg.ports);
        let iccid = ids::dny_iccid(cfg.index);
        let device = id.to_string();
        let refs: Vec<PortRef> = (0..cfg.ports)
            .map(|p| PortRef {
                device: device.clone(),
                number: p + 1,
                index: usize::from(p),
            })
            .collect();
        let ports = refs
            .iter()
            .map(|rf| DnyPort {
                rf: rf.clone(),
                plugged: false,
                fault: None,
                charge: None,
                last_card: None,
            })
            .collect();
        let faults = &cfg.profile.faults;
        let mut rng = Rng::new(u64::from(cfg.index));
        let swipe_at = cfg
            .profile
            .swipe_every
            .map(|d| SimTime::ZERO.after(Duration::from_millis(rng.below(millis(d)))));
        let pile = DnyPile {
            params: Params::new(&cfg.profile),
            profile: cfg.profile.clone(),
            clock: cfg.clock,
            id,
            iccid,
            device_type,
            firmware,
            ports,
            decoder: StreamDecoder::new(),
            online: false,
            silent: false,
            announced: false,
            next_id: MessageId::new(1),
            register: Request::idle(),
            time: Request::idle(),
            heartbeat_at: SimTime::ZERO,
            unanswered: 0,
            link_at: None,
            settlements: VecDeque::new(),
            swipes: VecDeque::new(),
            recent: VecDeque::new(),
            drop: DropPlan::new(faults.drop_command, faults.drop_count.max(1)),
            upgrade: None,
            reboot_at: None,
            swipe_at,
            rng,
        };
        let info = PileInfo {
            index: cfg.index,
            protocol: Protocol::Dny,
            id: device,
            iccid: String::from_utf8_lossy(&iccid).into_owned(),
            ports: refs,
        };
        Ok((pile, info))
    }

    fn alloc_id(&mut self) -> MessageId {
        let id = self.next_id;
        // 0 is avoided: some servers treat it as "no id".
        self.next_id = match id.next().get() {
            0 => MessageId::new(1),
            _ => id.next(),
        };
        id
    }

    fn unix(&self, t: SimTime) -> UnixTime {
        UnixTime::new(u32::try_from(self.clock.unix_secs(t).max(0)).unwrap_or(u32::MAX))
    }

    fn heartbeat_period(&self) -> Duration {
        self.params.heartbeat_period(&self.profile)
    }

    /// Queues an uplink with this id and notes the traffic for the `link` keepalive.
    fn send(&mut self, now: SimTime, out: &mut Outbox, id: MessageId, message: Uplink) {
        if let Some(b) = self.encode(id, message) {
            out.frame(b);
            self.touch(now);
        }
    }

    fn touch(&mut self, now: SimTime) {
        self.link_at = self.profile.dny_link_idle.map(|d| now.after(d));
    }

    fn send_heartbeat(&mut self, now: SimTime, out: &mut Outbox) {
        let id = self.alloc_id();
        self.send(now, out, id, self.heartbeat_msg());
        self.unanswered += 1;
        self.heartbeat_at = now.after(self.heartbeat_period());
    }

    fn send_register(&mut self, now: SimTime, out: &mut Outbox, fresh: bool) {
        if fresh {
            self.register = Request {
                id: self.alloc_id(),
                next_at: None,
                answered: false,
            };
        }
        self.send(now, out, self.register.id, self.register_msg());
        self.register.next_at = Some(now.after(self.heartbeat_period()));
    }

    fn send_time_request(&mut self, now: SimTime, out: &mut Outbox) {
        // A retry of an unanswered request reuses its id; a periodic one is new.
        if self.time.answered || self.time.next_at.is_none() {
            self.time.id = self.alloc_id();
            self.time.answered = false;
        }
        self.send(
            now,
            out,
            self.time.id,
            Uplink::TimeRequest(codec_dny::NoData::default()),
        );
        self.time.next_at = Some(now.after(self.heartbeat_period()));
    }
}

impl Request {
    fn idle() -> Self {
        Request {
            id: MessageId::new(0),
            next_at: None,
            answered: false,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn min_opt(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Device for DnyPile {
    fn on_connect(&mut self, now: SimTime, out: &mut Outbox) {
        self.online = true;
        self.announced = false;
        self.decoder = StreamDecoder::new();
        self.unanswered = 0;
        self.upgrade = None;
        // The modem announces the SIM before any frame (§1.2).
        out.raw(Bytes::copy_from_slice(&self.iccid));
        self.send_register(now, out, true);
        if self.silent {
            self.heartbeat_at = now.after(self.heartbeat_period());
        } else {
            self.send_heartbeat(now, out);
        }
        if self.profile.random_phase {
            let first = self.rng.phase_within(self.heartbeat_period());
            self.heartbeat_at = now.after(first);
        }
        self.time.next_at = None;
        self.send_time_request(now, out);
        // Settlements stored in EEPROM go again on the new connection.
        if let Some(head) = self.settlements.front_mut() {
            head.next_at = head.next_at.min(now.after(SETTLEMENT_DELAY));
        }
    }

    fn on_disconnect(&mut self, _now: SimTime) {
        self.online = false;
        self.link_at = None;
        self.register.next_at = None;
        self.time.next_at = None;
        self.reboot_at = None;
        self.swipes.clear();
    }

    fn on_bytes(&mut self, now: SimTime, bytes: &[u8], out: &mut Outbox) {
        self.receive(now, bytes, out);
    }

    fn on_tick(&mut self, now: SimTime, out: &mut Outbox) {
        self.tick_ports(now, out);
        if !self.online {
            return;
        }
        if self.reboot_at.is_some_and(|t| now >= t) {
            self.reboot_at = None;
            self.reboot_ports(now, out);
            out.close(DisconnectReason::Reboot);
            return;
        }
        if now >= self.heartbeat_at {
            let limit = self.profile.dny_missed_heartbeats;
            if self.silent {
                self.heartbeat_at = now.after(self.heartbeat_period());
            } else if limit > 0 && self.unanswered >= limit {
                out.close(DisconnectReason::MissedHeartbeats);
                return;
            } else {
                self.send_heartbeat(now, out);
            }
        }
        if self.register.next_at.is_some_and(|t| now >= t) {
            self.send_register(now, out, false);
        }
        if self.time.next_at.is_some_and(|t| now >= t) {
            self.send_time_request(now, out);
        }
        self.tick_settlements(now, out);
        self.tick_activity(now, out);
        if self.link_at.is_some_and(|t| now >= t) {
            out.raw(Bytes::from_static(codec_dny::stream::LINK));
            self.touch(now);
        }
    }

    fn next_due(&self) -> Option<SimTime> {
        let mut due = None;
        for c in self.ports.iter().filter_map(|p| p.charge.as_deref()) {
            due = min_opt(due, Some(c.session.end().0.min(c.meter_at)));
        }
        if !self.online {
            return due;
        }
        due = min_opt(due, Some(self.heartbeat_at));
        for t in [
            self.register.next_at,
            self.time.next_at,
            self.reboot_at,
            self.link_at,
            self.swipe_at,
            self.settlements.front().map(|s| s.next_at),
        ] {
            due = min_opt(due, t);
        }
        due
    }

    fn on_action(&mut self, now: SimTime, action: Action, out: &mut Outbox) {
        self.act(now, action, out);
    }

    fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
        // Heartbeats swallowed while silent were never answered; don't hold it
        // against the server.
        self.unanswered = 0;
    }

    fn malformed(&mut self, kind: Malformed) -> Bytes {
        self.malformed_bytes(kind)
    }

    fn state(&self, now: SimTime) -> PileState {
        let ports = self
            .ports
            .iter()
            .map(|p| {
                let (status, order, elapsed, energy, power) = match &p.charge {
                    Some(c) => {
                        let e = c.session.elapsed(now);
                        (
                            PortStatus::Charging,
                            Some(c.session.order),
                            e,
                            c.session.energy_wh(e),
                            c.session.power_dw(e),
                        )
                    }
                    None => {
                        let status = match (p.fault, p.plugged) {
                            (Some(f), _) if f.persists() => PortStatus::Fault(f),
                            (_, true) => PortStatus::Plugged,
                            _ => PortStatus::Idle,
                        };
                        (status, None, Duration::ZERO, 0, 0)
                    }
                };
                PortState {
                    port: p.rf.clone(),
                    status,
                    order,
                    elapsed_s: u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX),
                    energy_wh: energy,
                    power_dw: power,
                }
            })
            .collect();
        PileState {
            connected: false,
            registered: self.register.answered,
            silent: self.silent,
            firmware: self.firmware,
            pending_settlements: self.settlements.len(),
            ports,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// When each of `piles` piles connected at the same instant heartbeats next.
    fn next_heartbeats(profile: Profile, piles: u32) -> Vec<Duration> {
        let target = "127.0.0.1:7054".parse().unwrap();
        (0..piles)
            .map(|i| {
                let mut cfg = PileConfig::new(Protocol::Dny, i, target);
                *cfg.profile_mut() = profile.clone();
                let (mut pile, _) = DnyPile::new(&cfg).unwrap();
                pile.on_connect(SimTime::ZERO, &mut Outbox::default());
                pile.heartbeat_at.since(SimTime::ZERO)
            })
            .collect()
    }

    #[test]
    fn piles_connected_together_heartbeat_in_step_unless_in_random_phase() {
        let period = Profile::realistic().dny_heartbeat;
        let in_step = next_heartbeats(Profile::realistic(), 50);
        assert!(in_step.iter().all(|d| *d == period), "{in_step:?}");

        let bench = Profile::bench();
        let period = bench.dny_heartbeat;
        let spread = next_heartbeats(bench, 1_000);
        assert!(spread.iter().all(|d| !d.is_zero() && *d <= period));
        // Every tenth of the period gets its share (100 expected), none of them all.
        let mut tenths = [0u32; 10];
        for d in &spread {
            let tenth = (d.as_millis() * 10 / (period.as_millis() + 1)) as usize;
            tenths[tenth] += 1;
        }
        assert!(tenths.iter().all(|n| (50..=150).contains(n)), "{tenths:?}");
    }
}
