//! The uplinks a DNY pile builds from its state: register, heartbeats, meter
//! heartbeat, settlement, card swipe, alarm; and malformed variants.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use codec_dny::{
    Alarm, CardId, CardSwipe, DeciVolts, DeciWatts, Fen, Frame, Heartbeat, MessageId, MilliAmps,
    OldHeartbeat, OldPortReading, Port, PortPowerHeartbeat, PortStatuses, Register, Settlement,
    Temperature, UnixTime, Uplink, Wh,
};

use super::{Charge, DnyPile};
use crate::faults::Malformed;

/// Supply voltage the piles report (220.0 V).
pub const VOLTAGE_DV: u16 = 2200;
/// Signal strength the piles report (CSQ-like).
const SIGNAL: u8 = 28;
/// Device and port temperatures (°C).
const DEVICE_C: i16 = 30;
const AMBIENT_C: i16 = 25;

/// The register message of a simulated pile with `ports` ports and `model` (device
/// type and firmware version: `ids::dny_model` until an upgrade changes the firmware);
/// for loads that send a pile's frames without its state too.
pub fn register_uplink(ports: u8, model: (u8, u16), work_mode: u8) -> Uplink {
    let (device_type, firmware_version) = model;
    Uplink::Register(Register {
        firmware_version,
        port_count: ports,
        virtual_id: 0,
        device_type,
        work_mode,
        power_board_version: Some(0),
        extra: Bytes::new(),
    })
}

/// The 0x21 heartbeat of a simulated pile: `voltage_dv` (the piles report
/// [`VOLTAGE_DV`]) and a status code per port.
pub fn heartbeat_uplink(voltage_dv: u16, port_status: Bytes) -> Uplink {
    Uplink::Heartbeat(Heartbeat {
        voltage: DeciVolts::new(voltage_dv),
        port_status: PortStatuses::new(port_status),
        signal: SIGNAL,
        temperature: temp(DEVICE_C),
        extra: Bytes::new(),
    })
}

fn temp(c: i16) -> Temperature {
    Temperature::from_celsius(c).unwrap_or_default()
}

/// Energy as the wire carries it: 0.01 kWh, so whole 10 Wh (rounded down).
pub(super) fn wire_wh(wh: u64) -> Wh {
    Wh::new(wh - wh % 10)
}

fn u16_sat(v: u64) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

/// Current in mA for a power (0.1 W) at the reported voltage.
fn current_ma(power_dw: u32) -> u32 {
    u32::try_from(u64::from(power_dw) * 1000 / u64::from(VOLTAGE_DV)).unwrap_or(u32::MAX)
}

