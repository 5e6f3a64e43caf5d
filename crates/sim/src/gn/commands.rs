//! What a GN gateway does with the frames the server sends: acknowledgements of its
//! reports, and every command (0x0015 sub-commands, the 0x0005 node list, BKV
//! 0x1007/0x1011/0x1012), each answered with the command's sequence (§2.2). A resend
//! of a command already answered gets the same answer without running it twice.

use bytes::Bytes;
use codec_gn::bkv::{BkvBody, BkvPacket, ParamsAnswer, SetParams, SetParamsAnswer};
use codec_gn::codes::{RawBytes, ResultCode};
use codec_gn::msg::node_list::{NodeListDown, NodeListUp, NodeResult};
use codec_gn::msg::socket_down::{BalanceAnswer, SocketDown};
use codec_gn::msg::socket_up::{SocketUp, VoiceAnswer};
use codec_gn::{Decoded, Direction, Frame, Message, Packet, PortNo, SocketNo, StreamDecoder};

use super::GnGateway;
use super::charge::card_no;
use crate::clock::SimTime;
use crate::event::SimEvent;
use crate::faults::EndReason;
use crate::runner::Outbox;

/// Answers remembered for resends.
const RECENT_ANSWERS: usize = 4;

pub(super) fn result(ok: bool) -> ResultCode {
    if ok { ResultCode::OK } else { ResultCode::FAIL }
}

