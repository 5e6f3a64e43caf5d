//! A GN gateway with its sockets: heartbeat every minute (answered with the server
//! time), the undocumented 0x1013 after each connect, BKV 0x1017 status clusters every
//! 5 minutes and on change, end reports resent until acknowledged (the captured
//! behaviour: every ~11 s, 3 times, then a reconnect), card swipes and events; every
//! server command answered with its sequence (`commands.rs`).

mod actions;
mod charge;
mod commands;
mod frames;
mod orders;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use codec_gn::bkv::SetParams;
use codec_gn::codes::SocketFirmware;
use codec_gn::msg::gateway::GatewayFirmware;
use codec_gn::units::{Celsius, DeciWatts, Seconds};
use codec_gn::{GatewayId, Mac, SocketNo, StreamDecoder};

use crate::clock::{Clock, SimTime};
use crate::config::{PileConfig, Profile, Protocol};
use crate::event::{DisconnectReason, OrderRef, PortRef};
use crate::faults::{DropPlan, Malformed, PortFault};
use crate::handle::{PileInfo, PileState, PortState, PortStatus};
use crate::ids;
use crate::rng::Rng;
use crate::runner::{Action, Device, Outbox};
use crate::session::Session;

/// The firmware the gateway reports (the captured gateway's).
const FIRMWARE: &str = "200.1.17";
/// Socket firmware in status reports.
const SOCKET_FIRMWARE: u16 = 0x0104;

/// How a charge was started decides its end report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 0x0015/0x07 by time or energy → 0x02.
    Control,
    /// 0x17 power brackets → 0x18.
    Brackets,
    /// 0x0B card order → 0x0C.
    Card { card: u64, mode: u8 },
    /// BKV 0x1007 fee mode → BKV 0x1004.
    Fee { charge_mode: u8, brackets: u8 },
}

#[derive(Debug)]
pub(crate) struct Charge {
    session: Session,
    business: u16,
    kind: Kind,
}

#[derive(Debug, Default)]
struct GnPort {
    plugged: bool,
    fault: Option<PortFault>,
    charge: Option<Box<Charge>>,
    /// A swipe waiting for its card order: (card, business number).
    swipe: Option<(u64, u16)>,
}

#[derive(Debug)]
struct GnSocket {
    mac: Mac,
    /// The number the server gave it in the node list; `None` = not in the list.
    number: Option<SocketNo>,
    ports: [GnPort; 2],
    /// Parameters (BKV 0x1011/0x1012), defaults filled in.
    params: SetParams,
    /// Changed since the last status cluster.
    dirty: bool,
}

/// An end report waiting for its acknowledgement.
#[derive(Debug)]
struct PendingEnd {
    socket: usize,
    port: u8,
    order: OrderRef,
    /// BKV 0x1004 (acked per socket and port) rather than a 0x0015 report (acked per
    /// socket with 0x0C).
    bkv: bool,
    frame: Bytes,
    next_at: SimTime,
    attempts: u32,
}

pub(crate) struct GnGateway {
    profile: Arc<Profile>,
    clock: Clock,
    index: u32,
    id: GatewayId,
    iccid: [u8; 20],
    sockets: Vec<GnSocket>,
    decoder: StreamDecoder,
    rx: BytesMut,
    online: bool,
    silent: bool,
    registered: bool,
    heartbeat_at: SimTime,
    unanswered: u32,
    status_at: SimTime,
    ends: VecDeque<PendingEnd>,
    next_business: u16,
    /// Last answers by (sequence, command, payload), for resends.
    recent: VecDeque<(u32, u16, Bytes, Bytes)>,
    drop: DropPlan,
    balances: VecDeque<(usize, u64)>,
    swipe_at: Option<SimTime>,
    rng: Rng,
}

