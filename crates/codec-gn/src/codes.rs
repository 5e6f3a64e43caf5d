//! Small wire codes kept as raw bytes (any byte is representable, so re-encoding
//! is exact) with helpers for the documented values.

use std::fmt;

use serde::{Serialize, Serializer};

/// The port status byte (插座状态; BKV keys 0x09, 0x57, 0x58 and the 0x0015 status
/// fields). Only bit 7 (online), bit 4 (charging) and bit 3 (no load) are
/// supported by the document and captures; the other bits are advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct PortStatus(pub u8);

impl PortStatus {
    /// Bit 7: the port is online (an idle online port reports 0x80).
    pub const fn online(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// Bit 4: charging / output on (0x90 while an order runs).
    pub const fn charging(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// Bit 3: no load (空载); the document decodes 0x98 as a no-load end.
    pub const fn no_load(self) -> bool {
        self.0 & 0x08 != 0
    }
}

/// A switch byte: 1 on, 0 off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Switch(pub u8);

impl Switch {
    /// On (1).
    pub const ON: Self = Self(1);
    /// Off (0).
    pub const OFF: Self = Self(0);

    /// Whether the byte says "on".
    pub const fn is_on(self) -> bool {
        self.0 == 1
    }
}

/// A result / acknowledgement byte: 1 ok, 0 failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct ResultCode(pub u8);

impl ResultCode {
    /// Ok (1).
    pub const OK: Self = Self(1);
    /// Failure (0).
    pub const FAIL: Self = Self(0);

    /// Whether the byte says "ok".
    pub const fn is_ok(self) -> bool {
        self.0 == 1
    }
}

/// The 0x0015/0x07 control mode: **1 by time, 0 by energy**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct ControlMode(pub u8);

impl ControlMode {
    /// By energy (0).
    pub const BY_ENERGY: Self = Self(0);
    /// By time (1).
    pub const BY_TIME: Self = Self(1);
}

/// The card billing mode of 0x0015/0x0B and 0x0C: 1 time, 2 energy, 3 power brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct BillingMode(pub u8);

impl BillingMode {
    /// By time (1).
    pub const TIME: Self = Self(1);
    /// By energy (2).
    pub const ENERGY: Self = Self(2);
    /// By power brackets (3).
    pub const POWER_BRACKETS: Self = Self(3);
}

/// A wall-clock time of day `hh:mm` (voice windows, fee-bracket ends). Any two
/// bytes are kept as they came; [`TimeOfDay::is_valid`] checks the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeOfDay {
    /// Hour (0–23 when valid).
    pub hour: u8,
    /// Minute (0–59 when valid).
    pub minute: u8,
}

impl TimeOfDay {
    /// 23:59, the required end of the last fee bracket.
    pub const END_OF_DAY: Self = Self {
        hour: 23,
        minute: 59,
    };

    /// Whether hour and minute are in range.
    pub const fn is_valid(self) -> bool {
        self.hour < 24 && self.minute < 60
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A socket's firmware version: two opaque bytes, shown as 4 hex digits (`ffff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SocketFirmware(pub u16);

impl fmt::Display for SocketFirmware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.0)
    }
}

impl Serialize for SocketFirmware {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Opaque bytes (undocumented values), shown as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RawBytes(pub bytes::Bytes);

impl Serialize for RawBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::hex::encode(&self.0))
    }
}
