//! 0x82 start / stop charging ↓ and the device's answer ↑ (fact sheet
//! §1.7.8).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::charging::{RATE_MODE_ENERGY, RATE_MODE_MONTHLY};
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::{DeciWatts, Fen, UnixTime, Wh};
use crate::values::{OrderNo, Port};

/// `charge_command` value that starts a charge.
pub const CHARGE_START: u8 = 1;
/// `charge_command` value that stops a charge (must carry the running order).
pub const CHARGE_STOP: u8 = 0;

/// 0x82 start / stop ↓. The spec example is the old 29-byte form (ends after
/// `overload_power`); the full current form is 38 bytes. Every field after
/// `order_no` is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StartStop {
    /// 0 timed, 1 monthly, 2 energy, 3 per use.
    pub rate_mode: u8,
    /// For the voice prompt only: balance in fen, or (monthly) an expiry
    /// timestamp; the device reads values above 100000000 as a time.
    pub balance_or_expiry: u32,
    /// 0-based port, [`Port::ANY`] = the device picks a plugged port.
    pub port: Port,
    /// [`CHARGE_START`] or [`CHARGE_STOP`].
    pub charge_command: u8,
    /// Seconds (timed) or 0.01 kWh (rate mode 2); 0 = until full. See
    /// [`StartStop::duration_s`] and [`StartStop::energy`].
    pub duration_or_energy: u16,
    /// Echoed in 0x06 and 0x03; a stop must carry the running order.
    pub order_no: OrderNo,
    /// Max charge duration for this order, 0 = device setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_s: Option<u16>,
    /// Overload power for this order, 0 = device setting.
    #[serde(rename = "overload_power_dw", skip_serializing_if = "Option::is_none")]
    pub overload_power: Option<DeciWatts>,
    /// QR backlight for the next plug-in: 0 on, 1 off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_light: Option<u8>,
    /// 1 = keep power after float charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_charge_mode: Option<u8>,
    /// Extra float time; 0xFFFF = no float.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_float_time_s: Option<u16>,
    /// 0 and 1 skip the short-circuit check, 2 checks (sic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_circuit_check: Option<u8>,
    /// 1 = do not detect unplugging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_unplug: Option<u8>,
    /// 1 = stop when full even when timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_auto_stop: Option<u8>,
    /// "Full" power threshold in **whole watts** (not 0.1 W); 0 or 0xFF = off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_power_w: Option<u8>,
    /// Longest full-power judging time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_power_max_judge_min: Option<u8>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl StartStop {
    /// The charge duration, unless the rate mode is by energy.
    pub fn duration_s(&self) -> Option<u16> {
        (self.rate_mode != RATE_MODE_ENERGY).then_some(self.duration_or_energy)
    }

    /// The energy limit, for rate mode 2.
    pub fn energy(&self) -> Option<Wh> {
        (self.rate_mode == RATE_MODE_ENERGY)
            .then(|| Wh::from_centi_kwh(u32::from(self.duration_or_energy)))
    }

    /// The balance for the voice prompt, unless the rate mode is monthly.
    pub fn balance(&self) -> Option<Fen> {
        (self.rate_mode != RATE_MODE_MONTHLY).then_some(Fen::new(self.balance_or_expiry))
    }

    /// The expiry for the voice prompt, if the rate mode is monthly.
    pub fn expiry(&self) -> Option<UnixTime> {
        (self.rate_mode == RATE_MODE_MONTHLY).then_some(UnixTime::new(self.balance_or_expiry))
    }
}

impl Payload for StartStop {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(StartStop {
            rate_mode: r.u8("rate_mode")?,
            balance_or_expiry: r.u32("balance_or_expiry")?,
            port: Port::new(r.u8("port")?),
            charge_command: r.u8("charge_command")?,
            duration_or_energy: r.u16("duration_or_energy")?,
            order_no: r.order_no("order_no")?,
            max_duration_s: r.opt_u16(),
            overload_power: r.opt_u16().map(|v| DeciWatts::new(u32::from(v))),
            qr_light: r.opt_u8(),
            long_charge_mode: r.opt_u8(),
            extra_float_time_s: r.opt_u16(),
            short_circuit_check: r.opt_u8(),
            ignore_unplug: r.opt_u8(),
            force_auto_stop: r.opt_u8(),
            full_power_w: r.opt_u8(),
            full_power_max_judge_min: r.opt_u8(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.rate_mode);
        w.u32(self.balance_or_expiry);
        w.u8(self.port.get());
        w.u8(self.charge_command);
        w.u16(self.duration_or_energy);
        w.bytes(self.order_no.as_bytes());
        w.opt_u16("max_duration_s", self.max_duration_s)?;
        w.opt_u16_fit(
            "overload_power",
            self.overload_power.map(|p| u64::from(p.get())),
        )?;
        w.opt_u8("qr_light", self.qr_light)?;
        w.opt_u8("long_charge_mode", self.long_charge_mode)?;
        w.opt_u16("extra_float_time_s", self.extra_float_time_s)?;
        w.opt_u8("short_circuit_check", self.short_circuit_check)?;
        w.opt_u8("ignore_unplug", self.ignore_unplug)?;
        w.opt_u8("force_auto_stop", self.force_auto_stop)?;
        w.opt_u8("full_power_w", self.full_power_w)?;
        w.opt_u8("full_power_max_judge_min", self.full_power_max_judge_min)?;
        w.finish(&self.extra)
    }
}

/// 0x82 answer ↑. The table has 20 bytes, but a real device answered with
/// only `01 01`, so everything after `result` is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StartStopAnswer {
    /// Answer code (§1.8.6): 0 done, 1 no charger, 2 already in that state, …
    pub result: u8,
    /// Echo of the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<OrderNo>,
    /// Echo of the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// Bit per port with a charger waiting; valid only with result 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_ports: Option<u16>,
    /// Undocumented trailing bytes (for the 2-byte answer: the second byte).
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for StartStopAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(StartStopAnswer {
            result: r.u8("result")?,
            order_no: r.opt_order_no(),
            port: r.opt_u8().map(Port::new),
            waiting_ports: r.opt_u16(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result);
        w.opt_bytes(
            "order_no",
            16,
            self.order_no.as_ref().map(|o| o.as_bytes().as_slice()),
        )?;
        w.opt_u8("port", self.port.map(Port::get))?;
        w.opt_u16("waiting_ports", self.waiting_ports)?;
        w.finish(&self.extra)
    }
}
