//! 0x0015 sub-commands server → device.

use serde::Serialize;

use super::socket_common::{PowerBracket, read_brackets, write_brackets};
use super::subs::{Sub, no_bytes, sub_enum};
use crate::codes::{BillingMode, ControlMode, RawBytes, ResultCode, Switch, TimeOfDay};
use crate::error::Error;
use crate::ids::{BusinessNo, CardNo, PortNo, SocketNo};
use crate::units::{Fen, Seconds, Wh};
use crate::wire::{Reader, Writer, to_u8};

sub_enum! {
    /// A 0x0015 sub-command from the server.
    pub enum SocketDown {
        /// 0x1D query socket status.
        QueryStatus(QueryStatus) = 0x1D, "query socket status";
        /// 0x07 control by time / energy (start after scan-to-pay, or stop).
        Control(Control) = 0x07, "control by time/energy";
        /// 0x17 start by power brackets.
        PowerBracketStart(PowerBracketStart) = 0x17, "start by power brackets";
        /// 0x0B card order (answer to a card swipe).
        CardOrder(CardOrder) = 0x0B, "card order";
        /// 0x0C end acknowledged (also the captured answer to 0x02).
        EndAck(EndAck) = 0x0C, "end acknowledged";
        /// 0x1A card balance answer.
        BalanceAnswer(BalanceAnswer) = 0x1A, "card balance answer";
        /// 0x1B voice / beeper time windows.
        VoiceWindows(VoiceWindows) = 0x1B, "voice/beeper windows";
    }
}

