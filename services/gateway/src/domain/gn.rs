//! A GN connection as a pure state machine: the gateway identifies itself with its first
//! frame; heartbeats and reports get the answers the protocol requires.

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use codec_gn::{Decoded, GatewayId, Limits, Message, Packet, StreamDecoder};

use super::{DeviceEvent, DeviceKey, Fatal, Output, Protocol};

/// The state of one GN connection.
#[derive(Debug, Default)]
pub struct GnSession {
    decoder: StreamDecoder,
    buf: BytesMut,
    gateway: Option<GatewayId>,
}

impl GnSession {
    pub fn new() -> Self {
        Self {
            decoder: StreamDecoder::new(Limits::default()),
            buf: BytesMut::new(),
            gateway: None,
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
                                frame_hex: frame.encode().map(|b| hex(&b)).unwrap_or_default(),
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
    }
}

fn key(id: GatewayId) -> DeviceKey {
    DeviceKey {
        protocol: Protocol::Gn,
        device_id: id.to_string(),
        gateway_id: None,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
