//! Device identity: the physical id (物理ID) and its parts, message ids and
//! the modem's ICCID.
//!
//! # The physical id has three spellings
//!
//! The 4 id bytes travel little-endian. Read as a `u32`, the top byte is the
//! **identification code** (识别码, device class) and the low 24 bits are the
//! **device number** printed in decimal under the QR code. For the spec's
//! example:
//!
//! | form | spelling |
//! |---|---|
//! | wire bytes / QR code (`…/ap3200/40aace04/01`) | `40 aa ce 04` → [`PhysicalId::to_qr_hex`] `"40aace04"` |
//! | **canonical** (this crate's `Display`/`FromStr`, the vectors' `physical_id`) | the `u32` as 8 lowercase hex digits: `"04ceaa40"` |
//! | printed under the QR code | code `0x04`, number `13544000` |
//!
//! Only the canonical form goes through `Display`/`FromStr`; the other two
//! have explicitly named conversions so they are never compared by accident.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::hex;

/// A device's 4-byte physical id. The canonical text form is the `u32` in 8
/// lowercase hex digits (`04ceaa40`), see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PhysicalId(u32);

impl PhysicalId {
    /// From the `u32` value (as read little-endian from the wire).
    pub const fn new(value: u32) -> Self {
        PhysicalId(value)
    }

    /// From the 4 wire bytes, in wire order.
    pub const fn from_wire(bytes: [u8; 4]) -> Self {
        PhysicalId(u32::from_le_bytes(bytes))
    }

    /// The 4 wire bytes, in wire order.
    pub const fn to_wire(self) -> [u8; 4] {
        self.0.to_le_bytes()
    }

    /// The `u32` value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Builds an id from the identification code and the printed decimal
    /// number. Fails when the number does not fit 24 bits.
    pub fn from_parts(code: DeviceCode, number: u32) -> Result<Self, Error> {
        if number > 0x00FF_FFFF {
            return Err(Error::parse(
                "physical id",
                &number.to_string(),
                "device number exceeds 24 bits (16777215)",
            ));
        }
        Ok(PhysicalId(u32::from(code.0) << 24 | number))
    }

    /// The identification code (top byte).
    pub const fn code(self) -> DeviceCode {
        DeviceCode((self.0 >> 24) as u8)
    }

    /// The device number printed in decimal under the QR code (low 24 bits).
    pub const fn number(self) -> u32 {
        self.0 & 0x00FF_FFFF
    }

    /// The QR-code spelling: wire bytes in wire order as hex (`40aace04`).
    pub fn to_qr_hex(self) -> String {
        hex::encode(&self.to_wire())
    }

    /// Parses the QR-code spelling (8 hex digits in wire order).
    pub fn from_qr_hex(s: &str) -> Result<Self, Error> {
        hex::decode_array::<4>(s)
            .map(Self::from_wire)
            .ok_or_else(|| Error::parse("physical id (QR form)", s, "expected 8 hex digits"))
    }
}

impl fmt::Display for PhysicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl FromStr for PhysicalId {
    type Err = Error;

    /// Parses the canonical form: exactly 8 hex digits of the `u32`
    /// (upper-case digits are accepted, `Display` writes lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::parse("physical id", s, "expected 8 hex digits"));
        }
        u32::from_str_radix(s, 16)
            .map(PhysicalId)
            .map_err(|_| Error::parse("physical id", s, "expected 8 hex digits"))
    }
}

impl serde::Serialize for PhysicalId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The identification code (识别码): the top byte of the physical id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceCode(u8);

/// The device classes the vendor documents name for [`DeviceCode`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    /// `03` single-port socket (单路插座).
    SinglePortSocket,
    /// `04` dual-port socket (双路插座); the FAQ also says "single/dual-port".
    DualPortSocket,
    /// `05` 10-port pile.
    TenPortPile,
    /// `06` 16-port pile.
    SixteenPortPile,
    /// `07` 12-port pile.
    TwelvePortPile,
    /// `09` host (主机).
    Host,
    /// `0A` leakage-protection host (漏保主机).
    LeakageHost,
}

impl DeviceCode {
    /// Wraps a code byte.
    pub const fn new(code: u8) -> Self {
        DeviceCode(code)
    }

