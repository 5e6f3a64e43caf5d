//! The table macro that turns a list of `command => Variant(Payload)` lines
//! into a direction's message enum with decode, encode, name and JSON view.

/// Declares a message enum for one direction.
macro_rules! message_enum {
    (
        $(#[$meta:meta])*
        $enum:ident, $dir:expr, $dir_str:literal {
            $( $cmd:literal => $variant:ident($ty:ty), $label:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $enum {
            $(
                #[doc = concat!("`", stringify!($cmd), "` ", $label, ".")]
                $variant($ty),
            )*
            /// A command this direction does not define; the data is kept
            /// as received.
            Unknown {
                /// The command byte.
                command: u8,
                /// The data bytes, untouched.
                payload: bytes::Bytes,
            },
        }

        impl $enum {
            /// The message name for a command byte, `None` when this
            /// direction does not define it.
            pub fn name_of(command: u8) -> Option<&'static str> {
                match command {
                    $( $cmd => Some($label), )*
                    _ => None,
                }
            }
        }

        impl $crate::messages::Message for $enum {
            const DIRECTION: $crate::messages::Direction = $dir;

            fn command(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => $cmd, )*
                    Self::Unknown { command, .. } => *command,
                }
            }

            fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $label, )*
                    Self::Unknown { .. } => "unknown",
                }
            }

            fn decode(command: u8, data: bytes::Bytes) -> Result<Self, $crate::Error> {
                use $crate::messages::wire::{Ctx, Reader};
                use $crate::messages::Payload;
                match command {
                    $(
                        $cmd => {
                            let ctx = Ctx { direction: $dir_str, command, name: $label };
                            let mut r = Reader::new(data, ctx);
                            <$ty as Payload>::read(&mut r).map(Self::$variant)
                        }
                    )*
                    _ => Ok(Self::Unknown { command, payload: data }),
                }
            }

            fn encode_data(&self, dst: &mut bytes::BytesMut) -> Result<(), $crate::Error> {
                use $crate::messages::wire::{Ctx, Writer};
                use $crate::messages::Payload;
                let ctx = Ctx {
                    direction: $dir_str,
                    command: self.command(),
                    name: self.name(),
                };
                match self {
                    $( Self::$variant(m) => m.write(&mut Writer::new(dst, ctx)), )*
                    Self::Unknown { payload, .. } => {
                        dst.extend_from_slice(payload);
                        Ok(())
                    }
                }
            }

            fn fields(&self) -> serde_json::Value {
                serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
            }
        }

        /// The JSON view of the payload (`fields` of a described frame): the typed
        /// message, or `{"payload_hex": …}` for a command this direction does not define.
        impl serde::Serialize for $enum {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(m) => m.serialize(s), )*
                    Self::Unknown { payload, .. } => {
                        use serde::ser::SerializeMap;
                        let mut map = s.serialize_map(Some(1))?;
                        map.serialize_entry("payload_hex", &$crate::hex::encode(payload))?;
                        map.end()
                    }
                }
            }
        }
    };
}

pub(crate) use message_enum;
