//! Host (主机) messages from the host↔server document, plus the sub-device
//! commands that share their layouts (0x00, 0x09, 0x0A).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::ids::{Iccid, PhysicalId};
use crate::units::{DeciVolts, DeciWatts, MilliAmps, UnixTime, Wh};
use crate::values::NulText;

/// Size of the ICCID field in 0x11.
pub const ICCID_LEN: usize = 20;
/// Size of the IMEI field in 0x11.
pub const IMEI_LEN: usize = 15;
/// Size of the module firmware field in 0x11.
pub const MODULE_FIRMWARE_LEN: usize = 24;
/// Size of the server address buffer in 0x34 / 0x0A.
pub const ADDRESS_LEN: usize = 46;

/// 0x11 host heartbeat ↑ (every 30 min, no answer). Sockets with their own
/// modem (code 04) send it too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HostHeartbeat {
    /// Firmware version.
    pub firmware_version: u16,
    /// 0 none, 1 SD2068, 2 BM8563.
    pub rtc_module: u8,
    /// The host's clock; 0 without an RTC.
    pub host_time: UnixTime,
    /// Modem CSQ 0–31, 99 error; some modems report 100 + (0–97).
    pub signal: u8,
    /// 1 WiFi, 2 2G, 3 4G, 4 2G GM35, 5 NB, 6/7/8 4G-CAT1.
    pub module_type: u8,
    /// The SIM's ICCID, 20 ASCII bytes as sent (see [`HostHeartbeat::iccid`]).
    pub iccid: NulText,
    /// Host type (§1.8.3 host table), or the 0x20 device type for sockets.
    pub host_type: u8,
    /// LoRa centre frequency, 0 if none.
    pub frequency: u16,
    /// Modem IMEI, 15 ASCII bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<NulText>,
    /// Modem firmware, 24 bytes NUL-padded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_firmware: Option<NulText>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl HostHeartbeat {
    /// The ICCID, if the field holds a valid one.
    pub fn valid_iccid(&self) -> Option<Iccid> {
        let raw: [u8; 20] = self.iccid.raw().as_ref().try_into().ok()?;
        Iccid::from_bytes(raw).ok()
    }
}

impl Payload for HostHeartbeat {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(HostHeartbeat {
            firmware_version: r.u16("firmware_version")?,
            rtc_module: r.u8("rtc_module")?,
            host_time: UnixTime::new(r.u32("host_timestamp")?),
            signal: r.u8("signal")?,
            module_type: r.u8("module_type")?,
            iccid: r.text("iccid", ICCID_LEN)?,
            host_type: r.u8("host_type")?,
            frequency: r.u16("frequency")?,
            imei: r.opt_text(IMEI_LEN),
            module_firmware: r.opt_text(MODULE_FIRMWARE_LEN),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.firmware_version);
        w.u8(self.rtc_module);
        w.u32(self.host_time.secs());
        w.u8(self.signal);
        w.u8(self.module_type);
        w.text("iccid", &self.iccid, ICCID_LEN)?;
        w.u8(self.host_type);
        w.u16(self.frequency);
        w.opt_bytes(
            "imei",
            IMEI_LEN,
            self.imei.as_ref().map(|t| t.raw().as_ref()),
        )?;
        w.opt_bytes(
            "module_firmware",
            MODULE_FIRMWARE_LEN,
            self.module_firmware.as_ref().map(|t| t.raw().as_ref()),
        )?;
        w.finish(&self.extra)
    }
}

