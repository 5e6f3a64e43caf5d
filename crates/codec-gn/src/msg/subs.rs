//! The inner framing of commands 0x0005 and 0x0015 — `inner length u16, sub
//! u8, body` where the inner length counts the bytes **after** the sub-command —
//! and `sub_enum!`, which declares a direction's sub-command enum.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::codes::RawBytes;
use crate::error::Error;
use crate::wire::{Reader, Writer};

/// A body type of one sub-command.
pub(crate) trait Sub: Sized {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error>;
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error>;
}

/// A sub-command this crate has no type for (or a documented one in the other
/// direction), kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OtherSub {
    /// The sub-command byte.
    pub sub_command: u8,
    /// The body after the sub-command byte.
    #[serde(rename = "body_hex")]
    pub body: RawBytes,
}

/// Reads the inner header; the reader is left at the body. The inner length
/// must equal the bytes after the sub-command.
pub(crate) fn read_inner(payload: &Bytes, command: u16) -> Result<(u8, Reader<'_>), Error> {
    let mut r = Reader::new(payload, command);
    let inner = usize::from(r.u16("inner length")?);
    let sub = r.u8("sub-command")?;
    if inner != r.remaining() {
        return Err(r.error(format!(
            "inner length says {inner} bytes after sub-command {sub:#04x}, payload has {}",
            r.remaining()
        )));
    }
    Ok((sub, r))
}

/// Writes the inner header and body, patching the inner length afterwards.
pub(crate) fn write_inner(
    out: &mut BytesMut,
    sub: u8,
    body: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let start = out.len();
    out.put_u16(0);
    out.put_u8(sub);
    body(&mut Writer { out })?;
    let inner = out.len() - start - 3;
    let inner = u16::try_from(inner).map_err(|_| Error::encode("body", "over 65535 bytes"))?;
    if let Some(slot) = out.get_mut(start..start + 2) {
        slot.copy_from_slice(&inner.to_be_bytes());
    }
    Ok(())
}

macro_rules! sub_enum {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            $( $(#[$vmeta:meta])* $variant:ident($ty:ty) = $sub:literal, $name:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $enum {
            $( $(#[$vmeta])* $variant($ty), )*
            /// Any other sub-command, kept as it came.
            Other($crate::msg::subs::OtherSub),
        }

        impl $enum {
            /// The sub-command byte.
            pub fn sub_command(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => $sub, )*
                    Self::Other(o) => o.sub_command,
                }
            }

            /// A short human name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $name, )*
                    Self::Other(_) => "unknown sub-command",
                }
            }

            pub(crate) fn decode(
                sub: u8,
                r: &mut $crate::wire::Reader<'_>,
            ) -> Result<Self, $crate::error::Error> {
                use $crate::msg::subs::Sub;
                Ok(match sub {
                    $( $sub => Self::$variant(<$ty>::decode(r)?), )*
                    _ => Self::Other($crate::msg::subs::OtherSub {
                        sub_command: sub,
                        body: $crate::codes::RawBytes(r.rest()),
                    }),
                })
            }

            pub(crate) fn encode(
                &self,
                out: &mut bytes::BytesMut,
            ) -> Result<(), $crate::error::Error> {
                use $crate::msg::subs::Sub;
                match self {
                    $( Self::$variant(b) => $crate::msg::subs::write_inner(out, $sub, |w| b.encode(w)), )*
                    Self::Other(o) => $crate::msg::subs::write_inner(out, o.sub_command, |w| {
                        w.bytes(&o.body.0);
                        Ok(())
                    }),
                }
            }
        }

        impl serde::Serialize for $enum {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(b) => b.serialize(s), )*
                    Self::Other(o) => o.serialize(s),
                }
            }
        }
    };
}

pub(crate) use sub_enum;

/// `serde(skip_serializing_if)` helper for `extra` fields.
pub(crate) fn no_bytes(b: &RawBytes) -> bool {
    b.0.is_empty()
}
