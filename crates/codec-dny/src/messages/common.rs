//! Payloads shared by many commands: no data, a bare result byte, a time.

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::units::UnixTime;

/// A message with no defined data (0x22/0x12 requests, 0x81, 0x87, 0x88,
/// 0x90–0x93, 0xE4, 0x31–0x33, …). Unexpected bytes are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NoData {
    /// Undocumented trailing bytes, kept for exact re-encoding.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for NoData {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(NoData { extra: r.rest() })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.finish(&self.extra)
    }
}

/// An answer that is one result byte (0 = ok; meanings per command in the
/// fact sheet), e.g. the server's answer to 0x01/0x03/0x20/0x21 and the
/// device's answer to most settings. For 0x98 the bytes after the result
/// are function-specific parameters and stay in `extra`; for 0x8B see
/// [`EepromReadAnswer`](super::EepromReadAnswer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ResultAnswer {
    /// Result code, 0 = ok.
    pub result: u8,
    /// Bytes after the result, kept for exact re-encoding.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl ResultAnswer {
    /// A plain answer without trailing bytes.
    pub fn new(result: u8) -> Self {
        ResultAnswer {
            result,
            extra: Bytes::new(),
        }
    }

    /// Whether the result is 0.
    pub fn is_ok(&self) -> bool {
        self.result == 0
    }
}

impl Payload for ResultAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(ResultAnswer {
            result: r.u8("result")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result);
        w.finish(&self.extra)
    }
}

/// The server's time answer to 0x22 (device) and 0x12 (host): a Unix
/// timestamp. The device does not acknowledge it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TimeAnswer {
    /// The server's current time.
    pub timestamp: UnixTime,
    /// Bytes after the timestamp, kept for exact re-encoding.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for TimeAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(TimeAnswer {
            timestamp: UnixTime::new(r.u32("timestamp")?),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.timestamp.secs());
        w.finish(&self.extra)
    }
}
