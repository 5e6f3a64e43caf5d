//! Run parameters and card parameters: set ↓ (0x83–0x86) and read back ↑
//! (answers to 0x90–0x93).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::{DeciVolts, DeciWatts};

fn dw(v: u16) -> DeciWatts {
    DeciWatts::new(u32::from(v))
}

fn put_dw16(w: &mut Writer<'_>, field: &'static str, p: DeciWatts) -> Result<(), Error> {
    let v = w.fit(field, u64::from(p.get()))?;
    w.u16(v);
    Ok(())
}

/// Run parameters 1.1: 0x83 set ↓ and 0x90 read-back ↑ (11 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RunParams11 {
    /// Unplug power (default 3); 0.1 W by the general rule.
    #[serde(rename = "unplug_power_dw")]
    pub unplug_power: DeciWatts,
    /// Unplug detection time (default 10 s).
    pub unplug_detect_s: u16,
    /// Float threshold, % of charging power (1–100) (default 20).
    pub float_percent: u8,
    /// Float detection time (default 1800 s).
    pub float_detect_s: u16,
    /// Float charge time (default 3600 s).
    pub float_time_s: u16,
    /// Heartbeat interval (default 180 s).
    pub heartbeat_interval_s: u16,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for RunParams11 {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(RunParams11 {
            unplug_power: dw(r.u16("unplug_power")?),
            unplug_detect_s: r.u16("unplug_detect_time")?,
            float_percent: r.u8("float_percent")?,
            float_detect_s: r.u16("float_detect_time")?,
            float_time_s: r.u16("float_time")?,
            heartbeat_interval_s: r.u16("heartbeat_interval")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        put_dw16(w, "unplug_power", self.unplug_power)?;
        w.u16(self.unplug_detect_s);
        w.u8(self.float_percent);
        w.u16(self.float_detect_s);
        w.u16(self.float_time_s);
        w.u16(self.heartbeat_interval_s);
        w.finish(&self.extra)
    }
}

/// Run parameters 1.2: 0x84 set ↓ and 0x91 read-back ↑ (23 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RunParams12 {
    /// Dynamic overload power (default 800).
    #[serde(rename = "dynamic_overload_power_dw")]
    pub dynamic_overload_power: DeciWatts,
    /// Dynamic overload detection time (default 30 s).
    pub dynamic_overload_detect_s: u16,
    /// Dynamic overload start time (default 1800 s).
    pub dynamic_overload_start_s: u16,
    /// Unplug interference power (default 10) (one byte on the wire).
    #[serde(rename = "unplug_interference_power_dw")]
    pub unplug_interference_power: DeciWatts,
    /// Unplug interference time (default 300 s).
    pub unplug_interference_s: u16,
    /// Second float detection time point (default 10800 s).
    pub float_second_time_point_s: u16,
    /// Second float detection time (default 300 s).
    pub float_second_detect_s: u16,
    /// Minimum power (default 300).
    #[serde(rename = "min_power_dw")]
    pub min_power: DeciWatts,
    /// Minimum-power time point (default 1800 s).
    pub min_power_time_point_s: u16,
    /// Second-max-power time point (default 300 s).
    pub second_max_power_time_point_s: u16,
    /// Ambient alarm temperature, °C without offset (default 80).
    pub ambient_alarm_c: u8,
    /// Port alarm temperature, °C without offset (default 80).
    pub port_alarm_c: u8,
    /// Optocoupler unplug detection: 0 on, other off.
    pub optocoupler_unplug: u8,
    /// QR backlight, persistent: 0 on, 1 off.
    pub qr_light: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for RunParams12 {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(RunParams12 {
            dynamic_overload_power: dw(r.u16("dynamic_overload_power")?),
            dynamic_overload_detect_s: r.u16("dynamic_overload_detect_time")?,
            dynamic_overload_start_s: r.u16("dynamic_overload_start_time")?,
            unplug_interference_power: dw(u16::from(r.u8("unplug_interference_power")?)),
            unplug_interference_s: r.u16("unplug_interference_time")?,
            float_second_time_point_s: r.u16("float_second_time_point")?,
            float_second_detect_s: r.u16("float_second_detect_time")?,
            min_power: dw(r.u16("min_power")?),
            min_power_time_point_s: r.u16("min_power_time_point")?,
            second_max_power_time_point_s: r.u16("second_max_power_time_point")?,
            ambient_alarm_c: r.u8("ambient_alarm_temperature")?,
            port_alarm_c: r.u8("port_alarm_temperature")?,
            optocoupler_unplug: r.u8("optocoupler_unplug")?,
            qr_light: r.u8("qr_light")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        put_dw16(w, "dynamic_overload_power", self.dynamic_overload_power)?;
        w.u16(self.dynamic_overload_detect_s);
        w.u16(self.dynamic_overload_start_s);
        let p = w.fit(
            "unplug_interference_power",
            u64::from(self.unplug_interference_power.get()),
        )?;
        w.u8(p);
        w.u16(self.unplug_interference_s);
        w.u16(self.float_second_time_point_s);
        w.u16(self.float_second_detect_s);
        put_dw16(w, "min_power", self.min_power)?;
        w.u16(self.min_power_time_point_s);
        w.u16(self.second_max_power_time_point_s);
        w.u8(self.ambient_alarm_c);
        w.u8(self.port_alarm_c);
        w.u8(self.optocoupler_unplug);
        w.u8(self.qr_light);
        w.finish(&self.extra)
    }
}

/// Run parameters 2: 0x85 set ↓ and 0x92 read-back ↑. The spec example is
/// the 4-byte form; over-/under-voltage (2024-08-07) are optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RunParams2 {
    /// Max charge time (default 36000 s).
    pub max_charge_time_s: u16,
    /// Per-port overload power (≤ 2000 W dual/multi-port, 3500 W high-power).
    #[serde(rename = "overload_power_dw")]
    pub overload_power: DeciWatts,
    /// Over-voltage limit (default 2700 = 270 V).
    #[serde(rename = "over_voltage_dv", skip_serializing_if = "Option::is_none")]
    pub over_voltage: Option<DeciVolts>,
    /// Under-voltage limit (default 1000 = 100 V).
    #[serde(rename = "under_voltage_dv", skip_serializing_if = "Option::is_none")]
    pub under_voltage: Option<DeciVolts>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for RunParams2 {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(RunParams2 {
            max_charge_time_s: r.u16("max_charge_time")?,
            overload_power: dw(r.u16("overload_power")?),
            over_voltage: r.opt_u16().map(DeciVolts::new),
            under_voltage: r.opt_u16().map(DeciVolts::new),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.max_charge_time_s);
        put_dw16(w, "overload_power", self.overload_power)?;
        w.opt_u16("over_voltage", self.over_voltage.map(DeciVolts::get))?;
        w.opt_u16("under_voltage", self.under_voltage.map(DeciVolts::get))?;
        w.finish(&self.extra)
    }
}

/// User-card parameters: 0x86 set ↓ and 0x93 read-back ↑.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CardParams {
    /// User-card sector (default 0).
    pub sector: u8,
    /// User-card key (default `15 91 85 19 18 80`).
    #[serde(rename = "user_key_hex", serialize_with = "crate::hex::serialize")]
    pub user_key: [u8; 6],
    /// New-card key (default `FF FF FF FF FF FF`).
    #[serde(rename = "new_card_key_hex", serialize_with = "crate::hex::serialize")]
    pub new_card_key: [u8; 6],
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for CardParams {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CardParams {
            sector: r.u8("sector")?,
            user_key: r.array("user_key")?,
            new_card_key: r.array("new_card_key")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.sector);
        w.bytes(&self.user_key);
        w.bytes(&self.new_card_key);
        w.finish(&self.extra)
    }
}
