//! A GN connection as a pure state machine: the gateway identifies itself with its first
//! frame; heartbeats and reports get the answers the protocol requires and become
//! device events of the gateway or of its sockets (`ports`: status and liveness,
//! `orders`: starts, ends and cards).

mod orders;
mod ports;
#[cfg(test)]
mod tests;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use codec_gn::bkv::{BkvBody, ParamsAnswer};
use codec_gn::msg::socket_up::SocketUp;
use codec_gn::{Decoded, GatewayId, Limits, Message, Packet, StreamDecoder};

pub use orders::{OWN_SEQUENCE_BASE, PENDING_ORDER_TTL};
pub use ports::{SNAPSHOT_PERIOD, SOCKET_OFFLINE_AFTER, STATUS_PERIOD};

use super::command::Reply;
use super::event::parameter_map;
use super::{DeviceEvent, DeviceKey, DeviceSession, Fatal, Output, Protocol, WireFrame, identify};
use orders::Orders;
use ports::{Ports, SocketSample};

/// The state of one GN connection.
#[derive(Debug, Default)]
pub struct GnSession {
    decoder: StreamDecoder,
    buf: BytesMut,
    gateway: Option<GatewayId>,
    /// The sockets and ports behind the gateway.
    ports: Ports,
    /// Starts, ends and card orders.
    orders: Orders,
}

impl DeviceSession for GnSession {
    fn feed(&mut self, data: &[u8]) -> Result<(), Fatal> {
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
        Ok(())
    }

    fn next_outputs(&mut self, now: DateTime<Utc>, out: &mut Vec<Output>) -> Result<bool, Fatal> {
        let before = self.buf.len();
        match self.decoder.decode(&mut self.buf) {
            Ok(None) => return Ok(false),
            Ok(Some(Decoded::Garbage(g))) => out.push(Output::Malformed(format!(
                "{} bytes of garbage skipped",
                g.len()
            ))),
            Ok(Some(Decoded::Frame(frame))) => self.on_frame(frame, now, out),
            Err(e) => {
                out.push(Output::Malformed(e.to_string()));
                if self.buf.len() == before {
                    return Err(Fatal(format!("decoder cannot move past: {e}")));
                }
            }
        }
        Ok(true)
    }

    /// The port snapshot every [`SNAPSHOT_PERIOD`], sockets silent for
    /// [`SOCKET_OFFLINE_AFTER`] taken offline, card orders older than
    /// [`PENDING_ORDER_TTL`] forgotten.
    fn tick(&mut self, now: DateTime<Utc>) -> Vec<Output> {
        let mut out = Vec::new();
        self.orders.tick(now);
        if let Some(gw) = self.gateway {
            self.ports.tick(gw, now, &mut out);
        }
        out
    }

    /// The connection ended: its sockets are gone too (`Disconnected` each).
    fn close(&mut self, now: DateTime<Utc>) -> Vec<Output> {
        let mut out = Vec::new();
        if let Some(gw) = self.gateway {
            self.ports.close(gw, now, &mut out);
        }
        out
    }
}

impl GnSession {
    pub fn new() -> Self {
        Self {
            decoder: StreamDecoder::new(Limits::default()),
            buf: BytesMut::new(),
            gateway: None,
            ports: Ports::default(),
            orders: Orders::default(),
        }
    }

    pub fn key(&self) -> Option<DeviceKey> {
        self.gateway.map(key)
    }

    fn on_frame(&mut self, frame: codec_gn::Frame, now: DateTime<Utc>, out: &mut Vec<Output>) {
        if self.gateway.is_none() {
            self.gateway = Some(frame.gateway_id);
            identify(key(frame.gateway_id), None, now, out);
        }
        match Packet::from_frame(&frame) {
            Ok(packet) => {
                // Device reports carry sequence 0; answers echo our command's.
                if packet.sequence != 0 {
                    out.push(Output::Reply(Reply::Gn {
                        packet: packet.clone(),
                        raw: Some(frame.clone()),
                    }));
                }
                out.push(Output::Raw {
                    device_id: frame.gateway_id.to_string(),
                    frame: WireFrame::Gn(frame),
                });
                self.on_packet(&packet, now, out);
            }
            Err(e) => out.push(Output::Malformed(format!(
                "command {:#06x}: {e}",
                frame.command
            ))),
        }
    }

    fn on_packet(&mut self, packet: &Packet, now: DateTime<Utc>, out: &mut Vec<Output>) {
        let gw = packet.gateway_id;
        if let Message::Heartbeat(h) = &packet.message {
            let reply = codec_gn::replies::heartbeat_reply(
                gw,
                codec_gn::units::UnixTime::new(now.timestamp()),
            );
            if let Ok(bytes) = reply.encode() {
                out.push(Output::Answer(bytes));
            }
            out.push(Output::Event(DeviceEvent::Heartbeat {
                device: key(gw),
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
        // Acknowledgements first, duplicates included: the gateway resends until one comes.
        if let Some(ack) = codec_gn::replies::acknowledgement(packet)
            && let Ok(bytes) = ack.encode()
        {
            out.push(Output::Answer(bytes));
        }
        match &packet.message {
            Message::Bkv(b) => match &b.body {
                BkvBody::StatusReport(r) => {
                    for s in r.sockets.iter().filter_map(SocketSample::from_cluster) {
                        self.ports.report(gw, &s, now, out);
                    }
                }
                BkvBody::ChargeEnded(e) => self.orders.bkv_ended(gw, e, now, out),
                BkvBody::StartStopAnswer(a) => self.orders.bkv_start_answer(gw, a, now, out),
                BkvBody::ParamsAnswer(p) => parameters(gw, p, now, out),
                _ => {}
            },
            Message::SocketUp(SocketUp::StatusAnswer(a) | SocketUp::StatusAnswerAs1D(a)) => {
                self.ports
                    .report(gw, &SocketSample::from_answer(a), now, out);
            }
            Message::SocketUp(m) => self.orders.socket_up(gw, packet.sequence, m, now, out),
            _ => {}
        }
    }
}

/// BKV 0x1012 ↑: a socket's parameters, when the socket says they are valid.
fn parameters(gw: GatewayId, p: &ParamsAnswer, now: DateTime<Utc>, out: &mut Vec<Output>) {
    let (Some(socket), true) = (p.socket, p.ack.is_none_or(|a| a.is_ok())) else {
        return;
    };
    let Ok(fields) = serde_json::to_value(p) else {
        return;
    };
    out.push(Output::Event(DeviceEvent::ParameterReport {
        device: socket_key(gw, socket.0),
        parameters: parameter_map(&fields, &["socket", "ack"]),
        at: now,
    }));
}

/// A socket behind a gateway: `<gateway>-<socket>` (docs/protocols.md).
pub(crate) fn socket_key(gw: GatewayId, socket: u8) -> DeviceKey {
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
