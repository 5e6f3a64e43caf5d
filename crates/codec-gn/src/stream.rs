//! Streaming frame decoder over a caller-owned [`BytesMut`] (sans-IO).
//!
//! The caller reads from its socket into a `BytesMut` and calls
//! [`StreamDecoder::decode`] until it returns `Ok(None)`:
//!
//! ```
//! use bytes::BytesMut;
//! use codec_gn::{Decoded, StreamDecoder};
//!
//! let mut dec = StreamDecoder::default();
//! let mut buf = BytesMut::from(&b"\x00\x01"[..]); // noise, then half a frame…
//! loop {
//!     match dec.decode(&mut buf) {
//!         Ok(Some(Decoded::Frame(frame))) => { /* handle frame */ }
//!         Ok(Some(Decoded::Garbage(bytes))) => { /* log skipped bytes */ }
//!         Ok(None) => break, // read more
//!         Err(e) if e.can_continue() => { /* log e, keep going */ }
//!         Err(_) => break,   // drop the connection
//!     }
//! }
//! ```
//!
//! Rules (fact sheet §2.1): find `FC FE`/`FC FF`, read the length, wait for
//! length + 4 bytes, check tail and checksum; on any failure discard **one** byte
//! and rescan, so a stray header never swallows a real frame inside its window.
//!
//! One more rule makes a stray header harmless even when its window happens to
//! end on a real tail with a matching sum: a candidate whose window contains a
//! complete valid frame (starting inside it, ending within it) is rejected. The
//! decision depends only on the bytes of the window, so every split of a stream
//! yields the same frames; and because a complete inner frame already decides
//! it, the decoder does not wait for a stray header's window to fill — a stray
//! header with a large length cannot stall the connection.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Error;
use crate::frame::{self, Check, DEFAULT_MAX_LENGTH, Direction, Frame, MIN_LENGTH};

/// Bounds on what the decoder accepts and holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted length field; larger ones are treated as garbage.
    pub max_length: usize,
    /// Largest buffer the caller may hand in. A caller that reads at most
    /// `max_buffered - buf.len()` bytes per read never hits it.
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_length: DEFAULT_MAX_LENGTH,
            max_buffered: 64 * 1024,
        }
    }
}

/// One step of stream decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A frame with valid length, tail and checksum.
    Frame(Frame),
    /// Bytes skipped because no frame starts there (consecutive bytes in one piece).
    Garbage(Bytes),
}

/// The streaming decoder. It holds no bytes itself, only the stream offset (for
/// error messages) and where the last look-ahead scan stopped.
#[derive(Debug, Clone, Default)]
pub struct StreamDecoder {
    limits: Limits,
    /// Stream offset of the first byte of the caller's buffer.
    offset: u64,
    /// Look-ahead resumes here (relative to the buffer start) while the frame at
    /// the front is incomplete; positions before it hold no complete frame.
    scan_from: usize,
    /// Buffer length at the last look-ahead; a shorter buffer means the caller
    /// changed it behind our back, and the look-ahead starts over.
    scanned_len: usize,
}

