//! Small device settings ↓: one-byte settings, voice, EEPROM access, QR
//! texts, multi-function (0x89, 0x8B–0x8F, 0x95–0x98).

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::values::{NulText, Port};

/// Declares a payload that is one setting byte.
macro_rules! one_byte_setting {
    ($(#[$m:meta])* $name:ident { $(#[$fm:meta])* $field:ident }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
        pub struct $name {
            $(#[$fm])*
            pub $field: u8,
            /// Undocumented trailing bytes.
            #[serde(rename = "extra_hex", serialize_with = "crate::hex::serialize", skip_serializing_if = "Bytes::is_empty")]
            pub extra: Bytes,
        }

        impl Payload for $name {
            fn read(r: &mut Reader) -> Result<Self, Error> {
                Ok($name {
                    $field: r.u8(stringify!($field))?,
                    extra: r.rest(),
                })
            }

            fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
                w.u8(self.$field);
                w.finish(&self.extra)
            }
        }
    };
}

one_byte_setting!(
    /// 0x8D set work mode ↓ (the answer is byte-identical in the spec; the
    /// direction decides).
    SetWorkMode {
        /// 0 networked, 1 card.
        work_mode
    }
);
one_byte_setting!(
    /// 0x8F set TC card mode ↓.
    SetTcCardMode {
        /// 0 timed, 1 per use, 3 energy, 4 fixed fee, 5 home, 6 free choice.
        mode
    }
);
one_byte_setting!(
    /// 0x96 locate the device (sound + light) ↓.
    Locate {
        /// How long to signal, in seconds.
        duration_s
    }
);
one_byte_setting!(
    /// 0x97 run parameters 1.3 ↓.
    RunParams13 {
        /// 0 sound on, 1 muted.
        mute
    }
);

/// 0x89 play voice ↓ (reserved by the vendor, not usable).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PlayVoice {
    /// 1 = interrupt what is playing.
    pub interrupt: u8,
    /// Number of segments, as sent.
    pub segment_count: u8,
    /// The segments (layout undocumented), everything after the count.
    #[serde(rename = "segments_hex", serialize_with = "crate::hex::serialize")]
    pub segments: Bytes,
}

impl Payload for PlayVoice {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(PlayVoice {
            interrupt: r.u8("interrupt")?,
            segment_count: r.u8("segment_count")?,
            segments: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.interrupt);
        w.u8(self.segment_count);
        w.finish(&self.segments)
    }
}

/// 0x8B read EEPROM ↓.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EepromRead {
    /// Start address.
    pub address: u16,
    /// Bytes to read (≤ 32).
    pub length: u8,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for EepromRead {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(EepromRead {
            address: r.u16("address")?,
            length: r.u8("length")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.address);
        w.u8(self.length);
        w.finish(&self.extra)
    }
}

/// 0x8B read EEPROM answer ↑: result and the bytes read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EepromReadAnswer {
    /// 0 = ok.
    pub result: u8,
    /// The EEPROM bytes (everything after the result).
    #[serde(rename = "data_hex", serialize_with = "crate::hex::serialize")]
    pub data: Bytes,
}

impl Payload for EepromReadAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(EepromReadAnswer {
            result: r.u8("result")?,
            data: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result);
        w.finish(&self.data)
    }
}

/// 0x8C write EEPROM ↓. The length byte is `data.len()` (≤ 32 by the spec).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EepromWrite {
    /// Start address.
    pub address: u16,
    /// Bytes to write.
    #[serde(rename = "data_hex", serialize_with = "crate::hex::serialize")]
    pub data: Bytes,
    /// Bytes after the announced data.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for EepromWrite {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        let address = r.u16("address")?;
        let n = r.u8("length")?;
        Ok(EepromWrite {
            address,
            data: r.bytes("data", usize::from(n))?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.address);
        let n: u8 = w.fit("data", self.data.len() as u64)?;
        w.u8(n);
        w.bytes(&self.data);
        w.finish(&self.extra)
    }
}

/// 0x8E set QR code ↓ (newest firmware).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SetQrCode {
    /// Main screen: 0 port status, 1 QR code.
    pub main_screen: u8,
    /// Reserved, normally zero.
    #[serde(rename = "reserved_hex", serialize_with = "crate::hex::serialize")]
    pub reserved: [u8; 3],
    /// QR text, 72-byte NUL-padded buffer (≤ 71 characters).
    pub qr_text: NulText,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

/// Size of the 0x8E QR text buffer.
pub const QR_TEXT_LEN: usize = 72;
/// Size of the 0x95 temporary QR buffer.
pub const TEMP_QR_TEXT_LEN: usize = 200;

impl Payload for SetQrCode {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(SetQrCode {
            main_screen: r.u8("main_screen")?,
            reserved: r.array("reserved")?,
            qr_text: r.text("qr_text", QR_TEXT_LEN)?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.main_screen);
        w.bytes(&self.reserved);
        w.text("qr_text", &self.qr_text, QR_TEXT_LEN)?;
        w.finish(&self.extra)
    }
}

/// 0x95 temporary QR code ↓ (devices with a screen).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TempQrCode {
    /// 200-byte NUL-padded ANSI buffer.
    pub text: NulText,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for TempQrCode {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(TempQrCode {
            text: r.text("text", TEMP_QR_TEXT_LEN)?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.text("text", &self.text, TEMP_QR_TEXT_LEN)?;
        w.finish(&self.extra)
    }
}

/// 0x98 multi-function ↓. Answer: [`ResultAnswer`](super::ResultAnswer),
/// whose `extra` holds function-specific parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MultiFunction {
    /// 0 = force-open a cabinet door.
    pub function: u8,
    /// The port.
    pub port: Port,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for MultiFunction {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(MultiFunction {
            function: r.u8("function")?,
            port: Port::new(r.u8("port")?),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.function);
        w.u8(self.port.get());
        w.finish(&self.extra)
    }
}
