//! Typed BKV records: the machinery that maps items onto typed fields and back
//! without losing anything.
//!
//! A record (one BKV command body, a socket cluster, a port cluster) has typed
//! fields for the keys it knows, `extra` for every other item, and a
//! [`Layout`]. Decoding claims the first item of each known key whose value fits
//! the field's type (a repeated key fills a list field); everything else goes to
//! `extra`, in order. If the items came in the record's canonical order with
//! canonical integer widths (what the encoder writes for a new message) the
//! layout stays empty and costs no allocation; otherwise it records the wire
//! order and widths so that re-encoding reproduces the input byte for byte.

use bytes::{BufMut, BytesMut};

use bytes::Bytes;

use super::item::{BkvItem, Items, RawItem, offset_in, prefix_size};
use crate::error::{BkvError, Error};

/// Deepest list nesting the decoder follows (top level = 0; status clusters
/// nest sockets at 1 and ports at 2).
pub const MAX_DEPTH: usize = 4;

/// Where a list sits: its nesting depth and the top-level list it is part of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// 0 for the top-level list.
    pub depth: usize,
    /// The top-level list (zero-copy slices of kept values are cut from it).
    pub root: &'a Bytes,
}

/// Wire order and integer widths of a decoded record, when they differ from the
/// canonical ones. Opaque; [`Layout::default`] (canonical) is right for new
/// messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Layout {
    slots: Option<Vec<Slot>>,
}