impl StreamDecoder {
    /// A decoder with the given limits.
    pub fn new(limits: Limits) -> Self {
        let limits = Limits {
            max_length: limits.max_length.clamp(MIN_LENGTH, usize::from(u16::MAX)),
            max_buffered: limits.max_buffered,
        };
        Self {
            limits,
            offset: 0,
            scan_from: 0,
            scanned_len: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Stream offset of the first byte not yet consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Decodes the next item from the front of `buf`.
    ///
    /// `Ok(None)` means more bytes are needed; whatever is left in `buf` is the
    /// start of a possible frame. Errors other than [`Error::BufferLimit`] have
    /// already discarded one byte: call again.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, Error> {
        if buf.len() > self.limits.max_buffered {
            return Err(Error::BufferLimit {
                buffered: buf.len(),
                limit: self.limits.max_buffered,
            });
        }
        let (start, partial) = find_header(buf, 0);
        if start == buf.len() {
            // No header: all garbage, except a lone trailing 0xFC that may begin one.
            let skip = buf.len() - usize::from(partial);
            return Ok((skip > 0).then(|| self.garbage(buf, skip)));
        }
        if start > 0 {
            return Ok(Some(self.garbage(buf, start)));
        }
        let direction = if buf.get(1) == Some(&0xfe) {
            Direction::Up
        } else {
            Direction::Down
        };
        match frame::check(buf, self.limits.max_length, self.offset) {
            Check::Complete(len) => {
                let window = buf.get(..len).unwrap_or(&[]);
                if let Scan::Found = scan_inner(window, 1, self.limits.max_length) {
                    return Ok(Some(self.reject_front(buf)));
                }
                let bytes = buf.split_to(len).freeze();
                self.advance(len);
                Ok(Some(Decoded::Frame(Frame::from_checked(direction, bytes))))
            }
            Check::Invalid(e) => {
                buf.advance(1);
                self.advance(1);
                Err(e)
            }
            Check::Incomplete => {
                // The whole buffer lies inside the front candidate's window: a
                // complete valid frame in it already decides against the front.
                if buf.len() < self.scanned_len {
                    self.scan_from = 0;
                }
                self.scanned_len = buf.len();
                match scan_inner(buf, self.scan_from.max(1), self.limits.max_length) {
                    Scan::Found => Ok(Some(self.reject_front(buf))),
                    Scan::NotFound { resume } => {
                        self.scan_from = resume;
                        Ok(None)
                    }
                }
            }
        }
    }

    /// Drops the rejected header and the bytes up to the next header candidate.
    fn reject_front(&mut self, buf: &mut BytesMut) -> Decoded {
        let (next, partial) = find_header(buf, 1);
        let n = next.saturating_sub(usize::from(partial)).max(1);
        self.garbage(buf, n)
    }

    fn garbage(&mut self, buf: &mut BytesMut, n: usize) -> Decoded {
        let bytes = buf.split_to(n).freeze();
        self.advance(n);
        Decoded::Garbage(bytes)
    }

    fn advance(&mut self, n: usize) {
        self.offset += n as u64;
        self.scan_from = 0;
        self.scanned_len = 0;
    }
}

/// What [`scan_inner`] found.
enum Scan {
    /// A complete valid frame starts here.
    Found,
    /// None; candidates before `resume` can never become one.
    NotFound { resume: usize },
}

/// Looks for a complete valid frame starting at or after `from` and lying
/// entirely within `window`.
fn scan_inner(window: &[u8], from: usize, max_length: usize) -> Scan {
    let mut pos = from;
    let mut resume = None;
    while pos + frame::OVERHEAD <= window.len() {
        let (at, _) = find_header(window, pos);
        let Some(rest) = window.get(at..).filter(|r| r.len() >= frame::OVERHEAD) else {
            break;
        };
        match frame::check(rest, max_length, 0) {
            Check::Complete(_) => return Scan::Found,
            Check::Incomplete => {
                resume.get_or_insert(at);
            }
            Check::Invalid(_) => {}
        }
        pos = at + 1;
    }
    // Positions from `pos` on were not examined (too close to the end, or a
    // trailing 0xFC); the first incomplete candidate must be looked at again.
    let limit = window.len().saturating_sub(frame::OVERHEAD - 1).max(from);
    Scan::NotFound {
        resume: resume.unwrap_or(pos.min(limit)),
    }
}

/// First position at or after `from` where a full two-byte header starts, or
/// `buf.len()` if none; the flag tells whether the last byte is a lone 0xFC.
fn find_header(buf: &[u8], from: usize) -> (usize, bool) {
    let tail = buf.get(from..).unwrap_or(&[]);
    let mut it = tail.windows(2).enumerate();
    let found = it.find_map(|(i, w)| matches!(w, [0xfc, 0xfe | 0xff]).then_some(from + i));
    match found {
        Some(at) => (at, false),
        None => (buf.len(), buf.last() == Some(&0xfc) && buf.len() > from),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::error::ErrorKind;

    const HB_REPLY: &str = "fcff0018000000000000008220052000486920200730164545a7fcee";

    fn unhex(s: &str) -> Vec<u8> {
        crate::hex::decode_vec(s).unwrap()
    }

    fn drain(dec: &mut StreamDecoder, buf: &mut BytesMut) -> Vec<Result<Decoded, ErrorKind>> {
        let mut out = Vec::new();
        loop {
            match dec.decode(buf) {
                Ok(Some(d)) => out.push(Ok(d)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e.kind())),
            }
        }
    }

    #[test]
    fn garbage_then_frame_then_partial() {
        let mut bytes = unhex("000d0a");
        bytes.extend(unhex(HB_REPLY));
        bytes.extend(unhex("fcfe0025"));
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = StreamDecoder::default();
        let items = drain(&mut dec, &mut buf);
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], Ok(Decoded::Garbage(g)) if g[..] == [0, 0x0d, 0x0a]));
        assert!(matches!(&items[1], Ok(Decoded::Frame(f)) if f.command == 0));
        assert_eq!(&buf[..], &unhex("fcfe0025")[..]);
        assert_eq!(dec.offset(), 3 + 28);
    }

    #[test]
    fn stray_header_with_big_length_does_not_stall() {
        // A stray header announcing 0x0700 bytes, then a real frame inside its window.
        let mut bytes = unhex("fcfe0700");
        bytes.extend(unhex(HB_REPLY));
        let mut buf = BytesMut::from(&bytes[..]);
        let mut dec = StreamDecoder::default();
        let items = drain(&mut dec, &mut buf);
        assert!(matches!(&items[0], Ok(Decoded::Garbage(g)) if g.len() == 4));
        assert!(matches!(&items[1], Ok(Decoded::Frame(_))));
        assert!(buf.is_empty());
    }

    #[test]
    fn stray_window_that_is_itself_valid_does_not_swallow_the_frame() {
        // A stray header + one byte, then a real frame; the stray's length makes
        // its window end on the real tail, and the extra byte makes its sum match.
        let real = unhex(HB_REPLY);
        let total = 5 + real.len();
        let mut bytes = vec![0xfc, 0xfe, 0x00, (total - 4) as u8, 0x00];
        bytes.extend(&real);
        let want = real[real.len() - 3];
        let sum = frame::checksum(&bytes[2..total - 3]);
        bytes[4] = want.wrapping_sub(sum);
        assert!(matches!(
            frame::check(&bytes, DEFAULT_MAX_LENGTH, 0),
            Check::Complete(_)
        ));
        for split in 0..=bytes.len() {
            let mut dec = StreamDecoder::default();
            let mut buf = BytesMut::from(&bytes[..split]);
            let mut items = drain(&mut dec, &mut buf);
            buf.extend_from_slice(&bytes[split..]);
            items.extend(drain(&mut dec, &mut buf));
            let frames: Vec<_> = items
                .into_iter()
                .filter_map(|i| match i {
                    Ok(Decoded::Frame(f)) => Some(f),
                    _ => None,
                })
                .collect();
            assert_eq!(
                frames,
                vec![Frame::decode(&real).unwrap()],
                "split at {split}"
            );
        }
    }

    #[test]
    fn bad_checksum_reports_and_resyncs() {
        let mut bad = unhex(HB_REPLY);
        bad[25] = 0xa6;
        bad.extend(unhex(HB_REPLY));
        let mut buf = BytesMut::from(&bad[..]);
        let mut dec = StreamDecoder::default();
        let err = dec.decode(&mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "checksum mismatch at stream offset 0: frame says 0xa6, computed 0xa7"
        );
        assert!(err.can_continue());
        let items = drain(&mut dec, &mut buf);
        assert!(matches!(&items[0], Ok(Decoded::Garbage(g)) if g.len() == 27));
        assert!(matches!(&items[1], Ok(Decoded::Frame(_))));
    }

    #[test]
    fn oversized_length_is_rejected_from_the_header() {
        let mut buf = BytesMut::from(&unhex("fcfe0801")[..]);
        let mut dec = StreamDecoder::default();
        assert_eq!(
            dec.decode(&mut buf).unwrap_err().kind(),
            ErrorKind::BadLength
        );
        assert_eq!(buf.len(), 3);
    }

    #[test]
    fn buffer_limit_is_fatal() {
        let mut dec = StreamDecoder::new(Limits {
            max_length: 100,
            max_buffered: 8,
        });
        let mut buf = BytesMut::from(&[0u8; 9][..]);
        let err = dec.decode(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferLimit);
        assert!(!err.can_continue());
    }

    #[test]
    fn lone_trailing_fc_is_kept() {
        let mut buf = BytesMut::from(&[0x01, 0xfc][..]);
        let mut dec = StreamDecoder::default();
        assert!(matches!(dec.decode(&mut buf), Ok(Some(Decoded::Garbage(g))) if g[..] == [1]));
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert_eq!(&buf[..], &[0xfc]);
    }
}
