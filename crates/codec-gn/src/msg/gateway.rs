//! Gateway-level commands: 0x0000 heartbeat (↑ and the server's ↓ time reply)
//! and 0x0007 OTA upgrade (↓).

use std::fmt;
use std::net::Ipv4Addr;

use bytes::Bytes;
use serde::{Serialize, Serializer};

use crate::codes::RawBytes;
use crate::error::Error;
use crate::time;
use crate::units::UnixTime;
use crate::wire::{Reader, Writer};

/// A fixed-size ASCII field, NUL-padded on the wire. The bytes are kept as they
/// came (so re-encoding is exact); [`PaddedAscii::text`] trims the padding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaddedAscii<const N: usize>([u8; N]);

impl<const N: usize> PaddedAscii<N> {
    /// Wraps the wire bytes.
    pub const fn from_bytes(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// ASCII `text` padded with NULs; `None` if it is longer than `N` bytes or not ASCII.
    pub fn new(text: &str) -> Option<Self> {
        if text.len() > N || !text.is_ascii() {
            return None;
        }
        let mut b = [0u8; N];
        b.iter_mut().zip(text.bytes()).for_each(|(d, s)| *d = s);
        Some(Self(b))
    }

    /// The wire bytes.
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The text up to the first NUL (non-UTF-8 bytes replaced).
    pub fn text(&self) -> String {
        let end = self.0.iter().position(|b| *b == 0).unwrap_or(N);
        String::from_utf8_lossy(self.0.get(..end).unwrap_or(&[])).into_owned()
    }
}

impl<const N: usize> Default for PaddedAscii<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> fmt::Debug for PaddedAscii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

impl<const N: usize> Serialize for PaddedAscii<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// The modem's ICCID: 20 ASCII characters (hex letters occur in real ones).
pub type Iccid = PaddedAscii<20>;
/// The gateway firmware version: 8 ASCII bytes, NUL-padded (`200.1.17`).
pub type GatewayFirmware = PaddedAscii<8>;
/// An OTA file name: 13 ASCII bytes, NUL-padded (`GV.8r12.OTA`).
pub type OtaFileName = PaddedAscii<13>;

fn is_empty(b: &RawBytes) -> bool {
    b.0.is_empty()
}

/// 0x0000 ↑: gateway heartbeat, every minute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Heartbeat {
    /// The modem's ICCID.
    pub iccid: Iccid,
    /// Gateway firmware version.
    pub firmware: GatewayFirmware,
    /// Signal strength (CSQ, 0–31).
    pub signal: u8,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "is_empty")]
    pub extra: RawBytes,
}

impl Heartbeat {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            iccid: PaddedAscii(r.array("iccid")?),
            firmware: PaddedAscii(r.array("firmware")?),
            signal: r.u8("signal")?,
            extra: RawBytes(r.rest()),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.bytes(&self.iccid.0);
        w.bytes(&self.firmware.0);
        w.u8(self.signal);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0000 ↓: the server's heartbeat reply carrying its clock (BCD local time on
/// the wire).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct HeartbeatReply {
    /// The server's time.
    #[serde(rename = "time")]
    pub time: UnixTime,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "is_empty")]
    pub extra: RawBytes,
}

impl HeartbeatReply {
    /// A reply carrying `now`.
    pub fn new(now: UnixTime) -> Self {
        Self {
            time: now,
            extra: RawBytes(Bytes::new()),
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let raw = r.array::<7>("time")?;
        let time = time::from_bcd(&raw).ok_or_else(|| {
            r.error(format!(
                "time {} is not a BCD date",
                crate::hex::encode(&raw)
            ))
        })?;
        Ok(Self {
            time,
            extra: RawBytes(r.rest()),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        let b = time::to_bcd_bytes(self.time)
            .ok_or_else(|| Error::encode("time", "year outside 0–9999"))?;
        w.bytes(&b);
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x0007 ↓: OTA upgrade from an FTP server. No answer is documented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ota {
    /// What to upgrade (1 = the gateway / DTU).
    pub target: u8,
    /// FTP server address.
    pub ftp_ip: Ipv4Addr,
    /// FTP port.
    pub ftp_port: u16,
    /// File name.
    pub file_name: OtaFileName,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "is_empty")]
    pub extra: RawBytes,
}

impl Ota {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            target: r.u8("target")?,
            ftp_ip: Ipv4Addr::from(r.array::<4>("ftp ip")?),
            ftp_port: r.u16("ftp port")?,
            file_name: PaddedAscii(r.array("file name")?),
            extra: RawBytes(r.rest()),
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.target);
        w.bytes(&self.ftp_ip.octets());
        w.u16(self.ftp_port);
        w.bytes(&self.file_name.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}
