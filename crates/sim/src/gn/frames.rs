//! The uplinks a GN gateway builds from its state: heartbeat, connect report, status
//! clusters and status answers, end-report bodies; and malformed variants.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use codec_gn::bkv::{
    BkvBody, BkvItem, BkvPacket, ConnectReport, PortCluster, SocketCluster, StatusReport,
};
use codec_gn::codes::{PortStatus, RawBytes};
use codec_gn::msg::gateway::{Heartbeat, Iccid};
use codec_gn::msg::socket_common::{EndReport, PortReport};
use codec_gn::msg::socket_up::StatusAnswer;
use codec_gn::units::{Celsius, DeciVolts, DeciWatts, MilliAmps, Seconds, UnixTime, Wh};
use codec_gn::{BusinessNo, Direction, Message, Packet, PortNo, SocketNo};

use super::{Charge, GnGateway, firmware, socket_firmware};
use crate::clock::SimTime;
use crate::event::SimEvent;
use crate::faults::{EndReason, Malformed};
use crate::runner::Outbox;

/// Mains voltage the sockets report (220.0 V).
const VOLTAGE_DV: u32 = 2200;
/// Gateway CSQ and socket radio strength.
const SIGNAL: u8 = 26;
const RSSI: u8 = 30;
/// Socket MCU temperature (°C).
const SOCKET_C: i16 = 30;

/// Whole minutes, as GN durations travel.
pub(super) fn whole_minutes(d: Duration) -> Seconds {
    let s = u32::try_from(d.as_secs()).unwrap_or(u32::MAX);
    Seconds::new(s - s % 60)
}

/// Energy as the wire carries it (u16 Wh).
pub(super) fn wire_wh(wh: u64) -> Wh {
    Wh::new(i64::from(u16::try_from(wh).unwrap_or(u16::MAX)))
}

pub(super) fn current(power_dw: u32) -> MilliAmps {
    MilliAmps::new(u32::try_from(u64::from(power_dw) * 1000 / u64::from(VOLTAGE_DV)).unwrap_or(0))
}

/// What a port reads right now: (status, business, power, energy, duration).
struct Reading {
    status: u8,
    business: u16,
    power_dw: u32,
    energy_wh: u64,
    elapsed: Duration,
}