/// 0x17 host status report ↑ (breaker/leakage hosts, every 30 min, no
/// answer). Currents are 0.01 A on the wire, energies 0.01 kWh (u32).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HostStatus {
    /// 0 open, 1 closed.
    pub breaker: u8,
    /// Temperature byte as sent (the document gives no offset).
    pub temperature_raw: u8,
    /// Voltage.
    #[serde(rename = "voltage_dv")]
    pub voltage: DeciVolts,
    /// Current (multiple of 10 mA).
    #[serde(rename = "current_ma")]
    pub current: MilliAmps,
    /// Accumulated energy.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// Meter current (multiple of 10 mA).
    #[serde(rename = "meter_current_ma")]
    pub meter_current: MilliAmps,
    /// Meter energy.
    #[serde(rename = "meter_energy_wh")]
    pub meter_energy: Wh,
    /// 0 none, 1 alarm.
    pub smoke_alarm: u8,
    /// 0 off, 1 on.
    pub alarm_relay: u8,
    /// Leakage current in mA (added in host doc V2.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leakage_ma: Option<u8>,
    /// Live-wire temperature byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_temperature_raw: Option<u8>,
    /// Neutral temperature byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neutral_temperature_raw: Option<u8>,
    /// 0 unlocked, 1 locked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker_lock: Option<u8>,
    /// 0 short single-phase, 1 long single-phase, 2 with screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker_style: Option<u8>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

fn centi_amps(w: &Writer<'_>, field: &'static str, c: MilliAmps) -> Result<u16, Error> {
    if !c.get().is_multiple_of(10) {
        return Err(w.error(field, format!("{} mA is not a multiple of 10 mA", c.get())));
    }
    w.fit(field, u64::from(c.get() / 10))
}

impl Payload for HostStatus {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let ma = |v: u16| MilliAmps::new(u32::from(v) * 10);
        Ok(HostStatus {
            breaker: r.u8("breaker")?,
            temperature_raw: r.u8("temperature")?,
            voltage: DeciVolts::new(r.u16("voltage")?),
            current: ma(r.u16("current")?),
            energy: Wh::from_centi_kwh(r.u32("energy")?),
            meter_current: ma(r.u16("meter_current")?),
            meter_energy: Wh::from_centi_kwh(r.u32("meter_energy")?),
            smoke_alarm: r.u8("smoke_alarm")?,
            alarm_relay: r.u8("alarm_relay")?,
            leakage_ma: r.opt_u8(),
            live_temperature_raw: r.opt_u8(),
            neutral_temperature_raw: r.opt_u8(),
            breaker_lock: r.opt_u8(),
            breaker_style: r.opt_u8(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.breaker);
        w.u8(self.temperature_raw);
        w.u16(self.voltage.get());
        let c = centi_amps(w, "current", self.current)?;
        w.u16(c);
        let e = w.centi_kwh("energy", self.energy)?;
        w.u32(e);
        let c = centi_amps(w, "meter_current", self.meter_current)?;
        w.u16(c);
        let e = w.centi_kwh("meter_energy", self.meter_energy)?;
        w.u32(e);
        w.u8(self.smoke_alarm);
        w.u8(self.alarm_relay);
        w.opt_u8("leakage_ma", self.leakage_ma)?;
        w.opt_u8("live_temperature_raw", self.live_temperature_raw)?;
        w.opt_u8("neutral_temperature_raw", self.neutral_temperature_raw)?;
        w.opt_u8("breaker_lock", self.breaker_lock)?;
        w.opt_u8("breaker_style", self.breaker_style)?;
        w.finish(&self.extra)
    }
}

/// One entry of 0x35.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SubDeviceVersion {
    /// Sub-device type (e.g. 0x21 for AP262-485).
    pub device_type: u8,
    /// Reserved byte.
    pub reserved: u8,
    /// Lowest firmware version among sub-devices of this type.
    pub lowest_version: u16,
    /// The device that has it.
    pub physical_id: PhysicalId,
}

