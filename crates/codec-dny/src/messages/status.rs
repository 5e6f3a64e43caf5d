//! Device status uplinks: heartbeats, register, cabinet heartbeat, alarms.

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::{DeciVolts, DeciWatts, MilliAmps, Temperature, UnixTime, Wh};
use crate::values::{OrderNo, Port};

/// Port status codes (fact sheet §1.8.1), one byte per port, kept as a
/// zero-copy slice of the frame so decoding a heartbeat allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PortStatuses(Bytes);

impl PortStatuses {
    /// Wraps one status byte per port (port 1 first).
    pub fn new(codes: Bytes) -> Self {
        PortStatuses(codes)
    }

    /// Number of ports.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no ports.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Status of the port with 0-based index `port`.
    pub fn get(&self, port: usize) -> Option<u8> {
        self.0.get(port).copied()
    }

    /// Status codes, port 1 first.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().copied()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }
}

impl Serialize for PortStatuses {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

/// 0x21 heartbeat ↑ (every 3 min by default). Answer: [`ResultAnswer`](super::ResultAnswer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Heartbeat {
    /// Supply voltage.
    #[serde(rename = "voltage_dv")]
    pub voltage: DeciVolts,
    /// One status code per port (§1.8.1); the port count is its length.
    pub port_status: PortStatuses,
    /// Radio strength to the host; 0 = wired / not measured.
    pub signal: u8,
    /// Device temperature.
    pub temperature: Temperature,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for Heartbeat {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let voltage = DeciVolts::new(r.u16("voltage")?);
        let n = r.u8("port_count")?;
        Ok(Heartbeat {
            voltage,
            port_status: PortStatuses(r.bytes("port_status", usize::from(n))?),
            signal: r.u8("signal")?,
            temperature: Temperature::from_raw(r.u8("temperature")?),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.voltage.get());
        let n: u8 = w.fit("port_status", self.port_status.len() as u64)?;
        w.u8(n);
        w.bytes(self.port_status.as_bytes());
        w.u8(self.signal);
        w.u8(self.temperature.raw());
        w.finish(&self.extra)
    }
}

/// One port's readings in a 0x01 old heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct OldPortReading {
    /// Status code (§1.8.1).
    pub status: u8,
    /// Power now.
    #[serde(rename = "power_dw")]
    pub power: DeciWatts,
    /// Peak power since the charge started.
    #[serde(rename = "peak_power_dw")]
    pub peak_power: DeciWatts,
}

/// 0x01 old heartbeat ↑. Answer: [`ResultAnswer`](super::ResultAnswer).
/// Answer either 0x01 or 0x21, never both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OldHeartbeat {
    /// Firmware version (126 = V1.26).
    pub firmware_version: u16,
    /// Supply voltage.
    #[serde(rename = "voltage_dv")]
    pub voltage: DeciVolts,
    /// Per-port readings, port 1 first.
    pub ports: Vec<OldPortReading>,
    /// Local address in a 485/LoRa group; 0 otherwise.
    pub virtual_id: u8,
    /// Radio strength to the host; 0 = wired.
    pub signal: u8,
    /// Device type (§1.8.3).
    pub device_type: u8,
    /// Device temperature.
    pub temperature: Temperature,
    /// Work-mode bits as in 0x20 (the change log says removed; real frames
    /// still carry it, so it is optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_mode: Option<u8>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for OldHeartbeat {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let firmware_version = r.u16("firmware_version")?;
        let voltage = DeciVolts::new(r.u16("voltage")?);
        let n = usize::from(r.u8("port_count")?);
        let statuses = r.bytes("port_status", n)?;
        let powers = r.bytes("port_power", 2 * n)?;
        let peaks = r.bytes("port_peak_power", 2 * n)?;
        let ports = statuses
            .iter()
            .zip(powers.chunks_exact(2).zip(peaks.chunks_exact(2)))
            .map(|(&status, (p, q))| OldPortReading {
                status,
                power: DeciWatts::new(u32::from(crate::frame::le16(p, 0))),
                peak_power: DeciWatts::new(u32::from(crate::frame::le16(q, 0))),
            })
            .collect();
        Ok(OldHeartbeat {
            firmware_version,
            voltage,
            ports,
            virtual_id: r.u8("virtual_id")?,
            signal: r.u8("signal")?,
            device_type: r.u8("device_type")?,
            temperature: Temperature::from_raw(r.u8("temperature")?),
            work_mode: r.opt_u8(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.firmware_version);
        w.u16(self.voltage.get());
        let n: u8 = w.fit("ports", self.ports.len() as u64)?;
        w.u8(n);
        for p in &self.ports {
            w.u8(p.status);
        }
        for p in &self.ports {
            let v = w.fit("power", u64::from(p.power.get()))?;
            w.u16(v);
        }
        for p in &self.ports {
            let v = w.fit("peak_power", u64::from(p.peak_power.get()))?;
            w.u16(v);
        }
        w.u8(self.virtual_id);
        w.u8(self.signal);
        w.u8(self.device_type);
        w.u8(self.temperature.raw());
        w.opt_u8("work_mode", self.work_mode)?;
        w.finish(&self.extra)
    }
}

