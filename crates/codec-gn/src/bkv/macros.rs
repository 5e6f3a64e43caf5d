//! `bkv_record!`: declares a typed BKV record — a struct with one `Option` field
//! per known key (plus list fields for repeated keys), `extra` and `layout`, its
//! [`Record`](super::record::Record) implementation and its JSON view.
//!
//! ```text
//! bkv_record! {
//!     /// docs
//!     pub struct Name {
//!         /// docs
//!         0x4A "socket" => socket: SocketNo = Int<1>,
//!     }
//!     lists {
//!         0x5B "ports" => ports: PortCluster = Nested<PortCluster>,
//!     }
//! }
//! ```
//! The key order in the declaration is the record's canonical (encoding) order,
//! scalars first, then lists.

macro_rules! bkv_record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $key:literal $json:literal => $field:ident : $ty:ty = $codec:ty, )*
        }
        $( lists {
            $( $(#[$lmeta:meta])* $lkey:literal $ljson:literal => $lfield:ident : $lty:ty = $lcodec:ty, )*
        } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            $($( $(#[$lmeta])* pub $lfield: Vec<$lty>, )*)?
            /// Items this record does not know, or whose value did not fit the
            /// typed field, in wire order.
            pub extra: Vec<$crate::bkv::BkvItem>,
            /// Wire order and widths (empty = canonical).
            pub layout: $crate::bkv::Layout,
        }

        impl $crate::bkv::record::Record for $name {
            const KEYS: &'static [u8] = &[$($key,)* $($($lkey,)*)?];

            const WIDTHS: &'static [u8] = &[
                $( $crate::bkv::value::width_byte(<$codec as $crate::bkv::value::Codec<$ty>>::WIDTH), )*
                $($( $crate::bkv::value::width_byte(<$lcodec as $crate::bkv::value::Codec<$lty>>::WIDTH), )*)?
            ];

            #[inline]
            #[allow(unused_variables, clippy::match_single_binding)]
            fn claim(
                &mut self,
                key: u8,
                value: &[u8],
                ctx: $crate::bkv::record::Ctx<'_>,
            ) -> Result<bool, $crate::error::BkvError> {
                #[allow(unused_imports)]
                use $crate::bkv::value::Codec;
                match key {
                    $( $key => {
                        if self.$field.is_some() {
                            return Ok(false);
                        }
                        let v = <$codec as Codec<$ty>>::decode(value, ctx)?;
                        let taken = v.is_some();
                        self.$field = v;
                        Ok(taken)
                    } )*
                    $($( $lkey => match <$lcodec as Codec<$lty>>::decode(value, ctx)? {
                        Some(v) => {
                            self.$lfield.push(v);
                            Ok(true)
                        }
                        None => Ok(false),
                    }, )*)?
                    _ => Ok(false),
                }
            }

            #[allow(clippy::match_single_binding)]
            fn count(&self, key: u8) -> usize {
                match key {
                    $( $key => usize::from(self.$field.is_some()), )*
                    $($( $lkey => self.$lfield.len(), )*)?
                    _ => 0,
                }
            }

            #[allow(unused_variables, clippy::match_single_binding)]
            fn emit(
                &self,
                key: u8,
                index: usize,
                width: Option<usize>,
                out: &mut bytes::BytesMut,
            ) -> Result<(), $crate::error::Error> {
                #[allow(unused_imports)]
                use $crate::bkv::value::Codec;
                match key {
                    $( $key => match &self.$field {
                        Some(v) => <$codec as Codec<$ty>>::encode(v, width, out),
                        None => Ok(()),
                    }, )*
                    $($( $lkey => match self.$lfield.get(index) {
                        Some(v) => <$lcodec as Codec<$lty>>::encode(v, width, out),
                        None => Ok(()),
                    }, )*)?
                    _ => Ok(()),
                }
            }

            fn parts(&self) -> (&[$crate::bkv::BkvItem], &$crate::bkv::Layout) {
                (&self.extra, &self.layout)
            }

            fn parts_mut(&mut self) -> (&mut Vec<$crate::bkv::BkvItem>, &mut $crate::bkv::Layout) {
                (&mut self.extra, &mut self.layout)
            }
        }

        impl $name {
            /// Writes this record's JSON fields into an open map.
            #[allow(dead_code)]
            pub(crate) fn serialize_entries<M: serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> Result<(), M::Error> {
                $( if let Some(v) = &self.$field {
                    map.serialize_entry($json, v)?;
                } )*
                $($( if !self.$lfield.is_empty() {
                    map.serialize_entry($ljson, &self.$lfield)?;
                } )*)?
                $crate::bkv::serialize_extra(map, &self.extra)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                self.serialize_entries(&mut map)?;
                map.end()
            }
        }
    };
}

pub(crate) use bkv_record;
