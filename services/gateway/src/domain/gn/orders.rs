//! What GN sockets report about charges: starts confirmed (0x0015/0x07 and 0x0F answers,
//! BKV 0x1007 answer), ends (0x0015/0x02, 0x18, 0x0C, BKV 0x1004), card swipes (0x0B)
//! and balance queries (0x1A) that wait for a business decision.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use codec_gn::GatewayId;
use codec_gn::bkv::{ChargeEnded as BkvEnded, StartStopAnswer};
use codec_gn::msg::socket_common::EndReport;
use codec_gn::msg::socket_up::SocketUp;

use super::socket_key;
use crate::domain::{CardQuery, CardReplyContext, DeviceEvent, EndReasonCode, Output};

/// Sequences of the frames this session originates (card orders, balance answers)
/// have the top two bits set. Answers echo the sequence (fact sheet 2.2), so keeping
/// these apart from the sequences of the command path means an echo can never
/// complete the wrong waiter.
pub const OWN_SEQUENCE_BASE: u32 = 0xC000_0000;

/// A card order whose 0x0F has not come this long after the swipe is forgotten (the
/// socket stops waiting for an order long before).
pub const PENDING_ORDER_TTL: TimeDelta = TimeDelta::minutes(10);

/// Card orders awaiting their 0x0F at once; the oldest goes first beyond this.
const MAX_PENDING_ORDERS: usize = 64;

/// A card order sent (or about to be) for a swipe.
#[derive(Debug, Clone, Copy)]
struct PendingOrder {
    socket: u8,
    port: u8,
    business: u16,
    asked: DateTime<Utc>,
}

/// The charge bookkeeping of one gateway connection.
#[derive(Debug, Default)]
pub(super) struct Orders {
    /// The last business number published as ended, per (socket, port): a gateway
    /// resends an end report it thinks unanswered (fact sheet 2.4.3).
    ended: HashMap<(u8, u8), u16>,
    /// The last business number published as started, per (socket, port).
    started: HashMap<(u8, u8), u16>,
    /// Card orders by the sequence they carry; their 0x0F echoes it.
    pending: HashMap<u32, PendingOrder>,
    /// Frames this session originated so far (numbers its sequences).
    issued: u32,
}

/// An end report, whichever frame carried it.
#[derive(Debug, Clone, Default)]
struct EndSample {
    socket: u8,
    port: u8,
    business: u16,
    reason: Option<EndReasonCode>,
    raw_reason: u32,
    energy_wh: u64,
    duration_secs: u64,
    amount_fen: i64,
    settle_power_dw: u32,
    card_no: String,
    at: Option<DateTime<Utc>>,
}

impl EndSample {
    /// The fields every 0x0015 end report opens with. They carry no reason code: the
    /// end status decides (a no-load end, or other).
    fn from_report(r: &EndReport) -> Self {
        Self {
            socket: r.socket.0,
            port: r.port.0,
            business: r.business_no.0,
            reason: Some(EndReasonCode::from_gn_status(r.status.0)),
            energy_wh: u64::try_from(r.energy.get()).unwrap_or(0),
            duration_secs: u64::from(r.charge_duration.get()),
            // The power at the end; the power-bracket reports replace it with the settle power.
            settle_power_dw: r.power.get(),
            ..Self::default()
        }
    }
}

impl Orders {
    /// A 0x0015 report or answer about a charge or a card (status answers are the
    /// ports' business, see `Ports`).
    pub fn socket_up(
        &mut self,
        gw: GatewayId,
        sequence: u32,
        m: &SocketUp,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        match m {
            SocketUp::ChargeEnded(e) => self.end(gw, EndSample::from_report(&e.report), now, out),
            SocketUp::PowerBracketEnded(e) => {
                let mut s = EndSample::from_report(&e.report);
                s.raw_reason = u32::from(e.end_reason);
                s.amount_fen = e.amount.get();
                s.settle_power_dw = e.settle_power.get();
                s.at = DateTime::from_timestamp(e.end_time.get(), 0);
                self.end(gw, s, now, out);
            }
            SocketUp::CardChargeEnded(e) => {
                let mut s = EndSample::from_report(&e.report);
                s.amount_fen = e.amount.get();
                if e.billing_mode == codec_gn::codes::BillingMode::POWER_BRACKETS {
                    s.settle_power_dw = e.settle_power.get();
                }
                s.card_no = e.card.to_string();
                self.end(gw, s, now, out);
            }
            SocketUp::ControlAnswer(a) if a.result.is_ok() => {
                self.started(gw, a.socket.0, a.port.0, a.business_no.0, now, out);
            }
            SocketUp::OrderAccepted(a) if a.result.is_ok() => {
                // Only the echo of an order this session sent for a swipe: a refusal
                // goes out with sequence 0 and so never matches.
                if let Some(o) = self.pending.remove(&sequence) {
                    self.started(gw, o.socket, o.port, o.business, now, out);
                }
            }
            SocketUp::OrderAccepted(_) => {
                self.pending.remove(&sequence);
            }
            SocketUp::CardSwiped(c) => {
                let (socket, port, business) = (c.socket.0, c.port.0, c.business_no.0);
                let sequence = self.next_sequence();
                self.remember(sequence, socket, port, business, now);
                let device = socket_key(gw, socket);
                out.push(Output::Event(DeviceEvent::CardSwiped {
                    device: device.clone(),
                    port: u32::from(port) + 1,
                    card_no: c.card.to_string(),
                    business_no: u32::from(business),
                    at: now,
                }));
                out.push(Output::CardDecision(CardQuery {
                    device,
                    port: u32::from(port) + 1,
                    card_no: c.card.to_string(),
                    reply: CardReplyContext::Gn {
                        gateway_id: *gw.as_bytes(),
                        sequence,
                        socket,
                        port_wire: port,
                        card_no: *c.card.as_bytes(),
                        business_no: Some(business),
                    },
                }));
            }
            SocketUp::BalanceQuery(q) => {
                let sequence = self.next_sequence();
                out.push(Output::CardDecision(CardQuery {
                    device: socket_key(gw, q.socket.0),
                    // A balance only: port 0 by the decision request's contract; the
                    // wire port is echoed in the answer.
                    port: 0,
                    card_no: q.card.to_string(),
                    reply: CardReplyContext::Gn {
                        gateway_id: *gw.as_bytes(),
                        sequence,
                        socket: q.socket.0,
                        port_wire: q.port.0,
                        card_no: *q.card.as_bytes(),
                        business_no: None,
                    },
                }));
            }
            _ => {}
        }
    }