impl DnyPile {
    /// Encodes an uplink; a message that cannot encode (a bug) is logged and skipped.
    pub(super) fn encode(&self, id: MessageId, message: Uplink) -> Option<Bytes> {
        let frame = Frame {
            physical_id: self.id,
            message_id: id,
            message,
        };
        match frame.to_bytes() {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(pile = %self.id, error = %e, "cannot encode uplink");
                None
            }
        }
    }

    pub(super) fn register_msg(&self) -> Uplink {
        register_uplink(
            u8::try_from(self.ports.len()).unwrap_or(u8::MAX),
            (self.device_type, self.firmware),
            self.params.work_mode,
        )
    }

    /// Port status codes of fact sheet §1.8.1.
    fn status_codes(&self) -> Vec<u8> {
        self.ports
            .iter()
            .map(|p| match (&p.charge, p.fault, p.plugged) {
                (Some(_), _, _) => 1,
                (None, Some(f), _) if f.persists() => f.dny_port_status(),
                (None, _, true) => 2,
                (None, _, false) => 0,
            })
            .collect()
    }

    pub(super) fn heartbeat_msg(&self) -> Uplink {
        heartbeat_uplink(VOLTAGE_DV, Bytes::from(self.status_codes()))
    }

    pub(super) fn old_heartbeat_msg(&self, now: crate::clock::SimTime) -> Uplink {
        let codes = self.status_codes();
        let ports = self
            .ports
            .iter()
            .zip(codes)
            .map(|(p, status)| {
                let (power, peak) = p.charge.as_ref().map_or((0, 0), |c| {
                    let e = c.session.elapsed(now);
                    (c.session.power_dw(e), c.session.max_power_dw(e))
                });
                OldPortReading {
                    status,
                    power: DeciWatts::new(power.min(u32::from(u16::MAX))),
                    peak_power: DeciWatts::new(peak.min(u32::from(u16::MAX))),
                }
            })
            .collect();
        Uplink::OldHeartbeat(OldHeartbeat {
            firmware_version: self.firmware,
            voltage: DeciVolts::new(VOLTAGE_DV),
            ports,
            virtual_id: 0,
            signal: SIGNAL,
            device_type: self.device_type,
            temperature: temp(DEVICE_C),
            work_mode: Some(self.params.work_mode),
            extra: Bytes::new(),
        })
    }

    /// 0x06 for a running charge, over the interval since the previous one.
    pub(super) fn meter_msg(
        &self,
        port: usize,
        c: &Charge,
        elapsed: Duration,
        now_unix: UnixTime,
    ) -> Uplink {
        let s = &c.session;
        let from = c.last_meter.min(elapsed);
        let (min_dw, max_dw) = s.curve.power_range_dw(from, elapsed);
        let span_ms = elapsed.saturating_sub(from).as_millis();
        let e0 = s.curve.energy_wh(from);
        let e1 = s.energy_wh(elapsed);
        // Average over the interval from the energy drawn (Wh → 0.1 W·ms is ×36e6).
        let avg_dw = (u128::from(e1.saturating_sub(e0)) * 36_000_000)
            .checked_div(span_ms)
            .map_or(s.power_dw(elapsed), |v| {
                u32::try_from(v).unwrap_or(u32::MAX)
            });
        let dw16 = |v: u32| DeciWatts::new(v.min(u32::from(u16::MAX)));
        let power = s.power_dw(elapsed);
        Uplink::PortPowerHeartbeat(PortPowerHeartbeat {
            port: Port::new(u8::try_from(port).unwrap_or(u8::MAX)),
            status: 1,
            charge_duration_s: u16_sat(elapsed.as_secs()),
            energy: wire_wh(e1),
            start_mode: c.start_mode,
            power: dw16(power),
            max_power: dw16(max_dw),
            min_power: dw16(min_dw),
            avg_power: dw16(avg_dw),
            order_no: c.order_no,
            interval_energy_raw: Some(0),
            peak_power: Some(dw16(s.max_power_dw(elapsed))),
            voltage: Some(DeciVolts::new(VOLTAGE_DV)),
            current: Some(MilliAmps::new(current_ma(power).min(u32::from(u16::MAX)))),
            ambient_temperature: Some(temp(AMBIENT_C)),
            port_temperature: Some(temp(DEVICE_C)),
            timestamp: Some(now_unix),
            occupancy_min: None,
            extra: Bytes::new(),
        })
    }

    /// The 0x03 for a charge that ended after `elapsed`.
    pub(super) fn settlement(
        &self,
        port: usize,
        c: &Charge,
        elapsed: Duration,
        reason_code: u8,
        end_unix: UnixTime,
    ) -> Settlement {
        let s = &c.session;
        let dw16 = |v: u32| DeciWatts::new(v.min(u32::from(u16::MAX)));
        Settlement {
            record: codec_dny::ChargeRecord {
                charge_duration_s: u16_sat(elapsed.as_secs()),
                max_power: dw16(s.max_power_dw(elapsed)),
                energy: wire_wh(s.energy_wh(elapsed).min(655_350)),
                port: Port::new(u8::try_from(port).unwrap_or(u8::MAX)),
                start_mode: c.start_mode,
                card_id: c.card_id,
                stop_reason: reason_code,
                order_no: c.order_no,
            },
            second_max_power: Some(dw16(s.max_power_dw(elapsed.min(Duration::from_secs(300))))),
            timestamp: Some(end_unix),
            occupancy_min: None,
            extra: Bytes::new(),
        }
    }

    pub(super) fn card_msg(&self, port: Option<usize>, card: u64, now_unix: UnixTime) -> Uplink {
        Uplink::CardSwipe(CardSwipe {
            card_id: card_id(card),
            card_type: 0,
            port: port.map_or(Port::ANY, |p| Port::new(u8::try_from(p).unwrap_or(u8::MAX))),
            balance: Fen::new(0),
            timestamp: Some(now_unix),
            card2: None,
            extra: Bytes::new(),
        })
    }

    pub(super) fn alarm_msg(alarm_type: u8, port: u8) -> Uplink {
        Uplink::Alarm(Alarm {
            alarm_type,
            port,
            trigger_bits: 0,
            extra: Bytes::new(),
        })
    }

    /// A heartbeat frame, broken as asked.
    pub(super) fn malformed_bytes(&mut self, kind: Malformed) -> Bytes {
        if let Malformed::Garbage(n) = kind {
            // Noise that cannot start a frame, `link` or an ICCID.
            let v: Vec<u8> = (0..n)
                .map(|_| match (self.rng.next_u64() & 0xFF) as u8 {
                    b'D' | b'l' | b'8' => 0x00,
                    b => b,
                })
                .collect();
            return Bytes::from(v);
        }
        let id = self.alloc_id();
        let Some(good) = self.encode(id, self.heartbeat_msg()) else {
            return Bytes::new();
        };
        let mut b = BytesMut::from(&good[..]);
        let n = b.len();
        match kind {
            Malformed::BadChecksum => {
                if let Some(last) = b.get_mut(n - 1) {
                    *last ^= 0xFF;
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

/// DNY card ids are 4 bytes; the decimal a card shows is their big-endian value.
pub(super) fn card_id(card: u64) -> CardId {
    CardId::new(((card & 0xFFFF_FFFF) as u32).to_be_bytes())
}
