//! Small value types that appear inside payloads: ports, order numbers, card
//! ids, fixed-size text buffers.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use crate::error::Error;
use crate::hex;

/// A port number as on the wire: **0-based** (0x00 = port 1); `0xFF` lets the
/// device choose (in 0x82) or means "balance query only" (in 0x02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Port(u8);

impl Port {
    /// "Device chooses" / "no port".
    pub const ANY: Port = Port(0xFF);

    /// From the 0-based wire value.
    pub const fn new(zero_based: u8) -> Self {
        Port(zero_based)
    }

    /// From the 1-based number people use (port 1 = wire 0x00).
    pub fn from_number(one_based: u8) -> Option<Self> {
        one_based.checked_sub(1).filter(|&p| p != 0xFF).map(Port)
    }

    /// The 0-based wire value.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The 1-based port number, `None` for [`Port::ANY`].
    pub fn number(self) -> Option<u16> {
        (self != Self::ANY).then(|| u16::from(self.0) + 1)
    }
}

/// The 16-byte order number: opaque bytes chosen by the server (0x82) or
/// built by the device for offline starts; shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OrderNo([u8; 16]);

impl OrderNo {
    /// Wraps 16 bytes.
    pub const fn new(bytes: [u8; 16]) -> Self {
        OrderNo(bytes)
    }

    /// The bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderNo({self})")
    }
}

impl FromStr for OrderNo {
    type Err = Error;

    /// 32 hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::decode_array::<16>(s)
            .map(OrderNo)
            .ok_or_else(|| Error::parse("order number", s, "expected 32 hex digits"))
    }
}

impl serde::Serialize for OrderNo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The 4-byte card id (M1 card UID). Shown as hex in wire order; the
/// vendor's printed card number is [`CardId::decimal`] (big-endian).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CardId([u8; 4]);

impl CardId {
    /// Wraps the 4 wire bytes.
    pub const fn new(bytes: [u8; 4]) -> Self {
        CardId(bytes)
    }

    /// The wire bytes.
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// The card number as the vendor prints it: the bytes read big-endian.
    pub const fn decimal(&self) -> u32 {
        u32::from_be_bytes(self.0)
    }
}

impl fmt::Display for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardId({self})")
    }
}

impl FromStr for CardId {
    type Err = Error;

    /// 8 hex digits in wire order.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::decode_array::<4>(s)
            .map(CardId)
            .ok_or_else(|| Error::parse("card id", s, "expected 8 hex digits"))
    }
}

impl serde::Serialize for CardId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A fixed-size, NUL-padded ASCII/ANSI buffer (QR text 72 bytes, temporary
/// QR 200, server address 46, IMEI 15, module firmware 24, ICCID 20). The
/// bytes are kept exactly; [`NulText::text`] reads up to the first NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NulText(Bytes);

impl NulText {
    /// Wraps the raw buffer exactly as it travels.
    pub fn from_raw(raw: Bytes) -> Self {
        NulText(raw)
    }

    /// Builds a `size`-byte buffer from `text`, NUL-padded, keeping at least
    /// one NUL at the end as the vendor requires.
    pub fn padded(text: &str, size: usize) -> Result<Self, Error> {
        let t = text.as_bytes();
        if t.len() >= size || t.contains(&0) {
            return Err(Error::parse(
                "NUL-padded text",
                text,
                "too long for its buffer (one byte stays NUL) or contains NUL",
            ));
        }
        let mut v = Vec::with_capacity(size);
        v.extend_from_slice(t);
        v.resize(size, 0);
        Ok(NulText(Bytes::from(v)))
    }

    /// The raw buffer.
    pub fn raw(&self) -> &Bytes {
        &self.0
    }

    /// The text up to the first NUL, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        String::from_utf8_lossy(self.0.get(..end).unwrap_or_default()).into_owned()
    }
}

impl serde::Serialize for NulText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(Port::from_number(1), Some(Port::new(0)));
        assert_eq!(Port::new(9).number(), Some(10));
        assert_eq!(Port::ANY.number(), None);
        assert_eq!(Port::from_number(0), None);
    }

    #[test]
    fn card_decimal_is_big_endian() {
        let c: CardId = "7a8d05dd".parse().unwrap();
        assert_eq!(c.decimal(), 0x7a8d05dd);
        assert_eq!(c.to_string(), "7a8d05dd");
    }

    #[test]
    fn nul_text() {
        let t = NulText::padded("baidu.com", 46).unwrap();
        assert_eq!(t.raw().len(), 46);
        assert_eq!(t.text(), "baidu.com");
        assert!(NulText::padded(&"x".repeat(46), 46).is_err());
    }
}
