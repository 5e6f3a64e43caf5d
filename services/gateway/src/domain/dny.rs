//! A DNY connection as a pure state machine: bytes in, answers and events out
//! (`answers`: what answers to commands say about the device).

mod answers;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use codec_dny::{
    Downlink, Frame, Item, PhysicalId, ResultAnswer, StreamDecoder, TimeAnswer, UnixTime, Uplink,
};

use super::command::Reply;
use super::{
    CardQuery, CardReplyContext, DeviceEvent, DeviceKey, DeviceSession, EndReasonCode, Fatal,
    Output, PortState, Protocol, WireFrame, identify,
};

/// The state of one DNY connection.
#[derive(Debug)]
pub struct DnySession {
    decoder: StreamDecoder,
    device: Option<PhysicalId>,
    iccid: Option<String>,
    /// Last reported status code per port (index = port − 1), to publish only changes.
    ports: Vec<u8>,
    /// The last settlement seen per (port, order number): 0x03 is resent until answered,
    /// and an answer lost on the way brings a duplicate.
    last_settlement: Option<(u8, [u8; 16])>,
    /// Per wire port, the order number last published as started (0x82 answers).
    started: HashMap<u8, [u8; 16]>,
    /// When all ports were last published (a snapshot, or the first report).
    last_snapshot: Option<DateTime<Utc>>,
}

/// How often every known port is published again with `snapshot: true`, changed or
/// not, so a consumer that missed a change (or started late) converges.
pub const SNAPSHOT_PERIOD: TimeDelta = TimeDelta::minutes(5);

/// How much earlier than [`SNAPSHOT_PERIOD`] a tick may come and still publish: the
/// connection ticks a DNY session once per period by its monotonic clock, and a wall
/// clock being slewed (NTP, at most 0.5 ms a second) must not make it skip a snapshot.
const SNAPSHOT_SLACK: TimeDelta = TimeDelta::seconds(5);

impl Default for DnySession {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceSession for DnySession {
    fn feed(&mut self, data: &[u8]) -> Result<(), Fatal> {
        self.decoder.feed(data).map_err(|e| Fatal(e.to_string()))
    }

    fn next_outputs(&mut self, now: DateTime<Utc>, out: &mut Vec<Output>) -> Result<bool, Fatal> {
        let before = out.len();
        while out.len() == before {
            match self.decoder.decode_next() {
                Ok(None) => return Ok(false),
                Ok(Some(Item::Iccid(i))) => self.iccid = Some(i.as_str().to_owned()),
                Ok(Some(Item::Link | Item::Incomplete(_))) => {}
                Ok(Some(Item::Garbage(g))) => out.push(Output::Malformed(format!(
                    "{} bytes of garbage skipped",
                    g.len()
                ))),
                Ok(Some(Item::Frame(raw))) => self.on_raw(raw, now, out),
                Err(e) if e.can_continue() => out.push(Output::Malformed(e.to_string())),
                Err(e) => return Err(Fatal(e.to_string())),
            }
        }
        Ok(true)
    }

    /// Every known port again as a snapshot, at most every [`SNAPSHOT_PERIOD`].
    fn tick(&mut self, now: DateTime<Utc>) -> Vec<Output> {
        let Some(id) = self.device else {
            return Vec::new();
        };
        let due = self
            .last_snapshot
            .is_none_or(|last| now - last >= SNAPSHOT_PERIOD - SNAPSHOT_SLACK);
        if self.ports.is_empty() || !due {
            return Vec::new();
        }
        self.last_snapshot = Some(now);
        self.ports
            .iter()
            .enumerate()
            .map(|(i, &code)| {
                Output::Event(DeviceEvent::PortStatus {
                    device: key(id),
                    port: u32::try_from(i).map_or(u32::MAX, |i| i + 1),
                    state: PortState::from_dny(code),
                    previous: None,
                    raw_status: u32::from(code),
                    snapshot: true,
                    at: now,
                })
            })
            .collect()
    }
}

impl DnySession {
    pub fn new() -> Self {
        Self {
            decoder: StreamDecoder::new(),
            device: None,
            iccid: None,
            ports: Vec::new(),
            last_settlement: None,
            started: HashMap::new(),
            last_snapshot: None,
        }
    }

