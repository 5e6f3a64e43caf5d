//! 0x03 settlement ↑ and the cabinet's 0x43 "finished, not settled" ↑, which
//! share their first nine fields (fact sheet §1.7.6).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::{DeciWatts, UnixTime, Wh};
use crate::values::{CardId, OrderNo, Port};

/// The nine fields 0x03 settlement and 0x43 "finished, not settled" share.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChargeRecord {
    /// Length of the charge.
    pub charge_duration_s: u16,
    /// Highest power of the whole charge.
    #[serde(rename = "max_power_dw")]
    pub max_power: DeciWatts,
    /// Energy of the charge.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// The port.
    pub port: Port,
    /// 0 offline card, 1 online (0x82), 3 verification code.
    pub start_mode: u8,
    /// Card id or verification code; zero for online starts.
    pub card_id: CardId,
    /// Stop reason (§1.8.4).
    pub stop_reason: u8,
    /// Online: the 0x82 order number; offline: built by the device.
    pub order_no: OrderNo,
}

impl ChargeRecord {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ChargeRecord {
            charge_duration_s: r.u16("charge_duration")?,
            max_power: DeciWatts::new(u32::from(r.u16("max_power")?)),
            energy: Wh::from_centi_kwh(u32::from(r.u16("energy")?)),
            port: Port::new(r.u8("port")?),
            start_mode: r.u8("start_mode")?,
            card_id: r.card_id("card_id")?,
            stop_reason: r.u8("stop_reason")?,
            order_no: r.order_no("order_no")?,
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.charge_duration_s);
        let p = w.fit("max_power", u64::from(self.max_power.get()))?;
        w.u16(p);
        let e = w.centi_kwh("energy", self.energy)?;
        w.u16(e);
        w.u8(self.port.get());
        w.u8(self.start_mode);
        w.bytes(self.card_id.as_bytes());
        w.u8(self.stop_reason);
        w.bytes(self.order_no.as_bytes());
        Ok(())
    }
}

/// 0x03 settlement ↑. The server **must** answer
/// ([`ResultAnswer`](super::ResultAnswer)); the device resends every 30 min
/// until answered, so deduplicate (physical id, port, order no).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Settlement {
    /// The charge.
    #[serde(flatten)]
    pub record: ChargeRecord,
    /// Highest power within the first 5 minutes.
    #[serde(
        rename = "second_max_power_dw",
        skip_serializing_if = "Option::is_none"
    )]
    pub second_max_power: Option<DeciWatts>,
    /// Device clock (debug only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTime>,
    /// Minutes occupied after full (cabinets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupancy_min: Option<u16>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for Settlement {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(Settlement {
            record: ChargeRecord::read(r)?,
            second_max_power: r.opt_u16().map(|v| DeciWatts::new(u32::from(v))),
            timestamp: r.opt_u32().map(UnixTime::new),
            occupancy_min: r.opt_u16(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.record.write(w)?;
        w.opt_u16_fit(
            "second_max_power",
            self.second_max_power.map(|p| u64::from(p.get())),
        )?;
        w.opt_u32("timestamp", self.timestamp.map(UnixTime::secs))?;
        w.opt_u16("occupancy_min", self.occupancy_min)?;
        w.finish(&self.extra)
    }
}

/// 0x43 cabinet: charge finished, not settled ↑ (no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChargeFinished {
    /// The charge.
    #[serde(flatten)]
    pub record: ChargeRecord,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for ChargeFinished {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ChargeFinished {
            record: ChargeRecord::read(r)?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.record.write(w)?;
        w.finish(&self.extra)
    }
}