    /// BKV 0x1004: a charge ended in fee mode.
    pub fn bkv_ended(
        &mut self,
        gw: GatewayId,
        e: &BkvEnded,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        let (Some(socket), Some(port)) = (e.socket, e.port) else {
            return;
        };
        let fees = e.electricity_fee.map_or(0, |f| f.get()) + e.service_fee.map_or(0, |f| f.get());
        let sample = EndSample {
            socket: socket.0,
            port: port.0,
            business: e.business_no.map_or(0, |b| b.0),
            // The fee-mode end reason codes are undocumented (fact sheet 4.2 #16): the
            // status decides the normalized reason, the code stays raw.
            reason: e.status.map(|s| EndReasonCode::from_gn_status(s.0)),
            raw_reason: e.end_reason.map_or(0, u32::from),
            energy_wh: e.energy.map_or(0, |v| u64::try_from(v.get()).unwrap_or(0)),
            duration_secs: e.charge_duration.map_or(0, |v| u64::from(v.get())),
            amount_fen: fees,
            settle_power_dw: e.power.map_or(0, |v| v.get()),
            card_no: String::new(),
            at: e
                .end_time
                .and_then(|t| DateTime::from_timestamp(t.get(), 0)),
        };
        self.end(gw, sample, now, out);
    }

    /// BKV 0x1007 ↑ (fee-mode start/stop answer, typed by analogy, unverified): a start
    /// when it is ok and names a business number not seen on that port.
    pub fn bkv_start_answer(
        &mut self,
        gw: GatewayId,
        a: &StartStopAnswer,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        if let (Some(socket), Some(port), Some(ack), Some(business)) =
            (a.socket, a.port, a.ack, a.business_no)
            && ack.is_ok()
        {
            self.started(gw, socket.0, port.0, business.0, now, out);
        }
    }

    /// Forgets card orders whose 0x0F never came.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.pending
            .retain(|_, o| now - o.asked < PENDING_ORDER_TTL);
    }

    /// A start answer carries the business number of the charge. Start and stop answers
    /// look alike (fact sheet 2.4.3: result, socket, port, business no), but a start
    /// allocates a new number while a stop names the running one — which this session
    /// published as started (or ended) already. So: the first ok answer per (socket,
    /// port, business no) is the start. A stop of a charge begun before this
    /// connection reads as a start once; consumers key starts by business number.
    fn started(
        &mut self,
        gw: GatewayId,
        socket: u8,
        port: u8,
        business: u16,
        now: DateTime<Utc>,
        out: &mut Vec<Output>,
    ) {
        let key = (socket, port);
        if business == 0 || self.ended.get(&key) == Some(&business) {
            return;
        }
        if self.started.insert(key, business) == Some(business) {
            return;
        }
        out.push(Output::Event(DeviceEvent::ChargingStarted {
            device: socket_key(gw, socket),
            port: u32::from(port) + 1,
            order_ref: business.to_string(),
            business_no: u32::from(business),
            at: now,
        }));
    }

    /// Publishes an end once per (socket, port, business no); the acknowledgement has
    /// gone out already, duplicate or not.
    fn end(&mut self, gw: GatewayId, e: EndSample, now: DateTime<Utc>, out: &mut Vec<Output>) {
        if self.ended.insert((e.socket, e.port), e.business) == Some(e.business) {
            return;
        }
        out.push(Output::Event(DeviceEvent::ChargingEnded {
            device: socket_key(gw, e.socket),
            port: u32::from(e.port) + 1,
            order_ref: e.business.to_string(),
            business_no: u32::from(e.business),
            reason: e.reason.unwrap_or(EndReasonCode::Other),
            raw_reason: e.raw_reason,
            energy_wh: e.energy_wh,
            duration_secs: e.duration_secs,
            amount_fen: e.amount_fen,
            settle_power_dw: e.settle_power_dw,
            card_no: e.card_no,
            at: e.at.unwrap_or(now),
        }));
    }

    fn remember(&mut self, sequence: u32, socket: u8, port: u8, business: u16, now: DateTime<Utc>) {
        if self.pending.len() >= MAX_PENDING_ORDERS
            && let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, o)| o.asked)
                .map(|(s, _)| *s)
        {
            self.pending.remove(&oldest);
        }
        self.pending.insert(
            sequence,
            PendingOrder {
                socket,
                port,
                business,
                asked: now,
            },
        );
    }

    /// A fresh, non-zero sequence for a frame this session originates (fact sheet 2.2:
    /// the 0x1A balance answer and the 0x0B card order carry one).
    fn next_sequence(&mut self) -> u32 {
        self.issued = self.issued.wrapping_add(1);
        OWN_SEQUENCE_BASE | (self.issued & !OWN_SEQUENCE_BASE)
    }
}