impl Layout {
    /// Whether the record was (or will be) encoded in canonical order and widths.
    pub fn is_canonical(&self) -> bool {
        self.slots.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Typed { key: u8, width: u16 },
    Extra,
}

/// Marks a key a record does not type in [`Record::INDEX`].
pub(crate) const NOT_TYPED: u8 = u8::MAX;

/// The position of every key in `keys`, [`NOT_TYPED`] elsewhere. Evaluated at
/// compile time only (an out-of-range index would be a build error).
#[allow(clippy::indexing_slicing)]
pub(crate) const fn index_table(keys: &[u8]) -> [u8; 256] {
    let mut table = [NOT_TYPED; 256];
    let mut i = 0;
    while i < keys.len() && i < NOT_TYPED as usize {
        table[keys[i] as usize] = i as u8;
        i += 1;
    }
    table
}

/// A typed BKV record (implemented by `bkv_record!`).
pub(crate) trait Record: Default {
    /// Typed keys in canonical order.
    const KEYS: &'static [u8];
    /// Canonical value width of each key in [`Record::KEYS`] (0: the value sets it).
    const WIDTHS: &'static [u8];
    /// Position in [`Record::KEYS`] by key.
    const INDEX: [u8; 256] = index_table(Self::KEYS);
    /// Takes the value into the typed field; `Ok(false)` leaves the item to `extra`.
    fn claim(&mut self, key: u8, value: &[u8], ctx: Ctx<'_>) -> Result<bool, BkvError>;
    /// Values present for `key` (0/1, or a list's length).
    fn count(&self, key: u8) -> usize;
    /// Writes the value bytes of occurrence `index` of `key`.
    fn emit(
        &self,
        key: u8,
        index: usize,
        width: Option<usize>,
        out: &mut BytesMut,
    ) -> Result<(), Error>;
    /// Unknown items and layout.
    fn parts(&self) -> (&[BkvItem], &Layout);
    /// Unknown items and layout, mutable.
    fn parts_mut(&mut self) -> (&mut Vec<BkvItem>, &mut Layout);
}

/// Canonical-order tracking while decoding.
#[derive(Default)]
struct Canon {
    last_pos: usize,
    seen_extra: bool,
    typed: usize,
    total: usize,
}

/// Decodes the items of `list` into `rec` (and `header`, whose keys come first).
pub(crate) fn decode_record<H: Record, R: Record>(
    rec: &mut R,
    mut header: Option<&mut H>,
    list: &[u8],
    ctx: Ctx<'_>,
) -> Result<(), BkvError> {
    if ctx.depth > MAX_DEPTH {
        return Err(BkvError::TooDeep {
            offset: offset_in(ctx.root, list),
            max: MAX_DEPTH as u32,
        });
    }
    let mut extra = Vec::new();
    let mut slots: Option<Vec<Slot>> = None;
    let mut canon = Canon::default();
    let header_len = header.as_ref().map_or(0, |_| H::KEYS.len());
    let value_ctx = Ctx {
        depth: ctx.depth + 1,
        root: ctx.root,
    };
    for item in Items::new(ctx.root, list) {
        let item = item?;
        // (key, position in the canonical order, canonical width) of a claimed item.
        let mut claimed = None;
        if let Some(key) = item.plain_key() {
            let k = usize::from(key);
            let in_header = H::INDEX.get(k).copied().unwrap_or(NOT_TYPED);
            let in_body = R::INDEX.get(k).copied().unwrap_or(NOT_TYPED);
            let (taken, i, widths, base) = match header.as_deref_mut() {
                Some(h) if in_header != NOT_TYPED => {
                    let taken = h.claim(key, item.value, value_ctx)?;
                    (taken, usize::from(in_header), H::WIDTHS, 0)
                }
                _ if in_body != NOT_TYPED => {
                    let taken = rec.claim(key, item.value, value_ctx)?;
                    (taken, usize::from(in_body), R::WIDTHS, header_len)
                }
                _ => (false, 0, R::WIDTHS, 0),
            };
            if taken {
                claimed = Some((key, i + base, widths.get(i).copied().unwrap_or(0)));
            }
        }
        match claimed {
            Some((key, pos, canonical_width)) => {
                let width = item.value.len();
                let in_order = slots.is_none()
                    && !canon.seen_extra
                    && pos >= canon.last_pos
                    && (canonical_width == 0 || usize::from(canonical_width) == width);
                if !in_order && slots.is_none() {
                    slots = Some(backfill(ctx.root, list, &canon));
                }
                if let Some(s) = slots.as_mut() {
                    let width = u16::try_from(width).unwrap_or(u16::MAX);
                    s.push(Slot::Typed { key, width });
                }
                canon.last_pos = pos;
                canon.typed += 1;
            }
            None => {
                extra.push(item.to_item(ctx.root));
                if let Some(s) = slots.as_mut() {
                    s.push(Slot::Extra);
                }
                canon.seen_extra = true;
            }
        }
        canon.total += 1;
    }
    let (rec_extra, layout) = rec.parts_mut();
    *rec_extra = extra;
    *layout = Layout { slots };
    Ok(())
}

/// Slots of the first `canon.total` items, which were in canonical shape: the
/// first `canon.typed` were typed, the rest extra.
fn backfill(root: &[u8], list: &[u8], canon: &Canon) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(canon.total + 8);
    for (i, item) in Items::new(root, list).take(canon.total).enumerate() {
        let slot = match item.as_ref().ok().and_then(RawItem::plain_key) {
            Some(key) if i < canon.typed => {
                let width = item.map_or(0, |it| it.value.len());
                Slot::Typed {
                    key,
                    width: u16::try_from(width).unwrap_or(u16::MAX),
                }
            }
            _ => Slot::Extra,
        };
        slots.push(slot);
    }
    slots
}

/// Encodes `rec` (after `header`'s keys): in its recorded layout if it has one,
/// then whatever the layout does not cover, in canonical order.
pub(crate) fn encode_record<H: Record, R: Record>(
    rec: &R,
    header: Option<&H>,
    out: &mut BytesMut,
) -> Result<(), Error> {
    let (extra, layout) = rec.parts();
    let mut done = [0u16; 256];
    let mut next_extra = 0usize;
    let emit = |key: u8, index: usize, width: Option<usize>, out: &mut BytesMut| {
        let in_header = header.is_some() && H::KEYS.contains(&key);
        put_typed(out, key, |out| match header {
            Some(h) if in_header => h.emit(key, index, width, out),
            _ => rec.emit(key, index, width, out),
        })
    };
    let count = |key: u8| match header {
        Some(h) if H::KEYS.contains(&key) => h.count(key),
        _ => rec.count(key),
    };
    for slot in layout.slots.iter().flatten() {
        match *slot {
            Slot::Typed { key, width } => {
                let slot_done = done.get_mut(usize::from(key));
                if let Some(n) = slot_done {
                    let index = usize::from(*n);
                    if index < count(key) {
                        emit(key, index, Some(usize::from(width)), out)?;
                        *n += 1;
                    }
                }
            }
            Slot::Extra => {
                if let Some(item) = extra.get(next_extra) {
                    item.encode_into(out);
                    next_extra += 1;
                }
            }
        }
    }
    let header_keys = header.map_or(&[][..], |_| H::KEYS);
    for &key in header_keys.iter().chain(R::KEYS) {
        let total = count(key);
        if let Some(n) = done.get_mut(usize::from(key)) {
            while usize::from(*n) < total {
                emit(key, usize::from(*n), None, out)?;
                *n += 1;
            }
        }
    }
    for item in extra.get(next_extra..).unwrap_or(&[]) {
        item.encode_into(out);
    }
    Ok(())
}

/// Writes one item with a one-byte number key; `value` writes the value bytes.
/// The length prefix is written minimal, after the fact.
pub(crate) fn put_typed(
    out: &mut BytesMut,
    key: u8,
    value: impl FnOnce(&mut BytesMut) -> Result<(), Error>,
) -> Result<(), Error> {
    let start = out.len();
    out.put_u8(0);
    out.put_u8(0x01);
    out.put_u8(key);
    value(out)?;
    let len = out.len() - start - 1;
    let size = usize::from(prefix_size(len));
    if size > 1 {
        let end = out.len();
        out.resize(end + size - 1, 0);
        out.copy_within(start + 1..end, start + size);
    }
    if let Some(slot) = out.get_mut(start..start + size) {
        for (i, b) in slot.iter_mut().enumerate() {
            let group = ((len >> (7 * (size - 1 - i))) & 0x7f) as u8;
            *b = if i + 1 == size { group } else { group | 0x80 };
        }
    }
    Ok(())
}