    /// The code byte.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The documented class, if the code is one of the documented values.
    pub fn class(self) -> Option<DeviceClass> {
        Some(match self.0 {
            0x03 => DeviceClass::SinglePortSocket,
            0x04 => DeviceClass::DualPortSocket,
            0x05 => DeviceClass::TenPortPile,
            0x06 => DeviceClass::SixteenPortPile,
            0x07 => DeviceClass::TwelvePortPile,
            0x09 => DeviceClass::Host,
            0x0A => DeviceClass::LeakageHost,
            _ => return None,
        })
    }
}

impl fmt::Display for DeviceCode {
    /// `0x04`, as in the vectors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02x}", self.0)
    }
}

/// The 2-byte message id. A reply carries the id of the message it answers; a
/// resend reuses its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct MessageId(u16);

impl MessageId {
    /// Wraps a message id.
    pub const fn new(id: u16) -> Self {
        MessageId(id)
    }

    /// The id value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The next id, wrapping after 0xFFFF.
    pub const fn next(self) -> Self {
        MessageId(self.0.wrapping_add(1))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A SIM's ICCID as the modem sends it on connect: 20 ASCII characters
/// matching `^89[0-9A-Fa-f]{18}$` (Chinese ICCIDs start with `8986`; real ones
/// contain hex letters, fact sheet §4.1 item 16). Kept exactly as received.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iccid([u8; 20]);

impl Iccid {
    /// Length on the wire.
    pub const LEN: usize = 20;

    /// Whether `bytes` (any length) could still be the start of an ICCID.
    pub(crate) fn is_prefix(bytes: &[u8]) -> bool {
        bytes.iter().enumerate().all(|(i, &b)| match i {
            0 => b == b'8',
            1 => b == b'9',
            2..=19 => b.is_ascii_hexdigit(),
            _ => false,
        })
    }

    /// Validates 20 bytes.
    pub fn from_bytes(bytes: [u8; 20]) -> Result<Self, Error> {
        if Self::is_prefix(&bytes) {
            Ok(Iccid(bytes))
        } else {
            Err(Error::parse(
                "ICCID",
                &String::from_utf8_lossy(&bytes),
                "expected 89 and 18 hex digits",
            ))
        }
    }

    /// The 20 ASCII bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Validated ASCII on construction; the fallback cannot show.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl FromStr for Iccid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 20] = s
            .as_bytes()
            .try_into()
            .map_err(|_| Error::parse("ICCID", s, "expected 20 characters"))?;
        Self::from_bytes(bytes)
    }
}

impl fmt::Display for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iccid({})", self.as_str())
    }
}

impl serde::Serialize for Iccid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_three_spellings() {
        let id = PhysicalId::from_qr_hex("40aace04").unwrap();
        assert_eq!(id.to_string(), "04ceaa40");
        assert_eq!(id.code(), DeviceCode::new(0x04));
        assert_eq!(id.code().class(), Some(DeviceClass::DualPortSocket));
        assert_eq!(id.number(), 13_544_000);
        assert_eq!(id.to_wire(), [0x40, 0xAA, 0xCE, 0x04]);
        assert_eq!(id.to_qr_hex(), "40aace04");
        assert_eq!(
            PhysicalId::from_parts(DeviceCode::new(4), 13_544_000).unwrap(),
            id
        );
        assert_eq!("04CEAA40".parse::<PhysicalId>().unwrap(), id);
    }

    #[test]
    fn faq_qr_url_example() {
        // http://ap3200.haokuaichong.cn/ap3200/3bba0104/01 → id 0401ba3b
        let id = PhysicalId::from_qr_hex("3bba0104").unwrap();
        assert_eq!(id.to_string(), "0401ba3b");
    }

    #[test]
    fn rejects_bad_ids() {
        assert!("04ceaa4".parse::<PhysicalId>().is_err());
        assert!("+4ceaa40".parse::<PhysicalId>().is_err());
        assert!("04ceaa40 ".parse::<PhysicalId>().is_err());
        assert!(PhysicalId::from_parts(DeviceCode::new(4), 0x0100_0000).is_err());
    }

    #[test]
    fn iccid_accepts_hex_letters() {
        assert!("89860448161870064815".parse::<Iccid>().is_ok());
        assert!("898604D9162390488297".parse::<Iccid>().is_ok());
        assert!("88860448161870064815".parse::<Iccid>().is_err());
        assert!("8986044816187006481".parse::<Iccid>().is_err());
        assert!("8986044816187006481G".parse::<Iccid>().is_err());
    }
}
