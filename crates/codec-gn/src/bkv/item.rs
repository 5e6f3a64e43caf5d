//! The generic BKV list: `kv kv kv …`, `kv = length, key-length, key, value`.
//!
//! * **length**: the number of bytes of key-length + key + value, 7 bits per
//!   byte, most significant group first, 0x80 set on every byte but the last
//!   (2 → `02`, 666 → `85 1A`, 88888888 → `AA B1 AC 38`). Not LEB128.
//! * **key-length**: low 7 bits = key size, 0x80 set = string key.
//! * **key**: big-endian number or ASCII text; **value**: raw bytes.
//!
//! Parsing is total: any bytes give the items or a [`BkvError`] with the offset.
//! A [`BkvItem`] keeps the exact key bytes and the size of its length prefix, so
//! an item re-encodes to the bytes it came from even when a sender used a
//! non-minimal prefix or a multi-byte key.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::BkvError;
use crate::hex;

/// Longest accepted length prefix (4 × 7 = 28 bits, far beyond any GN frame).
const MAX_PREFIX: usize = 4;

/// A BKV key: a big-endian number or a text key, as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BkvKey {
    text: bool,
    bytes: Bytes,
}

impl BkvKey {
    /// A one-byte number key (every key GN uses).
    pub fn number(key: u8) -> Self {
        Self {
            text: false,
            bytes: Bytes::copy_from_slice(&[key]),
        }
    }

    /// A key from raw bytes; `text` selects a string key. At most 127 bytes.
    pub fn from_raw(text: bool, bytes: Bytes) -> Option<Self> {
        (bytes.len() <= 0x7f).then_some(Self { text, bytes })
    }

    /// Whether this is a string key.
    pub fn is_text(&self) -> bool {
        self.text
    }

    /// The key bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The key as a one-byte number key, if it is one.
    pub fn as_u8(&self) -> Option<u8> {
        match (self.text, &self.bytes[..]) {
            (false, &[k]) => Some(k),
            _ => None,
        }
    }

    /// The JSON field name used for an unknown item with this key:
    /// `key_<hex>_hex` for a number key, `key_str_<hex>_hex` for a string key.
    pub fn json_name(&self) -> String {
        let kind = if self.text { "str_" } else { "" };
        format!("key_{kind}{}_hex", hex::encode(&self.bytes))
    }
}

/// One key/value item kept as it came (an unknown key, or a value that did not
/// fit the typed field for its key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BkvItem {
    key: BkvKey,
    value: Bytes,
    /// Bytes of the length prefix on the wire (≥ the minimal size).
    prefix: u8,
}

impl BkvItem {
    /// An item with a one-byte number key and a minimal length prefix.
    pub fn new(key: u8, value: Bytes) -> Self {
        Self::with_key(BkvKey::number(key), value)
    }

    /// An item with any key and a minimal length prefix.
    pub fn with_key(key: BkvKey, value: Bytes) -> Self {
        let prefix = prefix_size(1 + key.bytes.len() + value.len());
        Self { key, value, prefix }
    }

    /// The key.
    pub fn key(&self) -> &BkvKey {
        &self.key
    }

    /// The value bytes.
    pub fn value(&self) -> &Bytes {
        &self.value
    }

    /// Appends the item's wire form.
    pub fn encode_into(&self, out: &mut BytesMut) {
        let len = 1 + self.key.bytes.len() + self.value.len();
        put_prefix(out, len, usize::from(self.prefix));
        out.put_u8(key_len_byte(&self.key));
        out.put_slice(&self.key.bytes);
        out.put_slice(&self.value);
    }
}

fn key_len_byte(key: &BkvKey) -> u8 {
    // Key size ≤ 127 is an invariant of `BkvKey`.
    let size = (key.bytes.len() & 0x7f) as u8;
    if key.text { size | 0x80 } else { size }
}

/// Minimal length-prefix size for `len`.
pub(crate) fn prefix_size(len: usize) -> u8 {
    let bits = usize::BITS - len.leading_zeros();
    // At most ceil(64 / 7) = 10.
    bits.div_ceil(7).max(1) as u8
}

/// Writes `len` as a length prefix of exactly `size` bytes (`size` ≥ minimal).
pub(crate) fn put_prefix(out: &mut BytesMut, len: usize, size: usize) {
    let size = size.max(usize::from(prefix_size(len)));
    for i in (0..size).rev() {
        let group = ((len >> (7 * i)) & 0x7f) as u8;
        out.put_u8(if i == 0 { group } else { group | 0x80 });
    }
}

/// A zero-copy [`Bytes`] for `part`, which must lie inside `root`.
pub(crate) fn share(root: &Bytes, part: &[u8]) -> Bytes {
    if part.is_empty() {
        return Bytes::new();
    }
    // Every slice handed around while decoding is a sub-slice of the top-level
    // list `root` (`Items` only ever narrows it), which `slice_ref` requires.
    root.slice_ref(part)
}

/// Offset of `part` within `root` (for error messages).
pub(crate) fn offset_in(root: &[u8], part: &[u8]) -> u32 {
    let off = (part.as_ptr() as usize).saturating_sub(root.as_ptr() as usize);
    u32::try_from(off).unwrap_or(u32::MAX)
}

fn u32_sat(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// An item as parsed, borrowing the list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawItem<'a> {
    pub key_text: bool,
    /// The length prefix has no leading zero group.
    pub minimal: bool,
    pub prefix: u8,
    pub key: &'a [u8],
    pub value: &'a [u8],
}

