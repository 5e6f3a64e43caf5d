//! The streaming decoder for one DNY connection.
//!
//! Bytes go in with [`StreamDecoder::feed`] as they arrive, in any split;
//! [`StreamDecoder::decode_next`] hands out [`Item`]s until it needs more
//! input. At each position it takes, in this order (fact sheet §1.2):
//!
//! 1. a DNY frame, if `DNY` starts here and length and checksum hold;
//! 2. the modem's `link` keepalive (4 bytes);
//! 3. the modem's ICCID (20 ASCII characters `89` + 18 hex digits);
//! 4. otherwise one byte of garbage, and rescans.
//!
//! # Same items for every split
//!
//! Every decision depends only on the bytes from the current position, never
//! on where a read ended: when the bytes needed to decide are not there yet,
//! the decoder waits. Consecutive garbage bytes are reported as one
//! [`Item::Garbage`] run, cut only at a non-garbage item, at
//! [`Limits::max_garbage_run`] bytes, or at the end of input. So feeding a
//! stream one byte at a time or all at once gives the same items and errors.
//!
//! # Bounded memory
//!
//! The decoder only keeps bytes it cannot decide yet: at most one garbage
//! run, plus one frame (≤ `max_frame_length + 5`) and the lookahead used to
//! diagnose a lying length. [`StreamDecoder::feed`] refuses input beyond
//! [`Limits::max_buffered`] with [`Error::BufferFull`], which is fatal.
//!
//! # Errors
//!
//! A bad frame is reported and skipped by its 3 header bytes; the rest of it
//! then surfaces as garbage, and decoding goes on with the next item
//! ([`Error::can_continue`] is true). A checksum that only matches when the
//! length field is corrected (within [`Limits::length_lookahead`] bytes) is
//! reported as [`Error::LengthMismatch`], any other as
//! [`Error::ChecksumMismatch`].

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::frame::{self, MIN_LENGTH, PREFIX_LEN, RawFrame};
use crate::ids::Iccid;

mod classify;
use classify::classify;

/// The modem's keepalive text.
pub const LINK: &[u8; 4] = b"link";

/// Caps that keep the decoder's memory bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted length field; a larger one is treated as garbage
    /// ([`Error::FrameTooLarge`]). Default 512.
    pub max_frame_length: u16,
    /// Most bytes the decoder holds; `feed` beyond it fails. Default 16 KiB.
    pub max_buffered: usize,
    /// Longest garbage run reported as one item. Default 256.
    pub max_garbage_run: usize,
    /// How far a lying length is searched for, in bytes either side; the
    /// decoder waits for this many bytes after a frame whose checksum fails
    /// before it decides. Default 8.
    pub length_lookahead: u16,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_length: frame::DEFAULT_MAX_LENGTH,
            max_buffered: 16 * 1024,
            max_garbage_run: 256,
            length_lookahead: 8,
        }
    }
}

impl Limits {
    /// Bytes the decoder may have to hold while undecided.
    pub fn max_undecided(&self) -> usize {
        usize::from(self.max_frame_length)
            + PREFIX_LEN
            + usize::from(self.length_lookahead)
            + self.max_garbage_run
    }

    fn validate(&self) -> Result<(), Error> {
        if self.max_frame_length < MIN_LENGTH {
            return Err(Error::InvalidLimits("max_frame_length is below 9"));
        }
        if self.max_garbage_run == 0 {
            return Err(Error::InvalidLimits("max_garbage_run is 0"));
        }
        if self.max_buffered <= self.max_undecided() {
            return Err(Error::InvalidLimits(
                "max_buffered must exceed max_frame_length + 5 + length_lookahead + max_garbage_run",
            ));
        }
        Ok(())
    }
}

/// What a DNY connection carries besides errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A frame with a valid checksum.
    Frame(RawFrame),
    /// The modem's ICCID (sent once per TCP connect): worth recording.
    Iccid(Iccid),
    /// The modem's `link` keepalive.
    Link,
    /// Consecutive bytes that are none of the above.
    Garbage(Bytes),
    /// A partial frame left when the input ended ([`StreamDecoder::finish`]).
    Incomplete(Bytes),
}

