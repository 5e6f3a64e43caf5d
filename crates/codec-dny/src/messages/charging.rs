//! Charging flow: card swipe and its answer, the old order confirmation,
//! changing a running charge (fact sheet §1.7.5, §1.7.17, 0x04, 0x8A).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::{Fen, UnixTime, Wh};
use crate::values::{CardId, OrderNo, Port};

/// Rate mode value meaning "monthly": the balance/expiry field is then an
/// expiry timestamp.
pub const RATE_MODE_MONTHLY: u8 = 1;
/// Rate mode value meaning "by energy": the duration/energy field is then
/// 0.01 kWh.
pub const RATE_MODE_ENERGY: u8 = 2;

/// 0x02 card swipe ↑. Port 0xFF = balance query only; any other port is a
/// charging request. Answer: [`CardSwipeAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSwipe {
    /// M1 card UID.
    pub card_id: CardId,
    /// 0 old card, 1 new card, 2 balance card (deprecated), 3 UID only,
    /// 4 social-security card (number in `card2`).
    pub card_type: u8,
    /// Requested port, [`Port::ANY`] for a balance query.
    pub port: Port,
    /// Balance stored on the card (balance cards), u16 on the wire.
    #[serde(rename = "balance_fen")]
    pub balance: Fen,
    /// Device clock (debug only, may be wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTime>,
    /// Long card number, preceded on the wire by its length byte.
    #[serde(
        rename = "card2_hex",
        serialize_with = "ser_opt_hex",
        skip_serializing_if = "Option::is_none"
    )]
    pub card2: Option<Bytes>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

fn ser_opt_hex<S: serde::Serializer>(v: &Option<Bytes>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => crate::hex::serialize(b, s),
        None => s.serialize_none(),
    }
}

impl Payload for CardSwipe {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CardSwipe {
            card_id: r.card_id("card_id")?,
            card_type: r.u8("card_type")?,
            port: Port::new(r.u8("port")?),
            balance: Fen::new(u32::from(r.u16("balance")?)),
            timestamp: r.opt_u32().map(UnixTime::new),
            card2: r.opt_len_prefixed(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.bytes(self.card_id.as_bytes());
        w.u8(self.card_type);
        w.u8(self.port.get());
        let b = w.fit("balance", u64::from(self.balance.get()))?;
        w.u16(b);
        w.opt_u32("timestamp", self.timestamp.map(UnixTime::secs))?;
        w.opt_len_prefixed("card2", self.card2.as_ref())?;
        w.finish(&self.extra)
    }
}

/// 0x02 card swipe answer ↓.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSwipeAnswer {
    /// Echo of the swiped card.
    pub card_id: CardId,
    /// Account status (§1.8.5); the device speaks the matching prompt.
    pub account_status: u8,
    /// 0 timed, 1 monthly, 2 energy, 3 per use.
    pub rate_mode: u8,
    /// Balance in fen, or for the monthly rate mode an expiry timestamp; see
    /// [`CardSwipeAnswer::balance`] and [`CardSwipeAnswer::expiry`].
    pub balance_or_expiry: u32,
    /// Echo of the requested port.
    pub port: Port,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl CardSwipeAnswer {
    /// The balance, unless the rate mode is monthly.
    pub fn balance(&self) -> Option<Fen> {
        (self.rate_mode != RATE_MODE_MONTHLY).then_some(Fen::new(self.balance_or_expiry))
    }

    /// The expiry, if the rate mode is monthly.
    pub fn expiry(&self) -> Option<UnixTime> {
        (self.rate_mode == RATE_MODE_MONTHLY).then_some(UnixTime::new(self.balance_or_expiry))
    }
}

impl Payload for CardSwipeAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CardSwipeAnswer {
            card_id: r.card_id("card_id")?,
            account_status: r.u8("account_status")?,
            rate_mode: r.u8("rate_mode")?,
            balance_or_expiry: r.u32("balance_or_expiry")?,
            port: Port::new(r.u8("port")?),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.bytes(self.card_id.as_bytes());
        w.u8(self.account_status);
        w.u8(self.rate_mode);
        w.u32(self.balance_or_expiry);
        w.u8(self.port.get());
        w.finish(&self.extra)
    }
}

/// 0x04 order confirmation ↑ (old devices; replaced by 0x06).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OrderConfirmation {
    /// The port.
    pub port: Port,
    /// 0 offline card, 1 online, 3 verification code.
    pub start_mode: u8,
    /// Card id; zero for online starts.
    pub card_id: CardId,
    /// Seconds charged so far.
    pub charge_duration_s: u16,
    /// The order.
    pub order_no: OrderNo,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for OrderConfirmation {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(OrderConfirmation {
            port: Port::new(r.u8("port")?),
            start_mode: r.u8("start_mode")?,
            card_id: r.card_id("card_id")?,
            charge_duration_s: r.u16("charge_duration")?,
            order_no: r.order_no("order_no")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port.get());
        w.u8(self.start_mode);
        w.bytes(self.card_id.as_bytes());
        w.u16(self.charge_duration_s);
        w.bytes(self.order_no.as_bytes());
        w.finish(&self.extra)
    }
}

/// 0x04 order confirmation answer ↓.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OrderConfirmationAnswer {
    /// Echo of the port.
    pub port: Port,
    /// 0 = ok.
    pub result: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for OrderConfirmationAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(OrderConfirmationAnswer {
            port: Port::new(r.u8("port")?),
            result: r.u8("result")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port.get());
        w.u8(self.result);
        w.finish(&self.extra)
    }
}

/// 0x8A modify the duration or energy of a running charge ↓. Answer:
/// [`ResultAnswer`](super::ResultAnswer) (0 ok, 1 port not charging, 2 value
/// below what has run, 3 no such mode/port).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ModifyCharge {
    /// 0 timed without auto-stop, 1 timed with full-stop, 2 energy with
    /// full-stop.
    pub rate_mode: u8,
    /// The port.
    pub port: Port,
    /// Seconds, or 0.01 kWh for rate mode 2 (see [`ModifyCharge::energy`]).
    pub value: u16,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl ModifyCharge {
    /// The new energy limit, for rate mode 2.
    pub fn energy(&self) -> Option<Wh> {
        (self.rate_mode == RATE_MODE_ENERGY).then(|| Wh::from_centi_kwh(u32::from(self.value)))
    }
}

impl Payload for ModifyCharge {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ModifyCharge {
            rate_mode: r.u8("rate_mode")?,
            port: Port::new(r.u8("port")?),
            value: r.u16("value")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.rate_mode);
        w.u8(self.port.get());
        w.u16(self.value);
        w.finish(&self.extra)
    }
}
