//! A DNY connection as a pure state machine: bytes in, answers and events out.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use codec_dny::{
    Direction, Downlink, Frame, Item, MessageId, PhysicalId, ResultAnswer, StreamDecoder,
    TimeAnswer, UnixTime, Uplink,
};

use super::{
    CardQuery, CardReplyContext, DeviceEvent, DeviceKey, EndReasonCode, Fatal, Output, PortState,
    Protocol,
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
}

impl Default for DnySession {
    fn default() -> Self {
        Self::new()
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
        }
    }

    pub fn key(&self) -> Option<DeviceKey> {
        self.device.map(key)
    }

    /// Handles bytes read from the socket.
    pub fn on_bytes(&mut self, data: &[u8], now: DateTime<Utc>) -> Result<Vec<Output>, Fatal> {
        self.decoder.feed(data).map_err(|e| Fatal(e.to_string()))?;
        let mut out = Vec::new();
        loop {
            match self.decoder.decode_next() {
                Ok(None) => return Ok(out),
                Ok(Some(Item::Iccid(i))) => self.iccid = Some(i.as_str().to_owned()),
                Ok(Some(Item::Link)) => {}
                Ok(Some(Item::Garbage(g))) => out.push(Output::Malformed(format!(
                    "{} bytes of garbage skipped",
                    g.len()
                ))),
                Ok(Some(Item::Incomplete(_))) => {}
                Ok(Some(Item::Frame(raw))) => {
                    if self.device.is_none() {
                        self.device = Some(raw.physical_id);
                        out.push(Output::Identified(key(raw.physical_id)));
                        out.push(Output::Event(DeviceEvent::Connected {
                            device: key(raw.physical_id),
                            remote_addr: String::new(),
                            iccid: self.iccid.clone(),
                            at: now,
                        }));
                    }
                    // Later frames with another id (a host fronting sub-devices) are
                    // legitimate: each frame is attributed to its own id.
                    out.push(Output::Raw {
                        device_id: raw.physical_id.to_string(),
                        frame_hex: raw
                            .to_bytes()
                            .map(|b| codec_gn::hex::encode(&b))
                            .unwrap_or_default(),
                        json: codec_dny::describe(&raw, Direction::Up),
                    });
                    match Frame::<Uplink>::from_raw(&raw) {
                        Ok(frame) => self.on_frame(frame, now, &mut out),
                        Err(e) => out.push(Output::Malformed(format!(
                            "command 0x{:02x}: {e}",
                            raw.command
                        ))),
                    }
                }
                Err(e) if e.can_continue() => out.push(Output::Malformed(e.to_string())),
                Err(e) => return Err(Fatal(e.to_string())),
            }
        }
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
            // everything else is kept as the raw frame only.
            _ => {}
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
    }
}

/// The answer to a card decision: account status (fact sheet 1.8.5) and balance.
pub fn card_answer(ctx: &CardReplyContext, account_status: u8, balance_fen: u32) -> Option<Bytes> {
    let CardReplyContext::Dny {
        physical_id,
        message_id,
        card_id,
        port_wire,
    } = ctx;
    Frame {
        physical_id: PhysicalId::new(*physical_id),
        message_id: MessageId::new(*message_id),
        message: Downlink::CardSwipeAnswer(codec_dny::CardSwipeAnswer {
            card_id: codec_dny::CardId::new(*card_id),
            account_status,
            rate_mode: 0,
            balance_or_expiry: balance_fen,
            port: codec_dny::Port::new(*port_wire),
            ..Default::default()
        }),
    }
    .to_bytes()
    .ok()
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
