//! A GN connection as a pure state machine: the gateway identifies itself with its first
//! frame; heartbeats and reports get the answers the protocol requires.

use std::collections::HashMap;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use codec_gn::bkv::{BkvBody, ChargeEnded, StatusReport};
use codec_gn::{Decoded, GatewayId, Limits, Message, Packet, StreamDecoder};

use super::{DeviceEvent, DeviceKey, EndReasonCode, Fatal, Output, PortState, Protocol};

/// The state of one GN connection.
#[derive(Debug, Default)]
pub struct GnSession {
    decoder: StreamDecoder,
    buf: BytesMut,
    gateway: Option<GatewayId>,
    /// Last status byte per (socket, port), to publish only changes.
    ports: HashMap<(u8, u8), u8>,
    /// End reports already published, per (socket, port): the business number. A gateway
    /// resends an end report it thinks unanswered.
    ended: HashMap<(u8, u8), u16>,
}

impl GnSession {
    pub fn new() -> Self {
        Self {
            decoder: StreamDecoder::new(Limits::default()),
            buf: BytesMut::new(),
            gateway: None,
            ports: HashMap::new(),
            ended: HashMap::new(),
        }
    }

    pub fn key(&self) -> Option<DeviceKey> {
        self.gateway.map(key)
    }

    /// Handles bytes read from the socket.
    pub fn on_bytes(&mut self, data: &[u8], now: DateTime<Utc>) -> Result<Vec<Output>, Fatal> {
        let room = self
            .decoder
            .limits()
            .max_buffered
            .saturating_sub(self.buf.len());
        if data.len() > room {
            return Err(Fatal(format!(
                "more than {} bytes buffered without a complete frame",
                self.decoder.limits().max_buffered
            )));
        }
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        loop {
            let before = self.buf.len();
            match self.decoder.decode(&mut self.buf) {
                Ok(None) => return Ok(out),
                Ok(Some(Decoded::Garbage(g))) => out.push(Output::Malformed(format!(
                    "{} bytes of garbage skipped",
                    g.len()
                ))),
                Ok(Some(Decoded::Frame(frame))) => {
                    if self.gateway.is_none() {
                        self.gateway = Some(frame.gateway_id);
                        out.push(Output::Identified(key(frame.gateway_id)));
                        out.push(Output::Event(DeviceEvent::Connected {
                            device: key(frame.gateway_id),
                            remote_addr: String::new(),
                            iccid: None,
                            at: now,
                        }));
                    }
                    match Packet::from_frame(&frame) {
                        Ok(packet) => {
                            out.push(Output::Raw {
                                device_id: frame.gateway_id.to_string(),
                                frame_hex: frame
                                    .encode()
                                    .map(|b| codec_gn::hex::encode(&b))
                                    .unwrap_or_default(),
                                json: codec_gn::describe(&packet),
                            });
                            self.on_packet(&packet, now, &mut out);
                        }
                        Err(e) => out.push(Output::Malformed(format!(
                            "command {:#06x}: {e}",
                            frame.command
                        ))),
                    }
                }
                Err(e) => {
                    out.push(Output::Malformed(e.to_string()));
                    if self.buf.len() == before {
                        return Err(Fatal(format!("decoder cannot move past: {e}")));
                    }
                }
            }
        }
    }

    fn on_packet(&mut self, packet: &Packet, now: DateTime<Utc>, out: &mut Vec<Output>) {
        let device = key(packet.gateway_id);
        if let Message::Heartbeat(h) = &packet.message {
            let reply = codec_gn::replies::heartbeat_reply(
                packet.gateway_id,
                codec_gn::units::UnixTime::new(now.timestamp()),
            );
            if let Ok(bytes) = reply.encode() {
                out.push(Output::Answer(bytes));
            }
            out.push(Output::Event(DeviceEvent::Heartbeat {
                device,
                signal: u32::from(h.signal),
                iccid: Some(h.iccid.text()),
                firmware: h.firmware.text(),
                voltage_dv: 0,
                temperature_c: None,
                port_count: 0,
                at: now,
            }));
            return;
        }
        if let Some(ack) = codec_gn::replies::acknowledgement(packet)
            && let Ok(bytes) = ack.encode()
        {
            out.push(Output::Answer(bytes));
        }
        if let Message::Bkv(b) = &packet.message {
            match &b.body {
                BkvBody::StatusReport(r) => self.status(packet.gateway_id, r, now, out),
                BkvBody::ChargeEnded(e) => self.ended(packet.gateway_id, e, now, out),
                _ => {}
            }
        }
    }

