//! What a test (through the handle) makes a GN gateway's users and sockets do: card
//! swipes (0x0B) and balance queries (0x1A), unplugging, faults and alarms (BKV
//! 0x1010).

use bytes::Bytes;
use codec_gn::bkv::{BkvBody, BkvPacket, Event};
use codec_gn::codes::{PortStatus, RawBytes};
use codec_gn::msg::socket_up::{BalanceQuery, CardSwiped, SocketUp};
use codec_gn::{BusinessNo, Message, PortNo};

use super::GnGateway;
use super::charge::card_no;
use crate::clock::SimTime;
use crate::event::SimEvent;
use crate::faults::{EndReason, PortFault};
use crate::runner::{Action, Outbox};

/// Pending balance queries remembered.
const MAX_BALANCES: usize = 8;

impl GnGateway {
    pub(super) fn act(&mut self, now: SimTime, action: Action, out: &mut Outbox) {
        match action {
            Action::SwipeCard { index, card } => self.swipe(now, index, card, out),
            Action::QueryBalance { index, card } => self.balance_query(index, card, out),
            Action::Plug { index, plugged } => {
                let (s, p) = split(index);
                let charging = self.port(s, p).is_some_and(|x| x.charge.is_some());
                if charging && !plugged {
                    self.end_charge(s, p, now, EndReason::Unplugged, out);
                }
                if let Some(x) = self.port_mut(s, p) {
                    x.plugged = plugged;
                }
                self.mark_dirty(s);
            }
            Action::Fault { index, fault } => self.fault(now, index, fault, out),
            Action::ClearFault { index } => {
                let (s, p) = split(index);
                if let Some(x) = self.port_mut(s, p) {
                    x.fault = None;
                }
                self.mark_dirty(s);
            }
            Action::Alarm { index, alarm } => {
                let s = index.map_or(0, |i| split(i).0);
                let Some(socket) = self.sockets.get(s).and_then(|k| k.number) else {
                    return;
                };
                let event = Event {
                    socket: Some(socket),
                    socket_event_reason: Some(alarm.code()),
                    socket_event_status: Some(1),
                    ..Event::default()
                };
                self.send_event(event, out);
                out.event(SimEvent::AlarmRaised {
                    port: index.map(|i| {
                        let (s, p) = split(i);
                        self.port_ref(s, p)
                    }),
                    alarm,
                });
            }
            Action::DropCommands(n) => self.drop.arm(n),
        }
    }

    fn send_event(&mut self, event: Event, out: &mut Outbox) {
        let msg = Message::Bkv(BkvPacket::new(0, self.id, BkvBody::Event(event)));
        if let Some(b) = self.encode(0, msg) {
            out.frame(b);
        }
    }

    /// A swipe asks for a card order (the socket allocates the business number the
    /// order will echo); on a port charging for the same card it stops the charge.
    fn swipe(&mut self, now: SimTime, index: usize, card: u64, out: &mut Outbox) {
        let (s, p) = split(index);
        let Some(socket) = self.sockets.get(s).and_then(|k| k.number) else {
            return;
        };
        let same_card = self
            .port(s, p)
            .and_then(|x| x.charge.as_ref())
            .is_some_and(|c| c.session.card == Some(card));
        if same_card {
            self.end_charge(s, p, now, EndReason::CardStop, out);
            return;
        }
        let business = self.alloc_business();
        if let Some(x) = self.port_mut(s, p) {
            x.swipe = Some((card, business));
        }
        let msg = SocketUp::CardSwiped(CardSwiped {
            socket,
            port: PortNo(p),
            business_no: BusinessNo(business),
            status: PortStatus(0x80),
            card: card_no(card),
            offline_params: RawBytes(Bytes::from_static(&[0; CardSwiped::OFFLINE_PARAMS_LEN])),
            extra: RawBytes::default(),
        });
        if let Some(b) = self.encode(0, Message::SocketUp(msg)) {
            out.frame(b);
        }
        out.event(SimEvent::CardSwiped {
            port: Some(self.port_ref(s, p)),
            card,
            balance_query: false,
        });
    }

    fn balance_query(&mut self, index: usize, card: u64, out: &mut Outbox) {
        let (s, p) = split(index);
        let Some(socket) = self.sockets.get(s).and_then(|k| k.number) else {
            return;
        };
        let msg = SocketUp::BalanceQuery(BalanceQuery {
            socket,
            port: PortNo(p),
            card: card_no(card),
            extra: RawBytes::default(),
        });
        if let Some(b) = self.encode(0, Message::SocketUp(msg)) {
            out.frame(b);
        }
        if self.balances.len() >= MAX_BALANCES {
            self.balances.pop_front();
        }
        self.balances.push_back((s, card));
        out.event(SimEvent::CardSwiped {
            port: Some(self.port_ref(s, p)),
            card,
            balance_query: true,
        });
    }

    /// A port fault: BKV 0x1010 with the port's reason and status, and the end of a
    /// running charge.
    fn fault(&mut self, now: SimTime, index: usize, fault: PortFault, out: &mut Outbox) {
        let (s, p) = split(index);
        let Some(socket) = self.sockets.get(s).and_then(|k| k.number) else {
            return;
        };
        if fault.persists()
            && let Some(x) = self.port_mut(s, p)
        {
            x.fault = Some(fault);
        }
        out.event(SimEvent::FaultRaised {
            port: self.port_ref(s, p),
            fault,
        });
        let status = PortStatus(0x80 | fault.gn_status_bits());
        let mut event = Event {
            socket: Some(socket),
            ..Event::default()
        };
        if p == 0 {
            event.port1_event_reason = Some(fault.gn_event_reason());
            event.port1_event_status = Some(1);
            event.port1_charge_status = Some(status);
        } else {
            event.port2_event_reason = Some(fault.gn_event_reason());
            event.port2_event_status = Some(1);
            event.port2_charge_status = Some(status);
        }
        self.send_event(event, out);
        if self.port(s, p).is_some_and(|x| x.charge.is_some()) {
            self.end_charge(s, p, now, EndReason::Fault(fault), out);
        }
        self.mark_dirty(s);
    }
}

/// Flat port index → (socket index, port 0 = A / 1 = B).
fn split(index: usize) -> (usize, u8) {
    (index / 2, (index % 2) as u8)
}