    pub fn key(&self) -> Option<DeviceKey> {
        self.device.map(key)
    }

    fn on_raw(&mut self, raw: codec_dny::RawFrame, now: DateTime<Utc>, out: &mut Vec<Output>) {
        if self.device.is_none() {
            self.device = Some(raw.physical_id);
            identify(key(raw.physical_id), self.iccid.clone(), now, out);
        }
        // Later frames with another id (a host fronting sub-devices) are legitimate:
        // each frame is attributed to its own id.
        let typed = Frame::<Uplink>::from_raw(&raw);
        // The reply goes after the frame's events: the connection publishes in order,
        // so whoever the command's result reaches finds them published (a firmware
        // transfer's end after its last packet's).
        let reply = match &typed {
            Ok(frame) if may_answer_a_command(&frame.message) => Some(Output::Reply(Reply::Dny {
                frame: frame.clone(),
                raw: Some(raw.clone()),
            })),
            _ => None,
        };
        out.push(Output::Raw {
            device_id: raw.physical_id.to_string(),
            frame: WireFrame::Dny(raw.clone()),
        });
        match typed {
            Ok(frame) => self.on_frame(frame, now, out),
            Err(e) => out.push(Output::Malformed(format!(
                "command 0x{:02x}: {e}",
                raw.command
            ))),
        }
        out.extend(reply);
    }

    fn on_frame(&mut self, frame: Frame<Uplink>, now: DateTime<Utc>, out: &mut Vec<Output>) {
        let id = frame.physical_id;
        let msg_id = frame.message_id;
        let device = key(id);
        let answer = |message: Downlink| {
            Frame {
                physical_id: id,
                message_id: msg_id,
                message,
            }
            .to_bytes()
            .ok()
            .map(Output::Answer)
        };
        let ok = || ResultAnswer::new(0);
        let time = || TimeAnswer {
            timestamp: UnixTime::new(u32::try_from(now.timestamp()).unwrap_or(0)),
            extra: Bytes::new(),
        };
        match frame.message {
            Uplink::Register(r) => {
                out.extend(answer(Downlink::RegisterAnswer(ok())));
                out.push(Output::Event(DeviceEvent::Heartbeat {
                    device,
                    signal: 0,
                    iccid: self.iccid.clone(),
                    firmware: firmware(r.firmware_version),
                    voltage_dv: 0,
                    temperature_c: None,
                    port_count: u32::from(r.port_count),
                    at: now,
                }));
            }
            Uplink::Heartbeat(h) => {
                out.extend(answer(Downlink::HeartbeatAnswer(ok())));
                let codes: Vec<u8> = h.port_status.iter().collect();
                out.push(Output::Event(DeviceEvent::Heartbeat {
                    device: device.clone(),
                    signal: u32::from(h.signal),
                    iccid: self.iccid.clone(),
                    firmware: String::new(),
                    voltage_dv: u32::from(h.voltage.get()),
                    temperature_c: h.temperature.celsius().map(i32::from),
                    port_count: codes.len() as u32,
                    at: now,
                }));
                self.port_changes(&device, &codes, now, out);
            }
            Uplink::OldHeartbeat(h) => {
                out.extend(answer(Downlink::OldHeartbeatAnswer(ok())));
                let codes: Vec<u8> = h.ports.iter().map(|p| p.status).collect();
                self.port_changes(&device, &codes, now, out);
            }
            Uplink::TimeRequest(_) => out.extend(answer(Downlink::Time(time()))),
            Uplink::HostTimeRequest(_) => out.extend(answer(Downlink::HostTime(time()))),
            Uplink::PortPowerHeartbeat(p) => out.push(Output::Event(DeviceEvent::Meter {
                device,
                port: port_number(p.port.get()),
                order_ref: p.order_no.to_string(),
                power_dw: p.power.get(),
                voltage_dv: p.voltage.map_or(0, |v| u32::from(v.get())),
                current_ma: p.current.map_or(0, |c| c.get()),
                energy_wh: p.energy.get(),
                elapsed_secs: u64::from(p.charge_duration_s),
                at: now,
            })),
            Uplink::Settlement(s) => {
                // Mandatory answer, even for a duplicate: the pile resends until answered.
                out.extend(answer(Downlink::SettlementAnswer(ok())));
                let r = &s.record;
                let this = (r.port.get(), *r.order_no.as_bytes());
                if self.last_settlement == Some(this) {
                    return;
                }
                self.last_settlement = Some(this);
                out.push(Output::Event(DeviceEvent::ChargingEnded {
                    device,
                    port: port_number(r.port.get()),
                    order_ref: r.order_no.to_string(),
                    business_no: 0,
                    reason: EndReasonCode::from_dny(r.stop_reason),
                    raw_reason: u32::from(r.stop_reason),
                    energy_wh: r.energy.get(),
                    duration_secs: u64::from(r.charge_duration_s),
                    amount_fen: 0,
                    settle_power_dw: r.max_power.get(),
                    card_no: if r.card_id.as_bytes() == &[0; 4] {
                        String::new()
                    } else {
                        r.card_id.to_string()
                    },
                    at: now,
                }));
            }
            Uplink::CardSwipe(c) => {
                let port = if c.port == codec_dny::Port::ANY {
                    0
                } else {
                    port_number(c.port.get())
                };
                out.push(Output::Event(DeviceEvent::CardSwiped {
                    device: device.clone(),
                    port,
                    card_no: c.card_id.to_string(),
                    business_no: 0,
                    at: now,
                }));
                out.push(Output::CardDecision(CardQuery {
                    device,
                    port,
                    card_no: c.card_id.to_string(),
                    reply: CardReplyContext::Dny {
                        physical_id: id.get(),
                        message_id: msg_id.get(),
                        card_id: *c.card_id.as_bytes(),
                        port_wire: c.port.get(),
                    },
                }));
            }
            Uplink::Alarm(a) => out.push(Output::Event(DeviceEvent::Alarm {
                device,
                port: u32::from(a.port),
                kind: alarm_kind(a.alarm_type).to_owned(),
                raw_code: u32::from(a.alarm_type),
                detail: format!("trigger bits 0x{:02x}", a.trigger_bits),
                at: now,
            })),
            // Answers to commands complete the command that asked (the command path);
            // some also say something about the device. Everything else is kept as the
            // raw frame only.
            message => answers::on_answer(&mut self.started, device, &message, now, out),
        }
    }