impl GnGateway {
    /// Encodes an uplink; one that cannot encode (a bug) is logged and skipped.
    pub(super) fn encode(&self, sequence: u32, message: Message) -> Option<Bytes> {
        match Packet::new(Direction::Up, sequence, self.id, message).encode() {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(gateway = %self.id, error = %e, "cannot encode uplink");
                None
            }
        }
    }

    pub(super) fn unix(&self, t: SimTime) -> UnixTime {
        UnixTime::new(self.clock.unix_secs(t))
    }

    pub(super) fn heartbeat_msg(&self) -> Message {
        Message::Heartbeat(Heartbeat {
            iccid: Iccid::from_bytes(self.iccid),
            firmware: firmware(),
            signal: SIGNAL,
            extra: RawBytes::default(),
        })
    }

    pub(super) fn send_heartbeat(&mut self, _now: SimTime, out: &mut Outbox) {
        if let Some(b) = self.encode(0, self.heartbeat_msg()) {
            out.frame(b);
            self.unanswered += 1;
        }
    }

    /// BKV 0x1013, sent once after each connect by the captured gateway (§3.3).
    pub(super) fn send_connect_report(&mut self, now: SimTime, out: &mut Outbox) {
        let Some(socket) = self.sockets.iter().find_map(|s| s.number) else {
            return;
        };
        let body = BkvBody::ConnectReport(ConnectReport {
            socket: Some(socket),
            port: Some(PortNo(0x7F)),
            time: Some(self.unix(now)),
            extra: vec![BkvItem::new(0x5A, Bytes::from_static(&[0x31, 0x12]))],
            ..ConnectReport::default()
        });
        let msg = Message::Bkv(BkvPacket::new(0, self.id, body));
        if let Some(b) = self.encode(0, msg) {
            out.frame(b);
        }
    }

    fn reading(&self, now: SimTime, s: usize, p: u8) -> Reading {
        let Some(port) = self.port(s, p) else {
            return Reading {
                status: 0,
                business: 0,
                power_dw: 0,
                energy_wh: 0,
                elapsed: Duration::ZERO,
            };
        };
        match &port.charge {
            Some(c) => {
                let e = c.session.elapsed(now);
                Reading {
                    status: 0x90,
                    business: c.business,
                    power_dw: c.session.power_dw(e),
                    energy_wh: c.session.energy_wh(e),
                    elapsed: e,
                }
            }
            None => Reading {
                // Online; a lasting fault shows its bit.
                status: 0x80
                    | port
                        .fault
                        .filter(|f| f.persists())
                        .map_or(0, |f| f.gn_status_bits()),
                business: 0,
                power_dw: 0,
                energy_wh: 0,
                elapsed: Duration::ZERO,
            },
        }
    }

    fn port_cluster(&self, r: &Reading, p: u8) -> PortCluster {
        PortCluster {
            port: Some(PortNo(p)),
            status: Some(PortStatus(r.status)),
            business_no: Some(BusinessNo(r.business)),
            voltage: Some(DeciVolts::new(VOLTAGE_DV)),
            power: Some(DeciWatts::new(r.power_dw.min(u32::from(u16::MAX)))),
            current: Some(current(r.power_dw)),
            energy: Some(wire_wh(r.energy_wh)),
            charge_duration: Some(whole_minutes(r.elapsed)),
            ..PortCluster::default()
        }
    }

    /// BKV 0x1017 for the given sockets (bound ones only), in frames of at most
    /// `gn_sockets_per_cluster` sockets.
    pub(super) fn send_status(&mut self, now: SimTime, sockets: &[usize], out: &mut Outbox) {
        let bound: Vec<usize> = sockets
            .iter()
            .copied()
            .filter(|&s| self.sockets.get(s).is_some_and(|k| k.number.is_some()))
            .collect();
        for &s in sockets {
            if let Some(k) = self.sockets.get_mut(s) {
                k.dirty = false;
            }
        }
        let per = usize::from(self.profile.gn_sockets_per_cluster.max(1));
        for chunk in bound.chunks(per) {
            let mut clusters = Vec::with_capacity(chunk.len());
            for &s in chunk {
                let Some(number) = self.sockets.get(s).and_then(|k| k.number) else {
                    continue;
                };
                let mut ports = Vec::with_capacity(2);
                for p in 0..2u8 {
                    let r = self.reading(now, s, p);
                    if let Some(c) = self.port(s, p).and_then(|x| x.charge.as_deref()) {
                        out.event(SimEvent::Meter {
                            port: self.port_ref(s, p),
                            order: c.session.order,
                            elapsed_s: whole_minutes(r.elapsed).get(),
                            energy_wh: wire_wh(r.energy_wh).get().unsigned_abs(),
                            power_dw: r.power_dw,
                        });
                    }
                    ports.push(self.port_cluster(&r, p));
                }
                clusters.push(SocketCluster {
                    socket: Some(number),
                    firmware: Some(socket_firmware()),
                    temperature: Some(Celsius::new(SOCKET_C)),
                    rssi: Some(RSSI),
                    ports,
                    ..SocketCluster::default()
                });
            }
            let body = BkvBody::StatusReport(StatusReport {
                sockets: clusters,
                ..StatusReport::default()
            });
            if let Some(b) = self.encode(0, Message::Bkv(BkvPacket::new(0, self.id, body))) {
                out.frame(b);
            }
        }
    }

    /// 0x0015/0x1C: the status answer for one socket.
    pub(super) fn status_answer(&self, now: SimTime, s: usize, number: SocketNo) -> StatusAnswer {
        let ports = (0..2u8)
            .map(|p| {
                let r = self.reading(now, s, p);
                PortReport {
                    port: PortNo(p),
                    status: PortStatus(r.status),
                    business_no: BusinessNo(r.business),
                    voltage: DeciVolts::new(VOLTAGE_DV),
                    power: DeciWatts::new(r.power_dw.min(u32::from(u16::MAX))),
                    current: current(r.power_dw),
                    energy: wire_wh(r.energy_wh),
                    charge_duration: whole_minutes(r.elapsed),
                }
            })
            .collect();
        StatusAnswer {
            socket: number,
            firmware: socket_firmware(),
            temperature: Celsius::new(SOCKET_C),
            rssi: RSSI,
            ports,
            extra: RawBytes::default(),
        }
    }

    /// The common fields of every end report.
    pub(super) fn end_report(
        &self,
        number: SocketNo,
        p: u8,
        c: &Charge,
        elapsed: Duration,
        reason: EndReason,
    ) -> EndReport {
        let power = c.session.power_dw(elapsed);
        EndReport {
            socket: number,
            firmware: socket_firmware(),
            temperature: Celsius::new(SOCKET_C),
            rssi: RSSI,
            port: PortNo(p),
            status: PortStatus(reason.gn_end_status()),
            business_no: BusinessNo(c.business),
            power: DeciWatts::new(power.min(u32::from(u16::MAX))),
            current: current(power),
            energy: wire_wh(c.session.energy_wh(elapsed)),
            charge_duration: whole_minutes(elapsed),
        }
    }

    /// A heartbeat frame, broken as asked.
    pub(super) fn malformed_bytes(&mut self, kind: Malformed) -> Bytes {
        if let Malformed::Garbage(n) = kind {
            // Noise without 0xFC, so it cannot look like a header.
            let v: Vec<u8> = (0..n)
                .map(|_| match (self.rng.next_u64() & 0xFF) as u8 {
                    0xFC => 0x00,
                    b => b,
                })
                .collect();
            return Bytes::from(v);
        }
        let Some(good) = self.encode(0, self.heartbeat_msg()) else {
            return Bytes::new();
        };
        let mut b = BytesMut::from(&good[..]);
        let n = b.len();
        match kind {
            // Checksum sits before the 2-byte tail.
            Malformed::BadChecksum => {
                if let Some(sum) = b.get_mut(n.saturating_sub(3)) {
                    *sum ^= 0xFF;
                }
            }
            Malformed::LyingLength => {
                if let Some(len) = b.get_mut(3) {
                    *len = len.wrapping_add(3);
                }
            }
            Malformed::Truncated => b.truncate(n / 2),
            Malformed::Garbage(_) => {}
        }
        b.freeze()
    }
}

/// A socket number for messages about unbound sockets (never sent: unbound sockets
/// are silent).
pub(super) const NO_SOCKET: SocketNo = SocketNo(0);
