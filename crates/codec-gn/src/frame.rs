//! The GN frame: header, length, command, sequence, packet type, gateway id,
//! payload, checksum, tail.
//!
//! ```text
//! offset: 0..1        2..3         4..5          6..9           10         11..17         18..17+n     18+n      19+n..20+n
//!         FC FE|FC FF length (BE)  command (BE)  sequence (BE)  direction  gateway id (7) payload (n)  checksum  FC EE
//! ```
//!
//! `length` counts the bytes after the length field through the tail
//! (total = length + 4, payload n = length − 17); the checksum is the 8-bit sum of
//! the length field through the last payload byte.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;
use crate::hex;
use crate::ids::GatewayId;

/// Header of a device→server frame.
pub const HEADER_UP: [u8; 2] = [0xfc, 0xfe];
/// Header of a server→device frame.
pub const HEADER_DOWN: [u8; 2] = [0xfc, 0xff];
/// Tail of every frame.
pub const TAIL: [u8; 2] = [0xfc, 0xee];
/// Smallest length field: a frame with an empty payload.
pub const MIN_LENGTH: usize = 17;
/// Default cap on the length field. The largest documented frame is 149 bytes.
pub const DEFAULT_MAX_LENGTH: usize = 2048;
/// Bytes of a frame that are not payload.
pub const OVERHEAD: usize = MIN_LENGTH + 4;

/// Which way a frame travels, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Device (gateway) → server, header `FC FE`, packet type 0x01.
    Up,
    /// Server → device, header `FC FF`, packet type 0x00.
    Down,
}

impl Direction {
    /// The two header bytes.
    pub const fn header(self) -> [u8; 2] {
        match self {
            Self::Up => HEADER_UP,
            Self::Down => HEADER_DOWN,
        }
    }

    /// The packet-type byte (包类型) that matches this direction.
    pub const fn packet_type(self) -> u8 {
        match self {
            Self::Up => 0x01,
            Self::Down => 0x00,
        }
    }

    /// `"up"` or `"down"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }

    fn from_header(b: [u8; 2]) -> Option<Self> {
        match b {
            HEADER_UP => Some(Self::Up),
            HEADER_DOWN => Some(Self::Down),
            _ => None,
        }
    }
}

/// One GN frame with its payload undecoded (zero-copy [`Bytes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// From the header.
    pub direction: Direction,
    /// Command (0x0000 heartbeat, 0x0005, 0x0007, 0x0015, 0x1000, …).
    pub command: u16,
    /// Frame sequence number (帧流水号); 0 on device reports, echoed in answers.
    pub sequence: u32,
    /// The packet-type byte as it came (0x01 up, 0x00 down in every example; kept
    /// raw so that re-encoding is exact even if a device disagrees with its header).
    pub packet_type: u8,
    /// The gateway.
    pub gateway_id: GatewayId,
    /// Command payload.
    pub payload: Bytes,
}

/// Result of checking a buffer that starts with a header.
#[derive(Debug)]
pub(crate) enum Check {
    /// A valid frame of this many bytes.
    Complete(usize),
    /// More bytes needed.
    Incomplete,
    /// Not a frame.
    Invalid(Error),
}

/// The 8-bit sum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |acc, b| acc.wrapping_add(*b))
}

/// Checks the frame at the start of `buf` (which starts with a header): length
/// bounds, completeness, tail, checksum. `offset` is the stream offset for errors.
pub(crate) fn check(buf: &[u8], max_length: usize, offset: u64) -> Check {
    let Some(&[l0, l1]) = buf.get(2..4) else {
        return Check::Incomplete;
    };
    let length = usize::from(u16::from_be_bytes([l0, l1]));
    if !(MIN_LENGTH..=max_length).contains(&length) {
        return Check::Invalid(Error::BadLength {
            offset,
            declared: length,
            min: MIN_LENGTH,
            max: max_length,
        });
    }
    let total = length + 4;
    let Some(frame) = buf.get(..total) else {
        return Check::Incomplete;
    };
    if let Err(e) = verify(frame, offset) {
        return Check::Invalid(e);
    }
    Check::Complete(total)
}

/// Tail and checksum of a complete frame whose length field matches its size.
fn verify(frame: &[u8], offset: u64) -> Result<(), Error> {
    let total = frame.len();
    let tail = frame.get(total.saturating_sub(2)..).unwrap_or(&[]);
    if tail != TAIL {
        return Err(Error::BadTail {
            offset,
            at: total.saturating_sub(2),
            found: hex::encode(tail),
        });
    }
    let declared = frame.get(total.saturating_sub(3)).copied().unwrap_or(0);
    let computed = checksum(frame.get(2..total.saturating_sub(3)).unwrap_or(&[]));
    if declared != computed {
        return Err(Error::BadChecksum {
            offset,
            declared,
            computed,
        });
    }
    Ok(())
}

