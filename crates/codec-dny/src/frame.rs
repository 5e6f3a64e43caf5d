//! The DNY frame: header, length, physical id, message id, command, data,
//! checksum.
//!
//! ```text
//! offset: 0..2   3..4        5..8               9..10         11    12..11+n   12+n..13+n
//!         "DNY"  length (LE) physical id (LE)   msg id (LE)   cmd   data (n)   checksum (LE)
//! ```
//!
//! `length` counts physical id + msg id + command + data + checksum = n + 9,
//! so a frame is `length + 5` bytes (fact sheet §1.1, proven by every
//! example). The checksum is [`sum16`] of every byte before it.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::checksum::sum16;
use crate::error::Error;
use crate::ids::{MessageId, PhysicalId};

/// The 3-byte header, ASCII `DNY`.
pub const HEADER: [u8; 3] = *b"DNY";
/// Smallest valid length field: id 4 + msg id 2 + command 1 + checksum 2.
pub const MIN_LENGTH: u16 = 9;
/// Default cap on the length field. The vendor's "256 bytes per packet"
/// cannot hold for 0xF8 (274-byte frames); 512 is the fact sheet's
/// recommendation.
pub const DEFAULT_MAX_LENGTH: u16 = 512;
/// Bytes before the length-counted part: header 3 + length field 2.
pub const PREFIX_LEN: usize = 5;
/// Bytes before the data: header, length, id, msg id, command.
pub const DATA_OFFSET: usize = 12;
/// Smallest frame: 14 bytes (no data).
pub const MIN_FRAME_LEN: usize = MIN_LENGTH as usize + PREFIX_LEN;

/// One DNY frame with its checksum already verified (or to be computed on
/// encoding). `data` is a zero-copy slice of the received bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawFrame {
    /// Who sent it (uplink) or whom it is for (downlink).
    pub physical_id: PhysicalId,
    /// Pairs a reply with its request.
    pub message_id: MessageId,
    /// The command byte; its meaning depends on the direction.
    pub command: u8,
    /// The data bytes between the command and the checksum.
    pub data: Bytes,
}

impl RawFrame {
    /// The value of the length field: data + 9.
    pub fn length(&self) -> usize {
        self.data.len() + MIN_LENGTH as usize
    }

    /// Bytes on the wire: length + 5.
    pub fn encoded_len(&self) -> usize {
        self.length() + PREFIX_LEN
    }

    /// Appends the frame, with its checksum, to `dst`.
    ///
    /// Fails when the length does not fit the 16-bit field. (The *receiving*
    /// cap, [`DEFAULT_MAX_LENGTH`], is not applied here.)
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), Error> {
        let length = u16::try_from(self.length()).map_err(|_| Error::Encode {
            command: self.command,
            field: "data",
            reason: format!(
                "{} data bytes exceed the 16-bit length field",
                self.data.len()
            ),
        })?;
        let start = dst.len();
        dst.reserve(self.encoded_len());
        dst.put_slice(&HEADER);
        dst.put_u16_le(length);
        dst.put_slice(&self.physical_id.to_wire());
        dst.put_u16_le(self.message_id.get());
        dst.put_u8(self.command);
        dst.put_slice(&self.data);
        let sum = sum16(dst.get(start..).unwrap_or_default());
        dst.put_u16_le(sum);
        Ok(())
    }

    /// The encoded frame as one buffer.
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut b = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut b)?;
        Ok(b.freeze())
    }

    /// Splits a complete frame whose size and checksum were already checked.
    /// `frame.len()` must be at least [`MIN_FRAME_LEN`]; shorter input yields
    /// zeroed fields rather than a panic.
    pub(crate) fn from_checked(mut frame: Bytes) -> RawFrame {
        let b = frame.as_ref();
        let id = [at(b, 5), at(b, 6), at(b, 7), at(b, 8)];
        let msg = u16::from_le_bytes([at(b, 9), at(b, 10)]);
        let command = at(b, 11);
        // Narrow the buffer in place to the data: no reference-count traffic.
        let data = if frame.len() >= DATA_OFFSET + 2 {
            frame.truncate(frame.len() - 2);
            frame.advance(DATA_OFFSET);
            frame
        } else {
            Bytes::new()
        };
        RawFrame {
            physical_id: PhysicalId::from_wire(id),
            message_id: MessageId::new(msg),
            command,
            data,
        }
    }
}

#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
pub(crate) fn le16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([at(b, i), at(b, i + 1)])
}

/// What the bytes at the start of a buffer hold, judged from the header and
/// length field only (rumqttd-style `check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A frame of this many bytes starts here; the buffer holds all of it.
    Complete(usize),
    /// A frame of this many bytes starts here, or may (header or length not
    /// all there yet); the buffer is shorter.
    Incomplete(usize),
}

/// Checks header and length at the start of `buf` without looking at the
/// checksum. Fails with [`Error::BadHeader`], [`Error::BadLength`] or
/// [`Error::FrameTooLarge`] (offsets relative to `buf`).
pub fn check(buf: &[u8], max_length: u16) -> Result<Check, Error> {
    let head = buf.get(..3).unwrap_or(buf);
    if head != HEADER.get(..head.len()).unwrap_or_default() {
        return Err(Error::BadHeader { offset: 0 });
    }
    if buf.len() < PREFIX_LEN {
        return Ok(Check::Incomplete(MIN_FRAME_LEN));
    }
    let length = le16(buf, 3);
    if length < MIN_LENGTH {
        return Err(Error::BadLength { offset: 0, length });
    }
    if length > max_length {
        return Err(Error::FrameTooLarge {
            offset: 0,
            length,
            max: max_length,
        });
    }
    let total = usize::from(length) + PREFIX_LEN;
    Ok(if buf.len() >= total {
        Check::Complete(total)
    } else {
        Check::Incomplete(total)
    })
}