/// What the bytes at one position are.
pub(crate) enum Class {
    /// Cannot tell yet.
    NeedMore,
    /// Not the start of anything.
    Garbage,
    /// A valid frame of this many bytes.
    Frame(usize),
    Link,
    Iccid,
    /// A broken frame: report, skip this many bytes.
    Reject(Error, usize),
    /// A frame start cut by the end of input.
    Incomplete,
}

/// Streaming decoder for one connection. Sans-IO: it never reads a socket or
/// a clock.
#[derive(Debug)]
pub struct StreamDecoder {
    /// Undecided input.
    buf: BytesMut,
    limits: Limits,
    /// Bytes at the start of `buf` already known to be garbage.
    garbage: usize,
    /// Stream offset of `buf[0]`, for error messages.
    offset: u64,
    /// Set by [`StreamDecoder::finish`]: decide with what is there.
    eof: bool,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        StreamDecoder {
            buf: BytesMut::new(),
            limits: Limits::default(),
            garbage: 0,
            offset: 0,
            eof: false,
        }
    }
}

impl StreamDecoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder with custom limits; fails when they cannot work together.
    pub fn with_limits(limits: Limits) -> Result<Self, Error> {
        limits.validate()?;
        Ok(StreamDecoder {
            limits,
            ..Self::default()
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes held, not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes `feed` accepts now.
    pub fn capacity_left(&self) -> usize {
        self.limits.max_buffered.saturating_sub(self.buf.len())
    }

    /// Stream offset of the next undecided byte.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Appends received bytes. Fails with [`Error::BufferFull`] (fatal: close
    /// the connection) when they would exceed [`Limits::max_buffered`]; drain
    /// [`StreamDecoder::decode_next`] after every feed to stay below it.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if data.len() > self.capacity_left() {
            return Err(Error::BufferFull {
                buffered: self.buf.len(),
                incoming: data.len(),
                cap: self.limits.max_buffered,
            });
        }
        self.buf.extend_from_slice(data);
        self.eof = false;
        Ok(())
    }

    /// Marks the end of input: undecided bytes are then resolved with what is
    /// there (a cut frame becomes [`Item::Incomplete`], partial `link`/ICCID
    /// text becomes garbage). Feeding again clears the mark.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// The next item, `Ok(None)` when more input is needed, or an error about
    /// the bytes at the current position (after which decoding can go on if
    /// [`Error::can_continue`]).
    pub fn decode_next(&mut self) -> Result<Option<Item>, Error> {
        loop {
            if self.garbage >= self.limits.max_garbage_run {
                return Ok(Some(self.take_garbage()));
            }
            let rest = self.buf.get(self.garbage..).unwrap_or_default();
            if rest.is_empty() {
                if self.eof && self.garbage > 0 {
                    return Ok(Some(self.take_garbage()));
                }
                return Ok(None);
            }
            let class = classify(
                rest,
                &self.limits,
                self.eof,
                self.offset + self.garbage as u64,
            );
            match class {
                Class::Garbage => {
                    self.garbage += 1;
                    continue;
                }
                Class::NeedMore => return Ok(None),
                _ if self.garbage > 0 => return Ok(Some(self.take_garbage())),
                Class::Frame(len) => {
                    let bytes = self.take(len);
                    return Ok(Some(Item::Frame(RawFrame::from_checked(bytes))));
                }
                Class::Link => {
                    self.take(LINK.len());
                    return Ok(Some(Item::Link));
                }
                Class::Iccid => {
                    let bytes = self.take(Iccid::LEN);
                    let raw: [u8; 20] = bytes.as_ref().try_into().unwrap_or([0; 20]);
                    return Ok(Some(Item::Iccid(Iccid::from_bytes(raw)?)));
                }
                Class::Reject(err, skip) => {
                    self.take(skip);
                    return Err(err);
                }
                Class::Incomplete => {
                    let n = self.buf.len();
                    return Ok(Some(Item::Incomplete(self.take(n))));
                }
            }
        }
    }

    fn take(&mut self, n: usize) -> Bytes {
        let n = n.min(self.buf.len());
        self.offset += n as u64;
        self.buf.split_to(n).freeze()
    }

    fn take_garbage(&mut self) -> Item {
        let n = std::mem::take(&mut self.garbage);
        Item::Garbage(self.take(n))
    }
}

