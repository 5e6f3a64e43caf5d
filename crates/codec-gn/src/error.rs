//! The crate's one error type.
//!
//! Every variant says *what* failed and *where* (a byte offset: in the stream for
//! framing errors, in the frame payload for payload errors), and
//! [`Error::can_continue`] says whether a stream decoder that returned it may be
//! called again on the same connection.

use thiserror::Error;

/// A stable, machine-readable name for an [`enum@Error`], matching the `expect.error`
/// kinds of the shared test vectors (`shared/protocols/vectors.jsonl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The bytes do not start with `FC FE` / `FC FF`.
    BadHeader,
    /// Fewer bytes than the length field announces.
    Truncated,
    /// More bytes than the length field announces.
    LengthMismatch,
    /// The two bytes where the tail belongs are not `FC EE`.
    BadTail,
    /// The 8-bit sum does not match.
    BadChecksum,
    /// The length field is too small to hold the fixed header, or over the cap.
    BadLength,
    /// The BKV list inside a `0x1000` frame does not parse.
    BkvMalformed,
    /// A payload does not fit its command's layout.
    BadPayload,
    /// The caller buffered more bytes than the decoder's limit.
    BufferLimit,
    /// A message could not be encoded (a value does not fit its wire field).
    Encode,
}

impl ErrorKind {
    /// The snake-case name used by the test vectors and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadHeader => "bad_header",
            Self::Truncated => "truncated",
            Self::LengthMismatch => "length_mismatch",
            Self::BadTail => "bad_tail",
            Self::BadChecksum => "bad_checksum",
            Self::BadLength => "bad_length",
            Self::BkvMalformed => "bkv_malformed",
            Self::BadPayload => "bad_payload",
            Self::BufferLimit => "buffer_limit",
            Self::Encode => "encode",
        }
    }
}