impl RawItem<'_> {
    /// The key if this item has the plain shape typed fields use: a one-byte
    /// number key and a minimal length prefix.
    #[inline]
    pub fn plain_key(&self) -> Option<u8> {
        match (self.key_text, self.minimal, self.key) {
            (false, true, &[k]) => Some(k),
            _ => None,
        }
    }

    /// The item as an owned (zero-copy) [`BkvItem`]; `root` holds the list.
    pub fn to_item(self, root: &Bytes) -> BkvItem {
        BkvItem {
            key: BkvKey {
                text: self.key_text,
                bytes: share(root, self.key),
            },
            value: share(root, self.value),
            prefix: self.prefix,
        }
    }
}

/// Iterates the items of a BKV list; stops after the first error. Offsets in
/// errors count from the start of the top-level list `root`.
pub(crate) struct Items<'a> {
    root: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Items<'a> {
    /// Items of `list`, a part of `root`.
    pub fn new(root: &'a [u8], list: &'a [u8]) -> Self {
        Self { root, rest: list }
    }

    #[inline]
    fn next_item(&mut self) -> Result<RawItem<'a>, BkvError> {
        let mut len = 0usize;
        let mut prefix = 0usize;
        loop {
            let Some(&b) = self.rest.get(prefix) else {
                return Err(BkvError::LengthCutOff {
                    offset: offset_in(self.root, self.rest),
                });
            };
            prefix += 1;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
            if prefix == MAX_PREFIX {
                return Err(BkvError::LengthTooLong {
                    offset: offset_in(self.root, self.rest),
                });
            }
        }
        let minimal = prefix == 1 || self.rest.first() != Some(&0x80);
        let body = self.rest.get(prefix..).unwrap_or(&[]);
        let Some((item, rest)) = body.split_at_checked(len) else {
            return Err(BkvError::Overrun {
                offset: offset_in(self.root, self.rest),
                declared: u32_sat(len),
                available: u32_sat(body.len()),
            });
        };
        let Some((&key_len, key_value)) = item.split_first() else {
            return Err(BkvError::EmptyItem {
                offset: offset_in(self.root, self.rest),
            });
        };
        let key_size = usize::from(key_len & 0x7f);
        let Some((key, value)) = key_value.split_at_checked(key_size) else {
            return Err(BkvError::KeyOverrun {
                offset: offset_in(self.root, self.rest),
                key_len: u32_sat(key_size),
                item_len: u32_sat(len),
            });
        };
        self.rest = rest;
        Ok(RawItem {
            key_text: key_len & 0x80 != 0,
            minimal,
            // At most MAX_PREFIX.
            prefix: prefix as u8,
            key,
            value,
        })
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<RawItem<'a>, BkvError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let r = self.next_item();
        if r.is_err() {
            self.rest = &[];
        }
        Some(r)
    }
}

/// Parses a whole BKV list into generic items (keys in order, nothing typed).
pub fn parse_list(list: &Bytes) -> Result<Vec<BkvItem>, BkvError> {
    Items::new(list, list)
        .map(|r| r.map(|item| item.to_item(list)))
        .collect()
}

/// Encodes generic items; `encode_list(&parse_list(x)?) == x` for every list.
pub fn encode_list(items: &[BkvItem]) -> Bytes {
    let mut out = BytesMut::new();
    for item in items {
        item.encode_into(&mut out);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn list(b: &[u8]) -> Bytes {
        Bytes::copy_from_slice(b)
    }

    #[test]
    fn length_prefix_is_big_endian_7_bit_groups() {
        for (len, wire) in [
            (2usize, &[0x02][..]),
            (666, &[0x85, 0x1a]),
            (88_888_888, &[0xaa, 0xb1, 0xac, 0x38]),
        ] {
            let mut out = BytesMut::new();
            put_prefix(&mut out, len, 0);
            assert_eq!(&out[..], wire, "{len}");
        }
    }

    #[test]
    fn library_examples() {
        // 0E 01 02 "Hello, world": length 14, number key 2.
        let hello = list(b"\x0e\x01\x02Hello, world");
        let items = parse_list(&hello).unwrap();
        assert_eq!(items[0].key().as_u8(), Some(2));
        assert_eq!(&items[0].value()[..], b"Hello, world");
        // 06 82 64 64 30 31 32: string key "dd" → "012".
        let dd = list(b"\x06\x82dd012");
        let items = parse_list(&dd).unwrap();
        assert!(items[0].key().is_text());
        assert_eq!(&items[0].key().bytes()[..], b"dd");
        assert_eq!(&items[0].value()[..], b"012");
        assert_eq!(encode_list(&items), dd);
    }

    #[test]
    fn non_minimal_prefix_round_trips() {
        let odd = list(&[0x80, 0x03, 0x01, 0x0f, 0x01]);
        let items = parse_list(&odd).unwrap();
        assert_eq!(encode_list(&items), odd);
    }

    #[test]
    fn errors_name_the_offset() {
        let e = parse_list(&list(&[0x03, 0x01, 0x0f, 0x01, 0x04, 0x01, 0x0f, 0x01])).unwrap_err();
        assert_eq!(
            e,
            BkvError::Overrun {
                offset: 4,
                declared: 4,
                available: 3
            }
        );
        assert!(matches!(
            parse_list(&list(&[0x81])),
            Err(BkvError::LengthCutOff { offset: 0 })
        ));
        assert!(matches!(
            parse_list(&list(&[0x80, 0x80, 0x80, 0x80, 0x01])),
            Err(BkvError::LengthTooLong { .. })
        ));
        assert!(matches!(
            parse_list(&list(&[0x00])),
            Err(BkvError::EmptyItem { .. })
        ));
        assert!(matches!(
            parse_list(&list(&[0x01, 0x01])),
            Err(BkvError::KeyOverrun { .. })
        ));
    }
}
