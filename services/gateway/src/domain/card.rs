//! The answer a pile gets once charging decided about a card, for whichever protocol
//! asked: the context the session kept ([`CardReplyContext`]) plus the decision.
//!
//! GN decisions (the 0x0B card order, fact sheet 2.4.3):
//! - account status 0 switches the port on **by time with duration 0**. The order's
//!   duration has no documented unit (4.2 #13) and the gateway does not know what the
//!   balance buys, so it sets no limit of its own: the charge runs until the socket
//!   stops it (unplugged, full, its max charge time — BKV 0x59, 600 min by default), the
//!   same card is swiped again, or charging stops it through the command path.
//! - anything else refuses: the order with switch off, sent with **sequence 0**. A
//!   refusal answers the swipe report the way device reports are answered (2.2); only
//!   an order that switches on carries the fresh sequence whose 0x0F echo the session
//!   reads as a confirmed start.
//! - a balance query (0x1A) is answered with the balance, whatever the status, under the
//!   fresh sequence the fact sheet's example shows.

use bytes::Bytes;
use codec_dny::{Downlink, Frame, MessageId, PhysicalId};
use codec_gn::codes::{BillingMode, RawBytes, Switch};
use codec_gn::msg::socket_down::{BalanceAnswer, CardOrder, SocketDown};
use codec_gn::units::{Fen, Wh};
use codec_gn::{BusinessNo, CardNo, Direction, GatewayId, Message, Packet, PortNo, SocketNo};

use super::CardReplyContext;

/// The frame answering a card decision: `account_status` (DNY codes, fact sheet 1.8.5;
/// 0 = ok) and the balance in fen. `None` only if the frame cannot be encoded.
pub fn card_answer(ctx: &CardReplyContext, account_status: u8, balance_fen: u32) -> Option<Bytes> {
    match ctx {
        CardReplyContext::Dny {
            physical_id,
            message_id,
            card_id,
            port_wire,
        } => Frame {
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
        .ok(),
        CardReplyContext::Gn {
            gateway_id,
            sequence,
            socket,
            port_wire,
            card_no,
            business_no,
        } => {
            let (sequence, message) = match business_no {
                Some(business) => {
                    let on = account_status == 0;
                    let order = CardOrder {
                        socket: SocketNo(*socket),
                        port: PortNo(*port_wire),
                        business_no: BusinessNo(*business),
                        switch: if on { Switch::ON } else { Switch::OFF },
                        mode: BillingMode::TIME,
                        duration_raw: 0,
                        energy: Wh::new(0),
                        plan: None,
                        extra: RawBytes::default(),
                    };
                    (if on { *sequence } else { 0 }, SocketDown::CardOrder(order))
                }
                None => (
                    *sequence,
                    SocketDown::BalanceAnswer(BalanceAnswer {
                        socket: SocketNo(*socket),
                        port: PortNo(*port_wire),
                        card: CardNo::from_bytes(*card_no),
                        balance: Fen::new(i64::from(balance_fen)),
                        extra: RawBytes::default(),
                    }),
                ),
            };
            Packet::new(
                Direction::Down,
                sequence,
                GatewayId::from_bytes(*gateway_id),
                Message::SocketDown(message),
            )
            .encode()
            .ok()
        }
    }
}