impl GnGateway {
    pub(crate) fn new(cfg: &PileConfig) -> Result<(Self, PileInfo), crate::SimError> {
        let id = ids::gn_gateway_id(cfg.index);
        let iccid = ids::gn_iccid(cfg.index);
        let sockets: Vec<GnSocket> = (1..=cfg.ports)
            .map(|n| GnSocket {
                mac: ids::gn_socket_mac(cfg.index, n),
                number: Some(SocketNo(n)),
                ports: Default::default(),
                params: default_params(&cfg.profile),
                dirty: false,
            })
            .collect();
        let mut rng = Rng::new(u64::from(cfg.index) | 1 << 40);
        let swipe_at = cfg
            .profile
            .swipe_every
            .map(|d| SimTime::ZERO.after(Duration::from_millis(rng.below(millis(d)))));
        let faults = &cfg.profile.faults;
        let gw = GnGateway {
            profile: cfg.profile.clone(),
            clock: cfg.clock,
            index: cfg.index,
            id,
            iccid,
            sockets,
            decoder: StreamDecoder::default(),
            rx: BytesMut::new(),
            online: false,
            silent: false,
            registered: false,
            heartbeat_at: SimTime::ZERO,
            unanswered: 0,
            status_at: SimTime::ZERO,
            ends: VecDeque::new(),
            // Deterministic but different per gateway, never 0.
            next_business: u16::try_from(cfg.index % 1000).unwrap_or(0) * 10 + 1,
            recent: VecDeque::new(),
            drop: DropPlan::new(faults.drop_command, faults.drop_count.max(1)),
            balances: VecDeque::new(),
            swipe_at,
            rng,
        };
        let ports = (0..gw.sockets.len() * 2)
            .map(|i| gw.port_ref(i / 2, (i % 2) as u8))
            .collect();
        let info = PileInfo {
            index: cfg.index,
            protocol: Protocol::Gn,
            id: id.to_string(),
            iccid: String::from_utf8_lossy(&iccid).into_owned(),
            ports,
        };
        Ok((gw, info))
    }

    /// Socket `s`, port `p` (0 = A) as the gateway's events name it.
    fn port_ref(&self, s: usize, p: u8) -> PortRef {
        let device = match self.sockets.get(s).and_then(|k| k.number) {
            Some(n) => format!("{}-{}", self.id, n.0),
            None => format!(
                "{}-unbound-{}",
                self.id,
                self.sockets
                    .get(s)
                    .map(|k| k.mac.to_string())
                    .unwrap_or_default()
            ),
        };
        PortRef {
            device,
            number: p + 1,
            index: s * 2 + usize::from(p),
        }
    }

    fn socket_index(&self, number: SocketNo) -> Option<usize> {
        self.sockets.iter().position(|s| s.number == Some(number))
    }

    fn port(&self, s: usize, p: u8) -> Option<&GnPort> {
        self.sockets.get(s)?.ports.get(usize::from(p))
    }

    fn port_mut(&mut self, s: usize, p: u8) -> Option<&mut GnPort> {
        self.sockets.get_mut(s)?.ports.get_mut(usize::from(p))
    }

    fn alloc_business(&mut self) -> u16 {
        let b = self.next_business;
        self.next_business = match b.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        b
    }

    fn mark_dirty(&mut self, s: usize) {
        if let Some(k) = self.sockets.get_mut(s) {
            k.dirty = true;
        }
    }

    fn tick_ends(&mut self, now: SimTime, out: &mut Outbox) {
        let limit = 1 + self.profile.gn_end_resends;
        let period = self.profile.gn_end_resend;
        let mut resent = Vec::new();
        for e in self.ends.iter_mut().filter(|e| now >= e.next_at) {
            if e.attempts >= limit {
                // The captured gateway gives up on the connection, then resends.
                out.close(DisconnectReason::UnackedReports);
                return;
            }
            out.frame(e.frame.clone());
            e.attempts += 1;
            e.next_at = now.after(period);
            if e.attempts > 1 {
                resent.push((e.socket, e.port, e.order, e.attempts));
            }
        }
        for (s, p, order, attempt) in resent {
            out.event(crate::SimEvent::SettlementResent {
                port: self.port_ref(s, p),
                order,
                attempt,
            });
        }
    }

