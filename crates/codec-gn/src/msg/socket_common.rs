//! Field groups shared by several 0x0015 sub-commands.

use serde::Serialize;

use crate::codes::{PortStatus, SocketFirmware};
use crate::error::Error;
use crate::ids::{BusinessNo, PortNo, SocketNo};
use crate::units::{Celsius, DeciVolts, DeciWatts, Fen, MilliAmps, Seconds, Wh};
use crate::wire::{Reader, Writer, to_u8};

/// One port of a 0x1C status answer (14 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PortReport {
    /// Port: 0 = A, 1 = B.
    pub port: PortNo,
    /// Port status bit field.
    pub status: PortStatus,
    /// Business number of the running order (0 when idle).
    pub business_no: BusinessNo,
    /// Voltage.
    #[serde(rename = "voltage_dv")]
    pub voltage: DeciVolts,
    /// Instantaneous power.
    #[serde(rename = "power_dw")]
    pub power: DeciWatts,
    /// Instantaneous current.
    #[serde(rename = "current_ma")]
    pub current: MilliAmps,
    /// Energy since the start of this charge.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// Charge time (minutes on the wire).
    #[serde(rename = "charge_duration_s")]
    pub charge_duration: Seconds,
}

impl PortReport {
    /// Wire size.
    pub const LEN: usize = 14;

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            port: r.port()?,
            status: r.status()?,
            business_no: r.business_no()?,
            voltage: r.decivolts("voltage")?,
            power: r.deciwatts("power")?,
            current: r.milliamps("current")?,
            energy: r.wh("energy")?,
            charge_duration: r.minutes("charge minutes")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port.0);
        w.u8(self.status.0);
        w.u16(self.business_no.0);
        w.decivolts(self.voltage, "voltage")?;
        w.deciwatts(self.power, "power")?;
        w.milliamps(self.current, "current")?;
        w.wh(self.energy, "energy")?;
        w.minutes(self.charge_duration, "charge minutes")
    }
}

/// The fields that open every end report (0x02, 0x18, 0x0C ↑; 17 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EndReport {
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
    /// Port: 0 = A, 1 = B.
    pub port: PortNo,
    /// Port status at the end (0x98 = online, charging bit, no load).
    pub status: PortStatus,
    /// Business number, the same as at the start.
    pub business_no: BusinessNo,
    /// Instantaneous power.
    #[serde(rename = "power_dw")]
    pub power: DeciWatts,
    /// Instantaneous current.
    #[serde(rename = "current_ma")]
    pub current: MilliAmps,
    /// Energy used.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// Charge time (minutes on the wire).
    #[serde(rename = "charge_duration_s")]
    pub charge_duration: Seconds,
}

impl EndReport {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            firmware: r.firmware()?,
            temperature: r.celsius("temperature")?,
            rssi: r.u8("rssi")?,
            port: r.port()?,
            status: r.status()?,
            business_no: r.business_no()?,
            power: r.deciwatts("power")?,
            current: r.milliamps("current")?,
            energy: r.wh("energy")?,
            charge_duration: r.minutes("charge minutes")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.u16(self.firmware.0);
        w.celsius(self.temperature, "temperature")?;
        w.u8(self.rssi);
        w.u8(self.port.0);
        w.u8(self.status.0);
        w.u16(self.business_no.0);
        w.deciwatts(self.power, "power")?;
        w.milliamps(self.current, "current")?;
        w.wh(self.energy, "energy")?;
        w.minutes(self.charge_duration, "charge minutes")
    }
}

/// One power bracket of a power-bracket order (6 bytes): up to `max_power`, the
/// price buys `duration` (`07D0 0019 003C` = up to 200 W, 0.25 yuan per 60 min).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PowerBracket {
    /// Power ceiling of the bracket.
    #[serde(rename = "max_power_dw")]
    pub max_power: DeciWatts,
    /// Price of one `duration`.
    #[serde(rename = "price_fen")]
    pub price: Fen,
    /// Charge time the price buys (minutes on the wire).
    #[serde(rename = "duration_s")]
    pub duration: Seconds,
}

impl PowerBracket {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            max_power: r.deciwatts("bracket power")?,
            price: r.fen16("bracket price")?,
            duration: r.minutes("bracket minutes")?,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.deciwatts(self.max_power, "bracket power")?;
        w.fen16(self.price, "bracket price")?;
        w.minutes(self.duration, "bracket minutes")
    }
}

/// `count u8` then that many power brackets.
pub(crate) fn read_brackets(r: &mut Reader<'_>) -> Result<Vec<PowerBracket>, Error> {
    let n = r.u8("bracket count")?;
    (0..n).map(|_| PowerBracket::decode(r)).collect()
}

pub(crate) fn write_brackets(w: &mut Writer<'_>, b: &[PowerBracket]) -> Result<(), Error> {
    w.u8(to_u8(b.len(), "power brackets")?);
    b.iter().try_for_each(|x| x.encode(w))
}

/// `count u8` then that many per-bracket charge times (minutes on the wire).
pub(crate) fn read_durations(r: &mut Reader<'_>) -> Result<Vec<Seconds>, Error> {
    let n = r.u8("bracket count")?;
    (0..n).map(|_| r.minutes("bracket minutes")).collect()
}

pub(crate) fn write_durations(w: &mut Writer<'_>, d: &[Seconds]) -> Result<(), Error> {
    w.u8(to_u8(d.len(), "bracket durations")?);
    d.iter().try_for_each(|x| w.minutes(*x, "bracket minutes"))
}