impl Iterator for StreamDecoder {
    type Item = Result<Item, Error>;

    /// Same as [`StreamDecoder::decode_next`]; `None` means "feed more"
    /// (the iterator is not fused).
    fn next(&mut self) -> Option<Self::Item> {
        self.decode_next().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::hex::decode(s).unwrap()
    }

    const HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";

    fn drain(d: &mut StreamDecoder) -> Vec<Result<Item, Error>> {
        d.by_ref().collect()
    }

    #[test]
    fn lying_short_length_is_named() {
        // Vector dny-length-too-small: length 0x0f instead of 0x10.
        let mut d = StreamDecoder::new();
        d.feed(&hex("444e590f003b37ab0401002198080200000905ee02"))
            .unwrap();
        d.feed(&hex(HEARTBEAT)).unwrap();
        let items = drain(&mut d);
        assert_eq!(
            items.first().unwrap().as_ref().unwrap_err(),
            &Error::LengthMismatch {
                offset: 0,
                stated: 15,
                actual: 16
            }
        );
        assert!(matches!(items.get(1), Some(Ok(Item::Garbage(g))) if g.len() == 18));
        assert!(matches!(items.get(2), Some(Ok(Item::Frame(f))) if f.command == 0x21));
    }

    #[test]
    fn checksum_error_says_where() {
        let mut d = StreamDecoder::new();
        let mut bad = hex(HEARTBEAT);
        *bad.last_mut().unwrap() = 0x03;
        d.feed(b"link").unwrap();
        d.feed(&bad).unwrap();
        d.finish();
        let items = drain(&mut d);
        assert!(matches!(items.first(), Some(Ok(Item::Link))));
        let e = items.get(1).unwrap().as_ref().unwrap_err();
        assert_eq!(
            e.to_string(),
            "checksum mismatch at offset 4: frame says 0x03ee, computed 0x02ee"
        );
        assert!(e.can_continue());
    }

    #[test]
    fn oversized_length_is_skipped() {
        let mut d = StreamDecoder::new();
        d.feed(b"DNY\xff\xff").unwrap();
        d.feed(&hex(HEARTBEAT)).unwrap();
        let items = drain(&mut d);
        assert!(matches!(
            items.first(),
            Some(Err(Error::FrameTooLarge { length: 0xffff, .. }))
        ));
        assert!(matches!(items.get(1), Some(Ok(Item::Garbage(g))) if g.as_ref() == b"\xff\xff"));
        assert!(matches!(items.get(2), Some(Ok(Item::Frame(_)))));
    }

    #[test]
    fn buffer_cap_is_fatal() {
        let mut d = StreamDecoder::new();
        let e = d.feed(&vec![0u8; 20_000]).unwrap_err();
        assert!(!e.can_continue());
        assert!(
            StreamDecoder::with_limits(Limits {
                max_buffered: 10,
                ..Limits::default()
            })
            .is_err()
        );
    }

    #[test]
    fn partial_frame_at_end_is_incomplete() {
        let mut d = StreamDecoder::new();
        let hb = hex(HEARTBEAT);
        d.feed(&hb[..10]).unwrap();
        assert!(drain(&mut d).is_empty());
        d.finish();
        let items = drain(&mut d);
        assert!(matches!(items.as_slice(), [Ok(Item::Incomplete(b))] if b.len() == 10));
    }

    #[test]
    fn garbage_runs_are_capped() {
        let mut d = StreamDecoder::new();
        d.feed(&[0u8; 600]).unwrap();
        let items = drain(&mut d);
        assert_eq!(items.len(), 2); // 256 + 256, 88 held
        d.finish();
        let rest = drain(&mut d);
        assert!(matches!(rest.as_slice(), [Ok(Item::Garbage(g))] if g.len() == 88));
    }
}
