//! 0x0015 sub-commands device → server.

use serde::Serialize;

use super::socket_common::{EndReport, PortReport, read_durations, write_durations};
use super::subs::{Sub, no_bytes, sub_enum};
use crate::codes::{BillingMode, PortStatus, RawBytes, ResultCode, SocketFirmware};
use crate::error::Error;
use crate::ids::{BusinessNo, CardNo, PortNo, SocketNo};
use crate::time;
use crate::units::{Celsius, DeciWatts, Fen, Seconds, UnixTime};
use crate::wire::{Reader, Writer};

sub_enum! {
    /// A 0x0015 sub-command from a device.
    pub enum SocketUp {
        /// 0x1C status answer (the bytes of the document's example say 1C).
        StatusAnswer(StatusAnswer) = 0x1C, "socket status";
        /// 0x1D status answer under the sub-command of the query (the document's
        /// annotation); accepted and re-encoded as 0x1D.
        StatusAnswerAs1D(StatusAnswer) = 0x1D, "socket status (as 0x1d)";
        /// 0x07 control answer.
        ControlAnswer(ControlAnswer) = 0x07, "control answer";
        /// 0x02 charging ended (by time / energy).
        ChargeEnded(ChargeEnded) = 0x02, "charging ended";
        /// 0x18 power-bracket charging ended.
        PowerBracketEnded(PowerBracketEnded) = 0x18, "power-bracket charging ended";
        /// 0x0B card swiped.
        CardSwiped(CardSwiped) = 0x0B, "card swiped";
        /// 0x0F card order accepted.
        OrderAccepted(OrderAccepted) = 0x0F, "order accepted";
        /// 0x0C card charging ended.
        CardChargeEnded(CardChargeEnded) = 0x0C, "card charging ended";
        /// 0x1A card balance query.
        BalanceQuery(BalanceQuery) = 0x1A, "card balance query";
        /// 0x1B voice window answer.
        VoiceAnswer(VoiceAnswer) = 0x1B, "voice window answer";
    }
}