/// 0x20 register ↑ (after power-up and on change). Answer:
/// [`ResultAnswer`](super::ResultAnswer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Register {
    /// Firmware version (126 = V1.26).
    pub firmware_version: u16,
    /// Number of ports.
    pub port_count: u8,
    /// Local address in a 485/LoRa group; 0 otherwise.
    pub virtual_id: u8,
    /// Device type (§1.8.3).
    pub device_type: u8,
    /// Bit 0: 1 = card-only; bit 1: metering chip BL0939; bit 2: short-circuit
    /// pre-check; bit 3: indicator-light mode.
    pub work_mode: u8,
    /// Power-board firmware, 0 without a power board (optional: a real device
    /// sent only 6 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_board_version: Option<u16>,
    /// Undocumented trailing bytes (the spec example carries `e4 00`).
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for Register {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(Register {
            firmware_version: r.u16("firmware_version")?,
            port_count: r.u8("port_count")?,
            virtual_id: r.u8("virtual_id")?,
            device_type: r.u8("device_type")?,
            work_mode: r.u8("work_mode")?,
            power_board_version: r.opt_u16(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.firmware_version);
        w.u8(self.port_count);
        w.u8(self.virtual_id);
        w.u8(self.device_type);
        w.u8(self.work_mode);
        w.opt_u16("power_board_version", self.power_board_version)?;
        w.finish(&self.extra)
    }
}

/// 0x06 port power heartbeat ↑ (every 5 min while charging, no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PortPowerHeartbeat {
    /// The charging port.
    pub port: Port,
    /// 1 charging, 2 scanned awaiting charger (cabinets), 3 full, 5 float;
    /// other values are device errors to ignore.
    pub status: u8,
    /// Seconds since the charge started.
    pub charge_duration_s: u16,
    /// Energy of this order so far.
    #[serde(rename = "energy_wh")]
    pub energy: Wh,
    /// 0 offline card, 1 online, 3 verification code.
    pub start_mode: u8,
    /// Power now.
    #[serde(rename = "power_dw")]
    pub power: DeciWatts,
    /// Highest power in the interval.
    #[serde(rename = "max_power_dw")]
    pub max_power: DeciWatts,
    /// Lowest power in the interval.
    #[serde(rename = "min_power_dw")]
    pub min_power: DeciWatts,
    /// Average power in the interval.
    #[serde(rename = "avg_power_dw")]
    pub avg_power: DeciWatts,
    /// The order.
    pub order_no: OrderNo,
    /// Interval energy, raw (divide by 4800; debug only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_energy_raw: Option<u16>,
    /// Peak power of the whole charge.
    #[serde(rename = "peak_power_dw", skip_serializing_if = "Option::is_none")]
    pub peak_power: Option<DeciWatts>,
    /// Voltage.
    #[serde(rename = "voltage_dv", skip_serializing_if = "Option::is_none")]
    pub voltage: Option<DeciVolts>,
    /// Current (wire unit 0.001 A).
    #[serde(rename = "current_ma", skip_serializing_if = "Option::is_none")]
    pub current: Option<MilliAmps>,
    /// Ambient temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ambient_temperature: Option<Temperature>,
    /// Port temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_temperature: Option<Temperature>,
    /// Device clock (debug only, may be wrong).
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

impl Payload for PortPowerHeartbeat {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let dw = |v: u16| DeciWatts::new(u32::from(v));
        Ok(PortPowerHeartbeat {
            port: Port::new(r.u8("port")?),
            status: r.u8("status")?,
            charge_duration_s: r.u16("charge_duration")?,
            energy: Wh::from_centi_kwh(u32::from(r.u16("energy")?)),
            start_mode: r.u8("start_mode")?,
            power: dw(r.u16("power")?),
            max_power: dw(r.u16("max_power")?),
            min_power: dw(r.u16("min_power")?),
            avg_power: dw(r.u16("avg_power")?),
            order_no: r.order_no("order_no")?,
            interval_energy_raw: r.opt_u16(),
            peak_power: r.opt_u16().map(dw),
            voltage: r.opt_u16().map(DeciVolts::new),
            current: r.opt_u16().map(|v| MilliAmps::new(u32::from(v))),
            ambient_temperature: r.opt_u8().map(Temperature::from_raw),
            port_temperature: r.opt_u8().map(Temperature::from_raw),
            timestamp: r.opt_u32().map(UnixTime::new),
            occupancy_min: r.opt_u16(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port.get());
        w.u8(self.status);
        w.u16(self.charge_duration_s);
        let e = w.centi_kwh("energy", self.energy)?;
        w.u16(e);
        w.u8(self.start_mode);
        for (name, p) in [
            ("power", self.power),
            ("max_power", self.max_power),
            ("min_power", self.min_power),
            ("avg_power", self.avg_power),
        ] {
            let v = w.fit(name, u64::from(p.get()))?;
            w.u16(v);
        }
        w.bytes(self.order_no.as_bytes());
        w.opt_u16("interval_energy_raw", self.interval_energy_raw)?;
        let peak = match self.peak_power {
            Some(p) => Some(w.fit("peak_power", u64::from(p.get()))?),
            None => None,
        };
        w.opt_u16("peak_power", peak)?;
        w.opt_u16("voltage", self.voltage.map(DeciVolts::get))?;
        let current = match self.current {
            Some(c) => Some(w.fit("current", u64::from(c.get()))?),
            None => None,
        };
        w.opt_u16("current", current)?;
        w.opt_u8(
            "ambient_temperature",
            self.ambient_temperature.map(Temperature::raw),
        )?;
        w.opt_u8(
            "port_temperature",
            self.port_temperature.map(Temperature::raw),
        )?;
        w.opt_u32("timestamp", self.timestamp.map(UnixTime::secs))?;
        w.opt_u16("occupancy_min", self.occupancy_min)?;
        w.finish(&self.extra)
    }
}

/// 0x41 charging-cabinet heartbeat ↑ (no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CabinetHeartbeat {
    /// Number of ports.
    pub port_count: u8,
    /// Bit per port, 1 = door open.
    pub door_open_bits: u32,
    /// Bit per fan, 1 = running.
    pub fan_on_bits: u32,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for CabinetHeartbeat {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CabinetHeartbeat {
            port_count: r.u8("port_count")?,
            door_open_bits: r.u32("door_bits")?,
            fan_on_bits: r.u32("fan_bits")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port_count);
        w.u32(self.door_open_bits);
        w.u32(self.fan_on_bits);
        w.finish(&self.extra)
    }
}

/// 0x42 alarm push ↑ (no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Alarm {
    /// 1 power loss, 2 water, 3 hot-melt trigger, 4 smoke, 5 heat, 6 water
    /// level, 7 cabinet door sprang open.
    pub alarm_type: u8,
    /// Affected port, or the RS-485 address of the sensor (0 = the device
    /// itself); meaningless for device-wide alarms.
    pub port: u8,
    /// Bit i set = input i+1 triggered (multi-input sensors), else 0.
    pub trigger_bits: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for Alarm {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(Alarm {
            alarm_type: r.u8("alarm_type")?,
            port: r.u8("port")?,
            trigger_bits: r.u8("trigger")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.alarm_type);
        w.u8(self.port);
        w.u8(self.trigger_bits);
        w.finish(&self.extra)
    }
}