impl GnGateway {
    pub(super) fn receive(&mut self, now: SimTime, bytes: &[u8], out: &mut Outbox) {
        self.rx.extend_from_slice(bytes);
        loop {
            match self.decoder.decode(&mut self.rx) {
                Ok(Some(Decoded::Frame(f))) => {
                    out.frame_received();
                    self.frame(now, f, out);
                }
                Ok(Some(Decoded::Garbage(g))) => out.event(SimEvent::BadFrame {
                    error: format!("{} bytes of garbage", g.len()),
                }),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.can_continue();
                    out.event(SimEvent::BadFrame {
                        error: e.to_string(),
                    });
                    if fatal {
                        // Only a flood of undecidable bytes: start over, don't stall.
                        self.rx.clear();
                        self.decoder = StreamDecoder::default();
                        break;
                    }
                }
            }
        }
    }

    fn frame(&mut self, now: SimTime, f: Frame, out: &mut Outbox) {
        if f.direction != Direction::Down || f.gateway_id != self.id {
            out.event(SimEvent::BadFrame {
                error: format!(
                    "{} frame for {} reached {}",
                    f.direction.as_str(),
                    f.gateway_id,
                    self.id
                ),
            });
            return;
        }
        let packet = match Packet::from_frame(&f) {
            Ok(p) => p,
            Err(e) => {
                out.event(SimEvent::BadFrame {
                    error: e.to_string(),
                });
                return;
            }
        };
        match packet.message {
            Message::HeartbeatReply(_) => {
                self.unanswered = 0;
                if !self.registered {
                    self.registered = true;
                    out.event(SimEvent::Registered);
                }
            }
            Message::SocketDown(SocketDown::EndAck(a)) => self.end_acked(a.socket, None, out),
            Message::SocketDown(SocketDown::BalanceAnswer(b)) => self.balance_answered(&b, out),
            Message::Bkv(BkvPacket {
                body: BkvBody::StatusReportAck(_) | BkvBody::EventAck(_),
                ..
            }) => {}
            Message::Bkv(BkvPacket {
                body: BkvBody::ChargeEndedAck(a),
                ..
            }) => {
                if let (Some(s), Some(p)) = (a.socket, a.port) {
                    self.end_acked(s, Some(p), out);
                }
            }
            message => self.command(now, packet.sequence, f.payload, message, out),
        }
    }

    fn balance_answered(&mut self, b: &BalanceAnswer, out: &mut Outbox) {
        let pos = self
            .balances
            .iter()
            .position(|(_, c)| card_no(*c) == b.card);
        if let Some((_, card)) = pos.and_then(|i| self.balances.remove(i)) {
            out.event(SimEvent::CardAnswered {
                card,
                status: 0,
                balance_fen: u32::try_from(b.balance.get()).ok(),
            });
        }
    }

    fn command(
        &mut self,
        now: SimTime,
        seq: u32,
        payload: Bytes,
        message: Message,
        out: &mut Outbox,
    ) {
        let (command, sub) = match &message {
            Message::Bkv(b) => (b.command(), None),
            m => (m.command(), m.sub_command()),
        };
        let cached = self
            .recent
            .iter()
            .find(|(s, c, p, _)| *s == seq && *c == command && *p == payload)
            .map(|r| r.3.clone());
        if let Some(answer) = cached {
            out.event(SimEvent::CommandReceived {
                command,
                sub,
                id: seq,
                dropped: false,
                duplicate: true,
            });
            answer_with(command, sub, seq, answer, out);
            return;
        }
        let dropped = self.drop.should_drop();
        out.event(SimEvent::CommandReceived {
            command,
            sub,
            id: seq,
            dropped,
            duplicate: false,
        });
        if dropped {
            return;
        }
        let answer = self
            .execute(now, seq, message, out)
            .and_then(|m| self.encode(seq, m))
            .unwrap_or_default();
        if self.recent.len() >= RECENT_ANSWERS {
            self.recent.pop_front();
        }
        self.recent
            .push_back((seq, command, payload, answer.clone()));
        answer_with(command, sub, seq, answer, out);
    }

    fn execute(
        &mut self,
        now: SimTime,
        seq: u32,
        message: Message,
        out: &mut Outbox,
    ) -> Option<Message> {
        match message {
            Message::SocketDown(d) => self.socket_command(now, d, out).map(Message::SocketUp),
            Message::NodeListDown(n) => self.node_list(now, n, out).map(Message::NodeListUp),
            Message::Bkv(b) => {
                let body = match b.body {
                    BkvBody::StartStop(s) => {
                        BkvBody::StartStopAnswer(self.fee_start_stop(now, &s, out))
                    }
                    BkvBody::SetParams(p) => BkvBody::SetParamsAnswer(self.set_params(&p)),
                    BkvBody::QueryParams(q) => BkvBody::ParamsAnswer(self.params_answer(q.socket)),
                    _ => return None,
                };
                Some(Message::Bkv(BkvPacket::new(seq, self.id, body)))
            }
            // OTA has no documented answer (§2.4.4); others are not commands.
            _ => None,
        }
    }

    fn socket_command(
        &mut self,
        now: SimTime,
        d: SocketDown,
        out: &mut Outbox,
    ) -> Option<SocketUp> {
        Some(match d {
            SocketDown::QueryStatus(q) => {
                let s = self.socket_index(q.socket)?;
                SocketUp::StatusAnswer(self.status_answer(now, s, q.socket))
            }
            SocketDown::Control(c) => SocketUp::ControlAnswer(self.control(now, &c, out)),
            SocketDown::PowerBracketStart(p) => SocketUp::Other(self.brackets(now, &p, out)),
            SocketDown::CardOrder(o) => SocketUp::OrderAccepted(self.card_order(now, &o, out)),
            SocketDown::VoiceWindows(v) => SocketUp::VoiceAnswer(VoiceAnswer {
                socket: v.socket,
                port: v.port,
                result: ResultCode::OK,
                extra: RawBytes::default(),
            }),
            SocketDown::EndAck(_) | SocketDown::BalanceAnswer(_) | SocketDown::Other(_) => {
                return None;
            }
        })
    }

    /// Socket index and port of a command, if the socket is bound and the port exists.
    pub(super) fn target(&self, socket: SocketNo, port: PortNo) -> Option<(usize, u8)> {
        let s = self.socket_index(socket)?;
        (port.0 <= 1).then_some((s, port.0))
    }

    /// Stops the charge on a port; its business number.
    pub(super) fn stop(&mut self, now: SimTime, s: usize, p: u8, out: &mut Outbox) -> Option<u16> {
        let business = self.port(s, p)?.charge.as_ref()?.business;
        self.end_charge(s, p, now, EndReason::ServerStop, out);
        Some(business)
    }

    /// BKV 0x1011: only the keys sent change.
    fn set_params(&mut self, p: &SetParams) -> SetParamsAnswer {
        let idx = p.socket.and_then(|s| self.socket_index(s));
        if let Some(k) = idx.and_then(|i| self.sockets.get_mut(i)) {
            let q = &mut k.params;
            macro_rules! merge {
                ($($f:ident),*) => { $( if p.$f.is_some() { q.$f = p.$f; } )* };
            }
            merge!(
                full_charge_delay,
                no_load_delay,
                full_power_threshold,
                no_load_power_threshold,
                high_temperature_threshold,
                power_limit,
                max_charge_duration,
                trickle_threshold_pct,
                overcurrent_limit,
                key_base_amount,
                anti_pulse_time_raw
            );
        }
        SetParamsAnswer {
            socket: p.socket,
            ack: Some(result(idx.is_some())),
            ..SetParamsAnswer::default()
        }
    }

    /// BKV 0x1012: the socket's parameters.
    fn params_answer(&self, socket: Option<SocketNo>) -> ParamsAnswer {
        let k = socket
            .and_then(|s| self.socket_index(s))
            .and_then(|i| self.sockets.get(i));
        let Some(q) = k.map(|k| &k.params) else {
            return ParamsAnswer {
                socket,
                ack: Some(ResultCode::FAIL),
                ..ParamsAnswer::default()
            };
        };
        ParamsAnswer {
            socket,
            ack: Some(ResultCode::OK),
            full_power_threshold: q.full_power_threshold,
            trickle_threshold_pct: q.trickle_threshold_pct,
            full_charge_delay: q.full_charge_delay,
            no_load_power_threshold: q.no_load_power_threshold,
            no_load_delay: q.no_load_delay,
            max_charge_duration: q.max_charge_duration,
            high_temperature_threshold: q.high_temperature_threshold,
            power_limit: q.power_limit,
            overcurrent_limit: q.overcurrent_limit,
            key_base_amount: q.key_base_amount,
            anti_pulse_time_raw: q.anti_pulse_time_raw,
            ..ParamsAnswer::default()
        }
    }

    /// 0x0005: the node list binds socket numbers to the MACs of the sockets behind
    /// this gateway; a MAC it does not have stays unbound.
    fn node_list(&mut self, now: SimTime, n: NodeListDown, out: &mut Outbox) -> Option<NodeListUp> {
        let ok = NodeResult {
            result: ResultCode::OK,
            extra: RawBytes::default(),
        };
        let answer = match n {
            NodeListDown::Refresh(r) => {
                for k in &mut self.sockets {
                    k.number = r.nodes.iter().find(|n| n.mac == k.mac).map(|n| n.socket);
                }
                NodeListUp::RefreshResult(ok)
            }
            NodeListDown::Add(c) => {
                for k in &mut self.sockets {
                    if k.mac == c.mac {
                        k.number = Some(c.socket);
                    } else if k.number == Some(c.socket) {
                        k.number = None;
                    }
                }
                NodeListUp::AddResult(ok)
            }
            NodeListDown::Delete(c) => {
                for k in &mut self.sockets {
                    if k.mac == c.mac || k.number == Some(c.socket) {
                        k.number = None;
                    }
                }
                NodeListUp::DeleteResult(ok)
            }
            NodeListDown::PowerBracketStart(p) => {
                return Some(NodeListUp::Other(self.brackets(now, &p, out)));
            }
            NodeListDown::Other(_) => return None,
        };
        for k in &mut self.sockets {
            k.dirty = k.number.is_some();
        }
        let bound = self.sockets.iter().filter(|k| k.number.is_some()).count();
        out.event(SimEvent::NodeListChanged { sockets: bound });
        Some(answer)
    }
}

fn answer_with(command: u16, sub: Option<u8>, id: u32, answer: Bytes, out: &mut Outbox) {
    if answer.is_empty() {
        return;
    }
    out.frame(answer);
    out.event(SimEvent::CommandAnswered { command, sub, id });
}