/// What [`Frame::inspect`] found: the frame, and its checksum as sent and as summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The frame (its checksum may be wrong).
    pub frame: Frame,
    /// The checksum byte in the frame.
    pub declared_checksum: u8,
    /// The 8-bit sum of length field through payload.
    pub computed_checksum: u8,
}

impl Inspected {
    /// Whether the checksum matches.
    pub fn checksum_ok(&self) -> bool {
        self.declared_checksum == self.computed_checksum
    }
}

impl Frame {
    /// A frame whose packet-type byte matches `direction`.
    pub fn new(
        direction: Direction,
        command: u16,
        sequence: u32,
        gateway_id: GatewayId,
        payload: Bytes,
    ) -> Self {
        Self {
            direction,
            command,
            sequence,
            packet_type: direction.packet_type(),
            gateway_id,
            payload,
        }
    }

    /// Decodes exactly one frame occupying all of `bytes` (copied). For a byte
    /// stream use [`crate::StreamDecoder`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode_bytes(Bytes::copy_from_slice(bytes))
    }

    /// Decodes exactly one frame occupying all of `bytes`, zero-copy.
    pub fn decode_bytes(bytes: Bytes) -> Result<Self, Error> {
        let inspected = Self::inspect(bytes)?;
        if !inspected.checksum_ok() {
            return Err(Error::BadChecksum {
                offset: 0,
                declared: inspected.declared_checksum,
                computed: inspected.computed_checksum,
            });
        }
        Ok(inspected.frame)
    }

    /// Like [`Frame::decode_bytes`] but accepts a wrong checksum and reports it
    /// (for tools that show a damaged frame). Every other check still applies.
    pub fn inspect(bytes: Bytes) -> Result<Inspected, Error> {
        let header = [bytes.first().copied(), bytes.get(1).copied()];
        let direction = match header {
            [Some(a), Some(b)] => Direction::from_header([a, b]),
            _ => None,
        };
        let Some(direction) = direction else {
            return Err(Error::BadHeader {
                offset: 0,
                found: hex::encode(bytes.get(..2).unwrap_or(&bytes)),
            });
        };
        let Some(&[l0, l1]) = bytes.get(2..4) else {
            return Err(Error::Truncated {
                offset: 0,
                expected: 4,
                available: bytes.len(),
            });
        };
        let length = usize::from(u16::from_be_bytes([l0, l1]));
        if length < MIN_LENGTH {
            return Err(Error::BadLength {
                offset: 0,
                declared: length,
                min: MIN_LENGTH,
                max: usize::from(u16::MAX),
            });
        }
        let total = length + 4;
        if bytes.len() < total {
            return Err(Error::Truncated {
                offset: 0,
                expected: total,
                available: bytes.len(),
            });
        }
        if bytes.len() > total {
            return Err(Error::LengthMismatch {
                offset: 0,
                expected: total,
                actual: bytes.len(),
            });
        }
        match verify(&bytes, 0) {
            Ok(()) | Err(Error::BadChecksum { .. }) => {}
            Err(e) => return Err(e),
        }
        let declared_checksum = bytes.get(total - 3).copied().unwrap_or(0);
        let computed_checksum = checksum(bytes.get(2..total - 3).unwrap_or(&[]));
        let frame = Self::from_checked(direction, bytes);
        Ok(Inspected {
            frame,
            declared_checksum,
            computed_checksum,
        })
    }

    /// Builds a frame from bytes already checked by [`check`] / [`Frame::inspect`]
    /// (header valid, total = length + 4 ≥ 21).
    pub(crate) fn from_checked(direction: Direction, bytes: Bytes) -> Self {
        let field = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or(&[]);
        let command = match field(4..6) {
            &[a, b] => u16::from_be_bytes([a, b]),
            _ => 0,
        };
        let sequence = match field(6..10) {
            &[a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        };
        let packet_type = field(10..11).first().copied().unwrap_or(0);
        let mut gw = [0u8; 7];
        if let Some(src) = bytes.get(11..18) {
            gw.copy_from_slice(src);
        }
        let end = bytes.len().saturating_sub(3);
        let payload = bytes.slice(18.min(end)..end);
        Self {
            direction,
            command,
            sequence,
            packet_type,
            gateway_id: GatewayId::from_bytes(gw),
            payload,
        }
    }

    /// Size of the encoded frame.
    pub fn encoded_len(&self) -> usize {
        self.payload.len() + OVERHEAD
    }

    /// Encodes the frame.
    pub fn encode(&self) -> Result<Bytes, Error> {
        let mut out = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out.freeze())
    }

    /// Appends the encoded frame to `out`.
    pub fn encode_into(&self, out: &mut BytesMut) -> Result<(), Error> {
        let start = out.len();
        begin(
            out,
            self.direction,
            self.command,
            self.sequence,
            self.packet_type,
            &self.gateway_id,
        );
        out.put_slice(&self.payload);
        finish(out, start)
    }
}