    fn port_changes(
        &mut self,
        device: &DeviceKey,
        codes: &[u8],
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        for (i, &code) in codes.iter().enumerate() {
            let before = self.ports.get(i).copied();
            if before == Some(code) {
                continue;
            }
            out.push(Output::Event(DeviceEvent::PortStatus {
                device: device.clone(),
                port: i as u32 + 1,
                state: PortState::from_dny(code),
                previous: before.map(PortState::from_dny),
                raw_status: u32::from(code),
                snapshot: false,
                at: now,
            }));
        }
        self.ports = codes.to_vec();
        // The first report published every port: the snapshot clock starts.
        if self.last_snapshot.is_none() && !codes.is_empty() {
            self.last_snapshot = Some(now);
        }
    }
}

/// Answers to server commands (0x3x, 0x7x, 0x8x, 0x9x, 0xEx/0xFx) and the heartbeat that
/// answers 0x81; device-initiated requests never complete a command.
fn may_answer_a_command(message: &Uplink) -> bool {
    let c = codec_dny::Message::command(message);
    matches!(message, Uplink::Heartbeat(_))
        || (c >= 0x30 && !matches!(c, 0x35 | 0x3B | 0x41..=0x44))
}

fn key(id: PhysicalId) -> DeviceKey {
    DeviceKey {
        protocol: Protocol::Dny,
        device_id: id.to_string(),
        gateway_id: None,
    }
}

/// Wire ports are 0-based; events number them from 1.
fn port_number(wire: u8) -> u32 {
    u32::from(wire) + 1
}

fn firmware(v: u16) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// 0x42 alarm types (fact sheet 1.7.13).
fn alarm_kind(t: u8) -> &'static str {
    match t {
        1 => "power_loss",
        2 => "water",
        3 => "hot_melt",
        4 => "smoke",
        5 => "heat",
        6 => "water_level",
        7 => "door_open",
        _ => "other",
    }
}