    fn tick_activity(&mut self, now: SimTime, out: &mut Outbox) {
        let (Some(at), Some(every)) = (self.swipe_at, self.profile.swipe_every) else {
            return;
        };
        if now < at {
            return;
        }
        self.swipe_at = Some(now.after(Duration::from_millis(self.rng.jitter(millis(every), 50))));
        let idle: Vec<usize> = (0..self.sockets.len() * 2)
            .filter(|&i| {
                let (s, p) = (i / 2, (i % 2) as u8);
                self.sockets.get(s).is_some_and(|k| k.number.is_some())
                    && self
                        .port(s, p)
                        .is_some_and(|x| x.charge.is_none() && x.fault.is_none())
            })
            .collect();
        let pick = usize::try_from(self.rng.below(idle.len() as u64)).unwrap_or(0);
        if let Some(&i) = idle.get(pick) {
            // Stable per gateway and port, like a regular user's card.
            let card = 0xA0_0000_0000 | u64::from(self.index) << 9 | i as u64;
            self.act(now, Action::SwipeCard { index: i, card }, out);
        }
    }
}

/// Socket parameters a fresh socket reports (BKV 0x1012): the fact sheet's example
/// values where it has them.
fn default_params(profile: &Profile) -> SetParams {
    SetParams {
        full_charge_delay: Some(Seconds::new(300)),
        no_load_delay: Some(Seconds::new(60)),
        full_power_threshold: Some(DeciWatts::new(300)),
        no_load_power_threshold: Some(DeciWatts::new(50)),
        high_temperature_threshold: Some(Celsius::new(85)),
        power_limit: Some(DeciWatts::new(7000)),
        max_charge_duration: Some(Seconds::new(
            u32::try_from(profile.max_charge.as_secs() / 60 * 60).unwrap_or(u32::MAX),
        )),
        trickle_threshold_pct: Some(20),
        overcurrent_limit: Some(codec_gn::units::MilliAmps::new(5000)),
        ..SetParams::default()
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

impl Device for GnGateway {
    fn on_connect(&mut self, now: SimTime, out: &mut Outbox) {
        self.online = true;
        self.registered = false;
        self.decoder = StreamDecoder::default();
        self.rx = BytesMut::new();
        self.unanswered = 0;
        if !self.silent {
            self.send_heartbeat(now, out);
        }
        self.heartbeat_at = now.after(self.profile.gn_heartbeat);
        self.send_connect_report(now, out);
        let all: Vec<usize> = (0..self.sockets.len()).collect();
        self.send_status(now, &all, out);
        self.status_at = now.after(self.profile.gn_status);
        if self.profile.random_phase {
            self.heartbeat_at = now.after(self.rng.phase_within(self.profile.gn_heartbeat));
            self.status_at = now.after(self.rng.phase_within(self.profile.gn_status));
        }
        for e in &mut self.ends {
            e.attempts = 0;
            e.next_at = now;
        }
    }

    fn on_disconnect(&mut self, _now: SimTime) {
        self.online = false;
        self.registered = false;
        self.balances.clear();
    }

    fn on_bytes(&mut self, now: SimTime, bytes: &[u8], out: &mut Outbox) {
        self.receive(now, bytes, out);
    }

    fn on_tick(&mut self, now: SimTime, out: &mut Outbox) {
        self.tick_charges(now, out);
        if !self.online {
            return;
        }
        if now >= self.heartbeat_at {
            let limit = self.profile.gn_missed_heartbeats;
            if !self.silent && limit > 0 && self.unanswered >= limit {
                out.close(DisconnectReason::MissedHeartbeats);
                return;
            }
            if !self.silent {
                self.send_heartbeat(now, out);
            }
            self.heartbeat_at = now.after(self.profile.gn_heartbeat);
        }
        if now >= self.status_at {
            let all: Vec<usize> = (0..self.sockets.len()).collect();
            self.send_status(now, &all, out);
            self.status_at = now.after(self.profile.gn_status);
        } else {
            let dirty: Vec<usize> = (0..self.sockets.len())
                .filter(|&s| self.sockets.get(s).is_some_and(|k| k.dirty))
                .collect();
            if !dirty.is_empty() {
                self.send_status(now, &dirty, out);
            }
        }
        self.tick_ends(now, out);
        self.tick_activity(now, out);
    }

    fn next_due(&self) -> Option<SimTime> {
        let mut due = None;
        for c in self
            .sockets
            .iter()
            .flat_map(|s| s.ports.iter())
            .filter_map(|p| p.charge.as_deref())
        {
            due = min_opt(due, Some(c.session.end().0));
        }
        if !self.online {
            return due;
        }
        if self.sockets.iter().any(|s| s.dirty) {
            return Some(SimTime::ZERO);
        }
        due = min_opt(due, Some(self.heartbeat_at.min(self.status_at)));
        due = min_opt(due, self.ends.iter().map(|e| e.next_at).min());
        min_opt(due, self.swipe_at)
    }

    fn on_action(&mut self, now: SimTime, action: Action, out: &mut Outbox) {
        self.act(now, action, out);
    }

    fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
        self.unanswered = 0;
    }

    fn malformed(&mut self, kind: Malformed) -> Bytes {
        self.malformed_bytes(kind)
    }

    fn state(&self, now: SimTime) -> PileState {
        let mut ports = Vec::with_capacity(self.sockets.len() * 2);
        for (s, sock) in self.sockets.iter().enumerate() {
            for (p, port) in (0u8..).zip(sock.ports.iter()) {
                let (status, order, elapsed, energy, power) = match &port.charge {
                    Some(c) => {
                        let e = c.session.elapsed(now);
                        let st = PortStatus::Charging;
                        (
                            st,
                            Some(c.session.order),
                            e,
                            c.session.energy_wh(e),
                            c.session.power_dw(e),
                        )
                    }
                    None => {
                        let st = match (sock.number, port.fault, port.plugged) {
                            (None, _, _) => PortStatus::Unbound,
                            (_, Some(f), _) if f.persists() => PortStatus::Fault(f),
                            (_, _, true) => PortStatus::Plugged,
                            _ => PortStatus::Idle,
                        };
                        (st, None, Duration::ZERO, 0, 0)
                    }
                };
                ports.push(PortState {
                    port: self.port_ref(s, p),
                    status,
                    order,
                    elapsed_s: u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX),
                    energy_wh: energy,
                    power_dw: power,
                });
            }
        }
        PileState {
            connected: false,
            registered: self.registered,
            silent: self.silent,
            firmware: SOCKET_FIRMWARE,
            pending_settlements: self.ends.len(),
            ports,
        }
    }
}