/// 0x1D: query one socket's status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct QueryStatus {
    /// Socket number.
    pub socket: SocketNo,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for QueryStatus {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x07: switch a port on for a time or an energy amount, or off.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Control {
    /// Socket number.
    pub socket: SocketNo,
    /// Port: 0 = A, 1 = B.
    pub port: PortNo,
    /// 1 on, 0 off (on "off" the rest is ignored).
    pub switch: Switch,
    /// 1 by time, 0 by energy.
    pub mode: ControlMode,
    /// Charge time (minutes on the wire, 1–900).
    #[serde(rename = "duration_s")]
    pub duration: Seconds,
    /// Energy to deliver.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for Control {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            switch: Switch(r.u8("switch")?),
            mode: ControlMode(r.u8("mode")?),
            duration: r.minutes("duration")?,
            energy: r.wh("energy")?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u8(self.switch.0);
        w.u8(self.mode.0);
        w.minutes(self.duration, "duration")?;
        w.wh(self.energy, "energy")?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x17: start by power brackets; the device charges for as long as `amount`
/// buys at the bracket of the settle power.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PowerBracketStart {
    /// Socket number.
    pub socket: SocketNo,
    /// Port: 0 = A, 1 = B.
    pub port: PortNo,
    /// 1 on, 0 off.
    pub switch: Switch,
    /// Amount paid.
    #[serde(rename = "amount_fen")]
    pub amount: Fen,
    /// Brackets (the device supports at most 5).
    pub brackets: Vec<PowerBracket>,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for PowerBracketStart {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            switch: Switch(r.u8("switch")?),
            amount: r.fen16("amount")?,
            brackets: read_brackets(r)?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u8(self.switch.0);
        w.fen16(self.amount, "amount")?;
        write_brackets(w, &self.brackets)?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// The power-bracket part of a mode-3 card order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BracketPlan {
    /// Amount to charge for.
    #[serde(rename = "amount_fen")]
    pub amount: Fen,
    /// Brackets, as in 0x17.
    pub brackets: Vec<PowerBracket>,
}

/// 0x0B ↓: the order for a swiped card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardOrder {
    /// Socket number.
    pub socket: SocketNo,
    /// Port: 0 = A, 1 = B.
    pub port: PortNo,
    /// Business number echoed from the swipe.
    pub business_no: BusinessNo,
    /// 1 on, 0 off.
    pub switch: Switch,
    /// 1 time, 2 energy, 3 power brackets.
    pub mode: BillingMode,
    /// Duration as sent; its unit is not documented (`BB80` = 48000), so it
    /// stays raw.
    pub duration_raw: u16,
    /// Energy (0 when by time).
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// Present exactly when `mode` is 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<BracketPlan>,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for CardOrder {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let (socket, port, business_no) = (r.socket()?, r.port()?, r.business_no()?);
        let switch = Switch(r.u8("switch")?);
        let mode = BillingMode(r.u8("mode")?);
        let duration_raw = r.u16("duration")?;
        let energy = r.wh("energy")?;
        let plan = if mode == BillingMode::POWER_BRACKETS {
            Some(BracketPlan {
                amount: r.fen16("amount")?,
                brackets: read_brackets(r)?,
            })
        } else {
            None
        };
        Ok(Self {
            socket,
            port,
            business_no,
            switch,
            mode,
            duration_raw,
            energy,
            plan,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.plan.is_some() != (self.mode == BillingMode::POWER_BRACKETS) {
            return Err(Error::encode("plan", "present exactly when mode is 3"));
        }
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u16(self.business_no.0);
        w.u8(self.switch.0);
        w.u8(self.mode.0);
        w.u16(self.duration_raw);
        w.wh(self.energy, "energy")?;
        if let Some(plan) = &self.plan {
            w.fen16(plan.amount, "amount")?;
            write_brackets(w, &plan.brackets)?;
        }
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0C ↓: end acknowledged (`00 02 0C <socket> 01`; also stops the resends of 0x02).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EndAck {
    /// Socket number.
    pub socket: SocketNo,
    /// 1 ok.
    pub result: ResultCode,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for EndAck {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            result: ResultCode(r.u8("result")?),
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.result.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x1A ↓: a card's balance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BalanceAnswer {
    /// Socket number.
    pub socket: SocketNo,
    /// Port (echo it from the query; the example differs from its request).
    pub port: PortNo,
    /// Card number.
    #[serde(rename = "card_no")]
    pub card: CardNo,
    /// Balance.
    #[serde(rename = "balance_fen")]
    pub balance: Fen,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for BalanceAnswer {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            port: r.port()?,
            card: r.card()?,
            balance: r.fen32("balance")?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.bytes(self.card.as_bytes());
        w.fen32(self.balance, "balance")?;
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// A voice/beeper window, local wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TimeWindow {
    /// Start `hh:mm`.
    pub start: TimeOfDay,
    /// End `hh:mm`.
    pub end: TimeOfDay,
}

/// 0x1B ↓: when the socket may beep / speak.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VoiceWindows {
    /// Socket number; [`SocketNo::BROADCAST`] (254) = every socket of the gateway.
    pub socket: SocketNo,
    /// Port.
    pub port: PortNo,
    /// Beeper 1 on, 0 off.
    pub beeper: Switch,
    /// Voice 1 on, 0 off.
    pub voice: Switch,
    /// Windows (at most 2).
    pub windows: Vec<TimeWindow>,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for VoiceWindows {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let (socket, port) = (r.socket()?, r.port()?);
        let beeper = Switch(r.u8("beeper")?);
        let voice = Switch(r.u8("voice")?);
        let n = r.u8("window count")?;
        let windows = (0..n)
            .map(|_| {
                let [h0, m0, h1, m1] = r.array::<4>("window")?;
                Ok(TimeWindow {
                    start: TimeOfDay {
                        hour: h0,
                        minute: m0,
                    },
                    end: TimeOfDay {
                        hour: h1,
                        minute: m1,
                    },
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            socket,
            port,
            beeper,
            voice,
            windows,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u8(self.port.0);
        w.u8(self.beeper.0);
        w.u8(self.voice.0);
        w.u8(to_u8(self.windows.len(), "windows")?);
        for t in &self.windows {
            w.bytes(&[t.start.hour, t.start.minute, t.end.hour, t.end.minute]);
        }
        w.bytes(&self.extra.0);
        Ok(())
    }
}
