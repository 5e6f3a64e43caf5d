//! Firmware upgrade (0x05, 0xE0/E1/E2, 0xF8, 0xF9, 0xFA) and the reserved
//! placeholders 0xFD/0xFE.

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;

/// 0x05 device asks for an upgrade ↑ (no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpgradeRequest {
    /// Device type (§1.8.3).
    pub device_type: u8,
    /// Current firmware version.
    pub firmware_version: u16,
    /// Package type, opaque.
    #[serde(rename = "package_type_hex", serialize_with = "crate::hex::serialize")]
    pub package_type: [u8; 4],
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for UpgradeRequest {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(UpgradeRequest {
            device_type: r.u8("device_type")?,
            firmware_version: r.u16("firmware_version")?,
            package_type: r.array("package_type")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.device_type);
        w.u16(self.firmware_version);
        w.bytes(&self.package_type);
        w.finish(&self.extra)
    }
}

/// One firmware packet ↓ (0xE0/E1/E2/0xFA: 200-byte blocks; 0xF8/0xF9: 256).
/// The block is everything after the packet numbers, so a short last block
/// or the 200-byte check packet round-trip unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FirmwarePacket {
    /// Number of packets (including an optional check packet).
    pub total: u16,
    /// This packet, from 1.
    pub current: u16,
    /// The firmware block.
    #[serde(rename = "firmware_len", serialize_with = "ser_len")]
    pub firmware: Bytes,
}

fn ser_len<S: serde::Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(b.len() as u64)
}

impl Payload for FirmwarePacket {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(FirmwarePacket {
            total: r.u16("total")?,
            current: r.u16("current")?,
            firmware: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.total);
        w.u16(self.current);
        w.finish(&self.firmware)
    }
}

/// Answer to a firmware packet ↑: result and the packet received. Result
/// codes for E0/E1/E2: 0 ok, 1 resend, 2 sum error, 3 wrong device type,
/// 4 no check packet, 5 packet-0 type mismatch; F8/F9/FA: 0 ok, 1 resend.
/// The 0xFA answer `00 00 00` also means "host asks for an upgrade".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UpgradeAnswer {
    /// Result code.
    pub result: u8,
    /// Packet received last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<u16>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for UpgradeAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(UpgradeAnswer {
            result: r.u8("result")?,
            packet: r.opt_u16(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result);
        w.opt_u16("packet", self.packet)?;
        w.finish(&self.extra)
    }
}

/// 0xFA host upgrade ↓: with no data it triggers the upgrade; otherwise it
/// carries a packet.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostUpgrade {
    /// No data: enter upgrade mode (the host answers, and restarts from
    /// packet 1).
    #[default]
    Trigger,
    /// A firmware packet.
    Packet(FirmwarePacket),
}

impl Payload for HostUpgrade {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        if r.remaining() == 0 {
            Ok(HostUpgrade::Trigger)
        } else {
            FirmwarePacket::read(r).map(HostUpgrade::Packet)
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match self {
            HostUpgrade::Trigger => Ok(()),
            HostUpgrade::Packet(p) => p.write(w),
        }
    }
}

/// 0xFD reserved placeholder ↓: function and four u32 values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReservedFd {
    /// Function byte.
    pub function: u8,
    /// R1–R4.
    pub values: [u32; 4],
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for ReservedFd {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ReservedFd {
            function: r.u8("function")?,
            values: [r.u32("r1")?, r.u32("r2")?, r.u32("r3")?, r.u32("r4")?],
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.function);
        for v in self.values {
            w.u32(v);
        }
        w.finish(&self.extra)
    }
}

/// 0xFD answer ↑: function and result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReservedFdAnswer {
    /// Echo of the function.
    pub function: u8,
    /// Result code.
    pub result: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for ReservedFdAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ReservedFdAnswer {
            function: r.u8("function")?,
            result: r.u8("result")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.function);
        w.u8(self.result);
        w.finish(&self.extra)
    }
}

/// 0xFE reserved placeholder ↓: three u32 values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReservedFe {
    /// R1–R3.
    pub values: [u32; 3],
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for ReservedFe {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ReservedFe {
            values: [r.u32("r1")?, r.u32("r2")?, r.u32("r3")?],
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        for v in self.values {
            w.u32(v);
        }
        w.finish(&self.extra)
    }
}