    /// A status cluster: per socket a heartbeat (socket liveness), per port a status
    /// change and, while charging, a meter sample.
    fn status(
        &mut self,
        gw: GatewayId,
        r: &StatusReport,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        for socket in &r.sockets {
            let Some(no) = socket.socket else { continue };
            let device = socket_key(gw, no.0);
            out.push(Output::Event(DeviceEvent::Heartbeat {
                device: device.clone(),
                signal: socket.rssi.map_or(0, u32::from),
                iccid: None,
                firmware: socket.firmware.map(|f| f.to_string()).unwrap_or_default(),
                voltage_dv: 0,
                temperature_c: socket.temperature.map(|t| i32::from(t.get())),
                port_count: socket.ports.len() as u32,
                at: now,
            }));
            for port in &socket.ports {
                let (Some(p), Some(status)) = (port.port, port.status) else {
                    continue;
                };
                let business = port.business_no.map_or(0, |b| b.0);
                let state = PortState::from_gn(status.0, business);
                let before = self.ports.insert((no.0, p.0), status.0);
                if before != Some(status.0) {
                    out.push(Output::Event(DeviceEvent::PortStatus {
                        device: device.clone(),
                        port: u32::from(p.0) + 1,
                        state,
                        previous: before.map(|b| PortState::from_gn(b, 0)),
                        raw_status: u32::from(status.0),
                        snapshot: false,
                        at: now,
                    }));
                }
                if state == PortState::Charging {
                    out.push(Output::Event(DeviceEvent::Meter {
                        device: device.clone(),
                        port: u32::from(p.0) + 1,
                        order_ref: business.to_string(),
                        power_dw: port.power.map_or(0, |v| v.get()),
                        voltage_dv: port.voltage.map_or(0, |v| v.get()),
                        current_ma: port.current.map_or(0, |v| v.get()),
                        energy_wh: port
                            .energy
                            .map_or(0, |v| u64::try_from(v.get()).unwrap_or(0)),
                        elapsed_secs: port.charge_duration.map_or(0, |v| u64::from(v.get())),
                        at: now,
                    }));
                }
            }
        }
    }

    /// BKV 0x1004: a charge ended (fee mode). Published once per business number.
    fn ended(&mut self, gw: GatewayId, e: &ChargeEnded, now: DateTime<Utc>, out: &mut Vec<Output>) {
        let (Some(socket), Some(port)) = (e.socket, e.port) else {
            return;
        };
        let business = e.business_no.map_or(0, |b| b.0);
        if self.ended.insert((socket.0, port.0), business) == Some(business) {
            return;
        }
        let fees = e.electricity_fee.map_or(0, |f| f.get()) + e.service_fee.map_or(0, |f| f.get());
        out.push(Output::Event(DeviceEvent::ChargingEnded {
            device: socket_key(gw, socket.0),
            port: u32::from(port.0) + 1,
            order_ref: business.to_string(),
            business_no: u32::from(business),
            // The fee-mode end reason codes are undocumented (fact sheet 4.2 #16): kept raw.
            reason: EndReasonCode::Other,
            raw_reason: e.end_reason.map_or(0, u32::from),
            energy_wh: e.energy.map_or(0, |v| u64::try_from(v.get()).unwrap_or(0)),
            duration_secs: e.charge_duration.map_or(0, |v| u64::from(v.get())),
            amount_fen: fees,
            settle_power_dw: e.power.map_or(0, |v| v.get()),
            card_no: String::new(),
            at: e
                .end_time
                .and_then(|t| DateTime::from_timestamp(t.get(), 0))
                .unwrap_or(now),
        }));
    }
}

/// A socket behind a gateway: `<gateway>-<socket>` (docs/protocols.md).
fn socket_key(gw: GatewayId, socket: u8) -> DeviceKey {
    DeviceKey {
        protocol: Protocol::Gn,
        device_id: format!("{gw}-{socket}"),
        gateway_id: Some(gw.to_string()),
    }
}

fn key(id: GatewayId) -> DeviceKey {
    DeviceKey {
        protocol: Protocol::Gn,
        device_id: id.to_string(),
        gateway_id: None,
    }
}