/// Writes everything up to the payload, with a placeholder length.
pub(crate) fn begin(
    out: &mut BytesMut,
    direction: Direction,
    command: u16,
    sequence: u32,
    packet_type: u8,
    gateway_id: &GatewayId,
) {
    out.put_slice(&direction.header());
    out.put_u16(0);
    out.put_u16(command);
    out.put_u32(sequence);
    out.put_u8(packet_type);
    out.put_slice(gateway_id.as_bytes());
}

/// Patches the length of the frame that starts at `start` and appends checksum
/// and tail. Fails if the frame would exceed [`DEFAULT_MAX_LENGTH`].
pub(crate) fn finish(out: &mut BytesMut, start: usize) -> Result<(), Error> {
    let body = out.len().saturating_sub(start);
    // body = header(2) + length(2) + 14 header bytes + payload; length adds checksum + tail.
    let length = body + 3 - 4;
    if length > DEFAULT_MAX_LENGTH {
        out.truncate(start);
        return Err(Error::encode(
            "payload",
            format!("frame length {length} over the {DEFAULT_MAX_LENGTH} cap"),
        ));
    }
    let len_bytes = (length as u16).to_be_bytes();
    if let Some(slot) = out.get_mut(start + 2..start + 4) {
        slot.copy_from_slice(&len_bytes);
    }
    let sum = checksum(out.get(start + 2..).unwrap_or(&[]));
    out.put_u8(sum);
    out.put_slice(&TAIL);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::error::ErrorKind;

    fn unhex(s: &str) -> Vec<u8> {
        crate::hex::decode_vec(s).unwrap()
    }

    #[test]
    fn heartbeat_reply_field_by_field() {
        let bytes = unhex(concat!(
            "fcff",           // header: server → device
            "0018",           // length 24 = total 28 − 4
            "0000",           // command 0x0000 heartbeat
            "00000000",       // sequence 0 (answer to a device report)
            "00",             // packet type: down
            "82200520004869", // gateway id
            "20200730164545", // payload: BCD 2020-07-30 16:45:45
            "a7",             // checksum: sum of 0018 … 45
            "fcee",           // tail
        ));
        let f = Frame::decode(&bytes).unwrap();
        assert_eq!(f.direction, Direction::Down);
        assert_eq!(f.command, 0);
        assert_eq!(f.sequence, 0);
        assert_eq!(f.packet_type, 0);
        assert_eq!(f.gateway_id.to_string(), "82200520004869");
        assert_eq!(&f.payload[..], &unhex("20200730164545")[..]);
        assert_eq!(&f.encode().unwrap()[..], &bytes[..]);
    }

    #[test]
    fn one_shot_errors() {
        let good = unhex("fcff0018000000000000008220052000486920200730164545a7fcee");
        let kind = |b: &[u8]| Frame::decode(b).unwrap_err().kind();
        assert_eq!(kind(&good[1..]), ErrorKind::BadHeader);
        assert_eq!(kind(&good[..good.len() - 1]), ErrorKind::Truncated);
        assert_eq!(kind(&[0xfc, 0xff, 0x00]), ErrorKind::Truncated);
        let mut long = good.clone();
        long.push(0);
        assert_eq!(kind(&long), ErrorKind::LengthMismatch);
        let mut bad_sum = good.clone();
        bad_sum[25] ^= 1;
        assert_eq!(
            Frame::decode(&bad_sum).unwrap_err().to_string(),
            "checksum mismatch at stream offset 0: frame says 0xa6, computed 0xa7"
        );
        let mut short_len = good;
        short_len[3] = 0x10;
        assert_eq!(kind(&short_len), ErrorKind::BadLength);
    }
}