/// The stored and the computed checksum of a complete `total`-byte frame at
/// the start of `buf` (`buf.len() >= total >= MIN_FRAME_LEN`).
pub(crate) fn checksums(buf: &[u8], total: usize) -> (u16, u16) {
    let body = total.saturating_sub(2);
    let stored = le16(buf, body);
    let computed = sum16(buf.get(..body).unwrap_or_default());
    (stored, computed)
}

/// Decodes exactly one frame occupying all of `bytes`, with the default
/// length cap. Errors: [`Error::BadHeader`], [`Error::BadLength`],
/// [`Error::FrameTooLarge`], [`Error::Truncated`] (fewer bytes than
/// announced), [`Error::LengthMismatch`] (more bytes than announced),
/// [`Error::ChecksumMismatch`].
pub fn decode_frame(bytes: &[u8]) -> Result<RawFrame, Error> {
    let (frame, stored, computed) = decode_frame_lenient(bytes)?;
    if stored != computed {
        return Err(Error::ChecksumMismatch {
            offset: 0,
            stored,
            computed,
        });
    }
    Ok(frame)
}

/// Like [`decode_frame`] but returns a frame whose checksum is wrong together
/// with the stored and computed checksums, for inspection tools.
pub fn decode_frame_lenient(bytes: &[u8]) -> Result<(RawFrame, u16, u16), Error> {
    let total = match check(bytes, DEFAULT_MAX_LENGTH)? {
        Check::Complete(total) => total,
        Check::Incomplete(total) => {
            return Err(Error::Truncated {
                offset: 0,
                expected: total,
                available: bytes.len(),
            });
        }
    };
    if bytes.len() > total {
        return Err(Error::LengthMismatch {
            offset: 0,
            stated: total - PREFIX_LEN,
            actual: bytes.len() - PREFIX_LEN,
        });
    }
    let (stored, computed) = checksums(bytes, total);
    Ok((
        RawFrame::from_checked(Bytes::copy_from_slice(bytes)),
        stored,
        computed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §3.1 heartbeat, annotated field by field.
    const HEARTBEAT: [u8; 21] = [
        0x44, 0x4E, 0x59, // "DNY"
        0x10, 0x00, // length 16 = 4 + 2 + 1 + 7 data + 2
        0x3B, 0x37, 0xAB, 0x04, // physical id 0x04AB373B (LE)
        0x01, 0x00, // message id 1
        0x21, // command: heartbeat
        0x98, 0x08, 0x02, 0x00, 0x00, 0x09, 0x05, // data (7 bytes)
        0xEE, 0x02, // checksum 0x02EE (LE)
    ];

    #[test]
    fn decodes_annotated_heartbeat() {
        let f = decode_frame(&HEARTBEAT).unwrap();
        assert_eq!(f.physical_id.to_string(), "04ab373b");
        assert_eq!(f.message_id.get(), 1);
        assert_eq!(f.command, 0x21);
        assert_eq!(f.data.as_ref(), &HEARTBEAT[12..19]);
        assert_eq!(f.length(), 16);
        assert_eq!(f.to_bytes().unwrap().as_ref(), &HEARTBEAT[..]);
    }

    #[test]
    fn check_reports_sizes() {
        assert_eq!(check(&HEARTBEAT, 512), Ok(Check::Complete(21)));
        assert_eq!(check(&HEARTBEAT[..7], 512), Ok(Check::Incomplete(21)));
        assert_eq!(check(&HEARTBEAT[..2], 512), Ok(Check::Incomplete(14)));
        assert_eq!(check(b"", 512), Ok(Check::Incomplete(14)));
        assert_eq!(check(b"DNX", 512), Err(Error::BadHeader { offset: 0 }));
        assert!(matches!(
            check(&HEARTBEAT, 15),
            Err(Error::FrameTooLarge { length: 16, .. })
        ));
        assert!(matches!(
            check(b"DNY\x08\x00", 512),
            Err(Error::BadLength { length: 8, .. })
        ));
    }

    #[test]
    fn single_frame_errors() {
        assert!(matches!(
            decode_frame(&HEARTBEAT[..20]),
            Err(Error::Truncated {
                expected: 21,
                available: 20,
                ..
            })
        ));
        let mut longer = HEARTBEAT.to_vec();
        longer.push(0);
        assert!(matches!(
            decode_frame(&longer),
            Err(Error::LengthMismatch {
                stated: 16,
                actual: 17,
                ..
            })
        ));
        let mut bad = HEARTBEAT;
        bad[20] = 0x03;
        let e = decode_frame(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "checksum mismatch at offset 0: frame says 0x03ee, computed 0x02ee"
        );
    }

    #[test]
    fn from_checked_never_panics_on_short_input() {
        let f = RawFrame::from_checked(Bytes::from_static(b"DNY"));
        assert_eq!(f.command, 0);
        assert!(f.data.is_empty());
    }
}