/// Why a BKV list did not parse. Offsets count from the start of the BKV list
/// that is being parsed at the top level (the GN payload of a `0x1000` frame).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BkvError {
    /// An item's length runs past the end of its list.
    #[error("item at byte {offset} says {declared} bytes follow, only {available} remain")]
    Overrun {
        /// Offset of the item's first length byte.
        offset: u32,
        /// Length the item announces.
        declared: u32,
        /// Bytes left after the length prefix.
        available: u32,
    },
    /// The list ends inside a variable-length length prefix.
    #[error("length prefix at byte {offset} is cut off by the end of the list")]
    LengthCutOff {
        /// Offset of the prefix.
        offset: u32,
    },
    /// A length prefix longer than 4 bytes (no GN frame can hold such an item).
    #[error("length prefix at byte {offset} is longer than 4 bytes")]
    LengthTooLong {
        /// Offset of the prefix.
        offset: u32,
    },
    /// An item of length 0 has no key-length byte.
    #[error("item at byte {offset} has length 0 (no key-length byte)")]
    EmptyItem {
        /// Offset of the item.
        offset: u32,
    },
    /// The key-length byte announces more key bytes than the item holds.
    #[error("item at byte {offset}: key of {key_len} bytes does not fit an item of {item_len}")]
    KeyOverrun {
        /// Offset of the item.
        offset: u32,
        /// Announced key size.
        key_len: u32,
        /// The item's length (key-length byte + key + value).
        item_len: u32,
    },
    /// The BKV list of a `0x1000` frame has no command key `0x01`.
    #[error("no command key 0x01")]
    MissingCommand,
    /// Nested lists deeper than the decoder allows.
    #[error("lists nested deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Offset of the item whose value would open the next level.
        offset: u32,
        /// The limit.
        max: u32,
    },
}

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The frame does not start with a GN header.
    #[error("bad header at stream offset {offset}: expected fc fe or fc ff, found {found}")]
    BadHeader {
        /// Stream offset of the first byte.
        offset: u64,
        /// The bytes found, as lowercase hex.
        found: String,
    },
    /// Fewer bytes than the length field announces.
    #[error(
        "truncated frame at stream offset {offset}: length field announces {expected} bytes in all, only {available} present"
    )]
    Truncated {
        /// Stream offset of the frame.
        offset: u64,
        /// Total frame size the length field implies (length + 4).
        expected: usize,
        /// Bytes present.
        available: usize,
    },
    /// More bytes than the length field announces (single-frame decoding only).
    #[error(
        "length mismatch at stream offset {offset}: length field announces {expected} bytes in all, {actual} given"
    )]
    LengthMismatch {
        /// Stream offset of the frame.
        offset: u64,
        /// Total frame size the length field implies.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The length field is below the fixed header size or above the cap.
    #[error("bad length at stream offset {offset}: length field {declared} outside {min}..={max}")]
    BadLength {
        /// Stream offset of the frame.
        offset: u64,
        /// The length field.
        declared: usize,
        /// Smallest possible value (17: a frame with an empty payload).
        min: usize,
        /// The decoder's cap.
        max: usize,
    },
    /// The tail is not `FC EE`: the length field lies.
    #[error(
        "bad tail at stream offset {offset}: expected fc ee at byte {at} of the frame, found {found}"
    )]
    BadTail {
        /// Stream offset of the frame.
        offset: u64,
        /// Position of the tail within the frame.
        at: usize,
        /// The bytes found, as lowercase hex.
        found: String,
    },
    /// The checksum byte does not match the sum.
    #[error(
        "checksum mismatch at stream offset {offset}: frame says {declared:#04x}, computed {computed:#04x}"
    )]
    BadChecksum {
        /// Stream offset of the frame.
        offset: u64,
        /// The checksum byte in the frame.
        declared: u8,
        /// The 8-bit sum of length field through payload.
        computed: u8,
    },
    /// The BKV list of a `0x1000` frame is malformed.
    #[error("bkv payload malformed: {0}")]
    BkvMalformed(#[from] BkvError),
    /// A payload does not fit its command's layout.
    #[error("bad payload for command {command:#06x}: {reason}")]
    BadPayload {
        /// GN command.
        command: u16,
        /// What did not fit, naming the field.
        reason: String,
    },
    /// The caller handed the stream decoder more bytes than its limit.
    #[error("buffer limit: {buffered} bytes buffered, limit is {limit}")]
    BufferLimit {
        /// Bytes in the buffer.
        buffered: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A value does not fit its wire field (encoding only).
    #[error("cannot encode {field}: {reason}")]
    Encode {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The machine-readable kind.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::BadHeader { .. } => ErrorKind::BadHeader,
            Self::Truncated { .. } => ErrorKind::Truncated,
            Self::LengthMismatch { .. } => ErrorKind::LengthMismatch,
            Self::BadLength { .. } => ErrorKind::BadLength,
            Self::BadTail { .. } => ErrorKind::BadTail,
            Self::BadChecksum { .. } => ErrorKind::BadChecksum,
            Self::BkvMalformed(_) => ErrorKind::BkvMalformed,
            Self::BadPayload { .. } => ErrorKind::BadPayload,
            Self::BufferLimit { .. } => ErrorKind::BufferLimit,
            Self::Encode { .. } => ErrorKind::Encode,
        }
    }

    /// Whether the connection's byte stream can still be decoded after this error.
    ///
    /// Framing errors from the stream decoder are recoverable: it has already
    /// discarded one byte and will resynchronise on the next header. Payload
    /// errors concern one complete frame only. Only [`Error::BufferLimit`] means
    /// the caller must stop (drop the connection): it read more than it may buffer.
    pub const fn can_continue(&self) -> bool {
        !matches!(self, Self::BufferLimit { .. })
    }

    pub(crate) fn payload(command: u16, reason: impl Into<String>) -> Self {
        Self::BadPayload {
            command,
            reason: reason.into(),
        }
    }

    pub(crate) fn encode(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Encode {
            field,
            reason: reason.into(),
        }
    }
}