fn firmware() -> GatewayFirmware {
    GatewayFirmware::new(FIRMWARE).unwrap_or_default()
}

fn socket_firmware() -> SocketFirmware {
    SocketFirmware(SOCKET_FIRMWARE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_phase_spreads_heartbeats_and_status_reports_over_their_periods() {
        let target = "127.0.0.1:7054".parse().unwrap();
        let bench = Profile::bench();
        let (mut heartbeats, mut reports) = (Vec::new(), Vec::new());
        for i in 0..400 {
            let mut cfg = PileConfig::new(Protocol::Gn, i, target);
            *cfg.profile_mut() = bench.clone();
            let (mut gw, _) = GnGateway::new(&cfg).unwrap();
            gw.on_connect(SimTime::ZERO, &mut Outbox::default());
            heartbeats.push(gw.heartbeat_at.since(SimTime::ZERO));
            reports.push(gw.status_at.since(SimTime::ZERO));
        }
        for (times, period) in [(heartbeats, bench.gn_heartbeat), (reports, bench.gn_status)] {
            assert!(times.iter().all(|d| !d.is_zero() && *d <= period));
            let early = times.iter().filter(|d| **d <= period / 2).count();
            assert!(
                (140..=260).contains(&early),
                "{early} of 400 in the first half"
            );
        }

        let mut cfg = PileConfig::new(Protocol::Gn, 1, target);
        *cfg.profile_mut() = Profile::realistic();
        let (mut gw, _) = GnGateway::new(&cfg).unwrap();
        gw.on_connect(SimTime::ZERO, &mut Outbox::default());
        assert_eq!(
            gw.heartbeat_at,
            SimTime::ZERO.after(cfg.profile.gn_heartbeat)
        );
        assert_eq!(gw.status_at, SimTime::ZERO.after(cfg.profile.gn_status));
    }
}
