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

use bytes::{BufMut, Bytes, BytesMut};

use super::item::{BkvItem, Items, RawItem, prefix_size};
use crate::error::{BkvError, Error};

/// Deepest list nesting the decoder follows (top level = 0; status clusters
/// nest sockets at 1 and ports at 2).
pub const MAX_DEPTH: usize = 4;

/// Where a value sits, for nested decoding and error offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// Nesting depth of the list holding the value.
    pub depth: usize,
    /// Offset of the value within the top-level list.
    pub offset: usize,
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

/// A typed BKV record (implemented by `bkv_record!`).
pub(crate) trait Record: Default {
    /// Typed keys in canonical order.
    const KEYS: &'static [u8];
    /// Canonical value width of an integer key.
    fn width(key: u8) -> Option<usize>;
    /// Takes the value into the typed field; `Ok(false)` leaves the item to `extra`.
    fn claim(&mut self, key: u8, value: &Bytes, ctx: Ctx) -> Result<bool, BkvError>;
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

/// A record plus an optional header record whose keys come first.
struct Keys<'a, H, R> {
    header: Option<&'a H>,
    _r: std::marker::PhantomData<R>,
}

impl<H: Record, R: Record> Keys<'_, H, R> {
    fn header_len(&self) -> usize {
        self.header.map_or(0, |_| H::KEYS.len())
    }

    fn in_header(&self, key: u8) -> bool {
        self.header.is_some() && H::KEYS.contains(&key)
    }

    fn position(&self, key: u8) -> Option<usize> {
        if self.in_header(key) {
            return H::KEYS.iter().position(|k| *k == key);
        }
        R::KEYS
            .iter()
            .position(|k| *k == key)
            .map(|p| p + self.header_len())
    }

    fn width(&self, key: u8) -> Option<usize> {
        if self.in_header(key) {
            H::width(key)
        } else {
            R::width(key)
        }
    }
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
    list: &Bytes,
    ctx: Ctx,
) -> Result<(), BkvError> {
    if ctx.depth > MAX_DEPTH {
        return Err(BkvError::TooDeep {
            offset: ctx.offset,
            max: MAX_DEPTH,
        });
    }
    let mut extra = Vec::new();
    let mut slots: Option<Vec<Slot>> = None;
    let mut canon = Canon::default();
    for item in Items::new(list, ctx.offset) {
        let item = item?;
        let value_ctx = Ctx {
            depth: ctx.depth + 1,
            offset: item.value_offset,
        };
        let claimed = match item.plain_key() {
            Some(key) => {
                let in_header = header.is_some() && H::KEYS.contains(&key);
                let taken = match header.as_deref_mut() {
                    Some(h) if in_header => h.claim(key, &item.value, value_ctx)?,
                    _ => rec.claim(key, &item.value, value_ctx)?,
                };
                taken.then_some(key)
            }
            None => None,
        };
        let keys = Keys::<H, R> {
            header: header.as_deref(),
            _r: std::marker::PhantomData,
        };
        match claimed {
            Some(key) => {
                let pos = keys.position(key).unwrap_or(usize::MAX);
                let width = item.value.len();
                let in_order = slots.is_none()
                    && !canon.seen_extra
                    && pos >= canon.last_pos
                    && keys.width(key).is_none_or(|w| w == width);
                if !in_order && slots.is_none() {
                    slots = Some(backfill(list, ctx.offset, &canon));
                }
                if let Some(s) = slots.as_mut() {
                    let width = u16::try_from(width).unwrap_or(u16::MAX);
                    s.push(Slot::Typed { key, width });
                }
                canon.last_pos = pos;
                canon.typed += 1;
            }
            None => {
                extra.push(item.into_item());
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
fn backfill(list: &Bytes, base: usize, canon: &Canon) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(canon.total + 8);
    for (i, item) in Items::new(list, base).take(canon.total).enumerate() {
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