/// 0x1C: one socket's status, then 14 bytes per port.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StatusAnswer {
    /// Socket number.
    pub socket: SocketNo,
    /// Socket firmware.
    #[serde(rename = "sw_version")]
    pub firmware: SocketFirmware,
    /// Socket temperature.
    #[serde(rename = "temperature_c")]
    pub temperature: Celsius,
    /// Radio signal strength.
    pub rssi: u8,
    /// Ports (as many whole 14-byte groups as follow).
    pub ports: Vec<PortReport>,
    /// Bytes after the last whole port.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for StatusAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let socket = r.socket()?;
        let firmware = r.firmware()?;
        let temperature = r.celsius("temperature")?;
        let rssi = r.u8("rssi")?;
        let n = r.remaining() / PortReport::LEN;
        let ports = (0..n)
            .map(|_| PortReport::decode(r))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            socket,
            firmware,
            temperature,
            rssi,
            ports,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u16(self.firmware.0);
        w.celsius(self.temperature, "temperature")?;
        w.u8(self.rssi);
        self.ports.iter().try_for_each(|p| p.encode(w))?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x07 ↑: result of a control command, with the business number the device allocated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ControlAnswer {
    /// 1 ok, 0 fail.
    pub result: ResultCode,
    /// Socket number.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// Business number allocated by the device.
    pub business_no: BusinessNo,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for ControlAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            result: ResultCode(r.u8("result")?),
            socket: r.socket()?,
            port: r.port()?,
            business_no: r.business_no()?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result.0);
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u16(self.business_no.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x02: charging ended. Acknowledge with 0x0C ↓ or the gateway resends it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChargeEnded {
    /// The end report.
    #[serde(flatten)]
    pub report: EndReport,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for ChargeEnded {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            report: EndReport::decode(r)?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.report.encode(w)?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x18: power-bracket charging ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PowerBracketEnded {
    /// The end report.
    #[serde(flatten)]
    pub report: EndReport,
    /// End time (binary local wall clock on the wire).
    pub end_time: UnixTime,
    /// End reason (codes undocumented; kept raw).
    pub end_reason: u8,
    /// Amount spent (sum over brackets).
    #[serde(rename = "amount_fen")]
    pub amount: Fen,
    /// Settle power: the highest power seen, which decides the bracket.
    #[serde(rename = "settle_power_dw")]
    pub settle_power: DeciWatts,
    /// Charge time per bracket (minutes on the wire).
    #[serde(rename = "bracket_durations_s")]
    pub bracket_durations: Vec<Seconds>,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for PowerBracketEnded {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let report = EndReport::decode(r)?;
        let raw = r.array::<7>("end time")?;
        let end_time = time::from_binary(&raw).ok_or_else(|| {
            r.error(format!(
                "end time {} is not a date",
                crate::hex::encode(&raw)
            ))
        })?;
        Ok(Self {
            report,
            end_time,
            end_reason: r.u8("end reason")?,
            amount: r.fen16("amount")?,
            settle_power: r.deciwatts("settle power")?,
            bracket_durations: read_durations(r)?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.report.encode(w)?;
        let t = time::to_binary_bytes(self.end_time)
            .ok_or_else(|| Error::encode("end time", "year outside 0–65535"))?;
        w.bytes(&t);
        w.u8(self.end_reason);
        w.fen16(self.amount, "amount")?;
        w.deciwatts(self.settle_power, "settle power")?;
        write_durations(w, &self.bracket_durations)?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0B ↑: a card was swiped; answer with a 0x0B card order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardSwiped {
    /// Socket number.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// Business number for the order.
    pub business_no: BusinessNo,
    /// Port status.
    pub status: PortStatus,
    /// Card number.
    #[serde(rename = "card_no")]
    pub card: CardNo,
    /// Offline-card parameters, 20 bytes (zeros; offline cards unsupported).
    #[serde(rename = "offline_params_hex")]
    pub offline_params: RawBytes,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl CardSwiped {
    /// Size of the offline-card parameters.
    pub const OFFLINE_PARAMS_LEN: usize = 20;
}

impl Sub for CardSwiped {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            business_no: r.business_no()?,
            status: r.status()?,
            card: r.card()?,
            offline_params: RawBytes(r.slice(Self::OFFLINE_PARAMS_LEN, "offline params")?),
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.offline_params.0.len() != Self::OFFLINE_PARAMS_LEN {
            return Err(Error::encode("offline params", "must be 20 bytes"));
        }
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u16(self.business_no.0);
        w.u8(self.status.0);
        w.bytes(self.card.as_bytes());
        w.bytes(&self.offline_params.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0F ↑: the card order was accepted (sequence = the order's).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OrderAccepted {
    /// Socket number.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// 1 ok.
    pub result: ResultCode,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for OrderAccepted {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            result: ResultCode(r.u8("result")?),
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u8(self.result.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0C ↑: card charging ended; acknowledge with 0x0C ↓.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardChargeEnded {
    /// The end report.
    #[serde(flatten)]
    pub report: EndReport,
    /// Card number.
    #[serde(rename = "card_no")]
    pub card: CardNo,
    /// Card type (0 online).
    pub card_type: u8,
    /// 1 time, 2 energy, 3 power brackets.
    pub billing_mode: BillingMode,
    /// Amount spent (power brackets only).
    #[serde(rename = "amount_fen")]
    pub amount: Fen,
    /// Settle power (power brackets only).
    #[serde(rename = "settle_power_dw")]
    pub settle_power: DeciWatts,
    /// Charge time per bracket (power brackets only; minutes on the wire).
    #[serde(rename = "bracket_durations_s")]
    pub bracket_durations: Vec<Seconds>,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for CardChargeEnded {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            report: EndReport::decode(r)?,
            card: r.card()?,
            card_type: r.u8("card type")?,
            billing_mode: BillingMode(r.u8("billing mode")?),
            amount: r.fen16("amount")?,
            settle_power: r.deciwatts("settle power")?,
            bracket_durations: read_durations(r)?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.report.encode(w)?;
        w.bytes(self.card.as_bytes());
        w.u8(self.card_type);
        w.u8(self.billing_mode.0);
        w.fen16(self.amount, "amount")?;
        w.deciwatts(self.settle_power, "settle power")?;
        write_durations(w, &self.bracket_durations)?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x1A ↑: a card's balance is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BalanceQuery {
    /// Socket number.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// Card number.
    #[serde(rename = "card_no")]
    pub card: CardNo,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for BalanceQuery {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            card: r.card()?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.bytes(self.card.as_bytes());
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x1B ↑: voice window answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VoiceAnswer {
    /// Socket number.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// 1 ok, 0 fail.
    pub result: ResultCode,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for VoiceAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            result: ResultCode(r.u8("result")?),
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u8(self.result.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}