/// 0x35 sub-device versions ↑ (host, no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SubDeviceVersions {
    /// One entry per sub-device type.
    pub entries: Vec<SubDeviceVersion>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for SubDeviceVersions {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let n = usize::from(r.u8("count")?);
        let mut entries = Vec::with_capacity(n.min(r.remaining() / 8));
        for _ in 0..n {
            entries.push(SubDeviceVersion {
                device_type: r.u8("device_type")?,
                reserved: r.u8("reserved")?,
                lowest_version: r.u16("lowest_version")?,
                physical_id: r.physical_id("physical_id")?,
            });
        }
        Ok(SubDeviceVersions {
            entries,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        let n: u8 = w.fit("entries", self.entries.len() as u64)?;
        w.u8(n);
        for e in &self.entries {
            w.u8(e.device_type);
            w.u8(e.reserved);
            w.u16(e.lowest_version);
            w.bytes(&e.physical_id.to_wire());
        }
        w.finish(&self.extra)
    }
}

/// 0x3B FSK host asks for its parameters ↑; the server answers with 0x3A.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FskParamsRequest {
    /// The frequency in use.
    pub frequency: u16,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for FskParamsRequest {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(FskParamsRequest {
            frequency: r.u16("frequency")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.frequency);
        w.finish(&self.extra)
    }
}

/// 0x3A set FSK host parameters ↓ (also the answer to 0x3B).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SetFskParams {
    /// Host frequency in MHz.
    pub frequency_mhz: u16,
    /// Reserved, zero.
    #[serde(rename = "reserved_hex", serialize_with = "crate::hex::serialize")]
    pub reserved: [u8; 3],
    /// Physical ids of every sub-device of this host.
    pub sub_devices: Vec<PhysicalId>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for SetFskParams {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let frequency_mhz = r.u16("frequency")?;
        let reserved = r.array("reserved")?;
        let n = usize::from(r.u8("count")?);
        let mut sub_devices = Vec::with_capacity(n.min(r.remaining() / 4));
        for _ in 0..n {
            sub_devices.push(r.physical_id("sub_device_id")?);
        }
        Ok(SetFskParams {
            frequency_mhz,
            reserved,
            sub_devices,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.frequency_mhz);
        w.bytes(&self.reserved);
        let n: u8 = w.fit("sub_devices", self.sub_devices.len() as u64)?;
        w.u8(n);
        for id in &self.sub_devices {
            w.bytes(&id.to_wire());
        }
        w.finish(&self.extra)
    }
}

/// Server address: 0x34 change server address ↓ (host) and 0x0A sub-device
/// sets the host's address (never reaches the server); same layout.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServerAddress {
    /// TCP port.
    pub server_port: u16,
    /// 1 WiFi, 2 2G, 3 4G.
    pub module_type: u8,
    /// 1 = enable server B.
    pub socket_b: u8,
    /// IP or domain, 46-byte NUL-padded buffer (≤ 45 characters).
    pub address: NulText,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for ServerAddress {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ServerAddress {
            server_port: r.u16("server_port")?,
            module_type: r.u8("module_type")?,
            socket_b: r.u8("socket_b")?,
            address: r.text("address", ADDRESS_LEN)?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.server_port);
        w.u8(self.module_type);
        w.u8(self.socket_b);
        w.text("address", &self.address, ADDRESS_LEN)?;
        w.finish(&self.extra)
    }
}

/// 0x00 RS-485 poll (host ↔ sub-devices only; listed for completeness).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Rs485Poll {
    /// Polled virtual id (0–49).
    pub virtual_id: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for Rs485Poll {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(Rs485Poll {
            virtual_id: r.u8("virtual_id")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.virtual_id);
        w.finish(&self.extra)
    }
}

/// 0x09 sub-device test mode (never reaches the server).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TestMode {
    /// Port status, 2 bytes as sent.
    pub port_status: u16,
    /// Voltage.
    #[serde(rename = "voltage_dv")]
    pub voltage: DeciVolts,
    /// Power (4 bytes on the wire here).
    #[serde(rename = "power_dw")]
    pub power: DeciWatts,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for TestMode {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(TestMode {
            port_status: r.u16("port_status")?,
            voltage: DeciVolts::new(r.u16("voltage")?),
            power: DeciWatts::new(r.u32("power")?),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.port_status);
        w.u16(self.voltage.get());
        w.u32(self.power.get());
        w.finish(&self.extra)
    }
}
