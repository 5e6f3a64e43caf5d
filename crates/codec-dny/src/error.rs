//! The crate's one error type.
//!
//! Every variant names what failed and where. [`Error::can_continue`] tells a
//! stream reader whether it may keep reading the same connection, and
//! [`Error::kind`] gives the stable short name used by the test vectors
//! (`bad_checksum`, `truncated`, …).

/// Everything that can go wrong while framing, decoding or encoding DNY data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes do not start with `DNY`.
    #[error("bad header at offset {offset}: expected \"DNY\"")]
    BadHeader {
        /// Stream or buffer offset of the first byte examined.
        offset: u64,
    },

    /// The length field is below the 9 bytes that id, msg id, command and
    /// checksum take.
    #[error("bad length at offset {offset}: length field {length} is below the minimum 9")]
    BadLength {
        /// Offset of the frame's `D`.
        offset: u64,
        /// The length field as read.
        length: u16,
    },

    /// The length field exceeds the configured cap; the header is skipped as
    /// garbage.
    #[error("frame too large at offset {offset}: length field {length} exceeds the cap {max}")]
    FrameTooLarge {
        /// Offset of the frame's `D`.
        offset: u64,
        /// The length field as read.
        length: u16,
        /// The cap in force.
        max: u16,
    },

    /// Fewer bytes than the length field announces (single-frame decoding or
    /// a partial frame at the end of a stream).
    #[error(
        "truncated frame at offset {offset}: length field announces {expected} bytes in all, only {available} present"
    )]
    Truncated {
        /// Offset of the frame's `D`.
        offset: u64,
        /// Whole frame size the length field implies (length + 5).
        expected: usize,
        /// Bytes actually present.
        available: usize,
    },

    /// The length field lies: either more bytes were handed over than it
    /// announces (single-frame decoding), or the checksum only matches when
    /// the frame is taken to end elsewhere (stream decoding).
    #[error(
        "length mismatch at offset {offset}: length field says {stated}, but the frame spans {actual}"
    )]
    LengthMismatch {
        /// Offset of the frame's `D`.
        offset: u64,
        /// The length field as read.
        stated: usize,
        /// The length (same definition as the field) the bytes really have.
        actual: usize,
    },

    /// The stored checksum differs from the byte sum.
    #[error(
        "checksum mismatch at offset {offset}: frame says 0x{stored:04x}, computed 0x{computed:04x}"
    )]
    ChecksumMismatch {
        /// Offset of the frame's `D`.
        offset: u64,
        /// The checksum the frame carries.
        stored: u16,
        /// The checksum of the bytes.
        computed: u16,
    },

    /// The caller handed the stream decoder more bytes than its cap allows.
    /// The connection should be closed.
    #[error("buffer full: {buffered} bytes buffered + {incoming} incoming exceed the cap {cap}")]
    BufferFull {
        /// Bytes already waiting in the decoder.
        buffered: usize,
        /// Bytes the caller tried to add.
        incoming: usize,
        /// The configured cap.
        cap: usize,
    },

    /// A framed payload is too short for a required field of its command.
    #[error(
        "payload of {direction} command 0x{command:02x} ({name}) too short: field `{field}` needs {need} bytes at data offset {at}, {have} left"
    )]
    PayloadTooShort {
        /// `up` or `down`.
        direction: &'static str,
        /// The command byte.
        command: u8,
        /// The message name.
        name: &'static str,
        /// The field that did not fit.
        field: &'static str,
        /// Bytes the field needs.
        need: usize,
        /// Offset inside the data where the field starts.
        at: usize,
        /// Bytes left from there.
        have: usize,
    },

    /// A message cannot be put on the wire as it stands.
    #[error("cannot encode command 0x{command:02x} field `{field}`: {reason}")]
    Encode {
        /// The command byte.
        command: u8,
        /// The offending field.
        field: &'static str,
        /// Why it is not representable.
        reason: String,
    },

    /// Stream decoder limits that cannot work together.
    #[error("invalid stream limits: {0}")]
    InvalidLimits(&'static str),

    /// A string is not a valid identifier of the named kind.
    #[error("cannot parse {what} from {input:?}: {reason}")]
    Parse {
        /// What was being parsed (`physical id`, `ICCID`, …).
        what: &'static str,
        /// The input, cut to 64 characters.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}

/// Stable short names for error classes, matching `expect.error` in the
/// shared test vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// See [`Error::BadHeader`].
    BadHeader,
    /// See [`Error::BadLength`] and [`Error::FrameTooLarge`].
    BadLength,
    /// See [`Error::Truncated`].
    Truncated,
    /// See [`Error::LengthMismatch`].
    LengthMismatch,
    /// See [`Error::ChecksumMismatch`].
    BadChecksum,
    /// See [`Error::PayloadTooShort`].
    BadPayload,
    /// See [`Error::BufferFull`].
    BufferFull,
    /// See [`Error::Encode`].
    Encode,
    /// See [`Error::Parse`].
    Parse,
}

impl ErrorKind {
    /// The vector spelling, e.g. `bad_checksum`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadHeader => "bad_header",
            ErrorKind::BadLength => "bad_length",
            ErrorKind::Truncated => "truncated",
            ErrorKind::LengthMismatch => "length_mismatch",
            ErrorKind::BadChecksum => "bad_checksum",
            ErrorKind::BadPayload => "bad_payload",
            ErrorKind::BufferFull => "buffer_full",
            ErrorKind::Encode => "encode",
            ErrorKind::Parse => "parse",
        }
    }
}

impl Error {
    /// The error's class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadHeader { .. } => ErrorKind::BadHeader,
            Error::BadLength { .. } | Error::FrameTooLarge { .. } => ErrorKind::BadLength,
            Error::Truncated { .. } => ErrorKind::Truncated,
            Error::LengthMismatch { .. } => ErrorKind::LengthMismatch,
            Error::ChecksumMismatch { .. } => ErrorKind::BadChecksum,
            Error::PayloadTooShort { .. } => ErrorKind::BadPayload,
            Error::BufferFull { .. } => ErrorKind::BufferFull,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::Parse { .. } | Error::InvalidLimits(_) => ErrorKind::Parse,
        }
    }

    /// Whether a stream reader may keep reading after this error.
    ///
    /// Framing errors skip the offending header and resynchronise on the next
    /// one; a payload error leaves the framing intact. Only a full buffer means
    /// the peer sends faster than it is read (or sends nonsense that can never
    /// be framed), and the connection should be closed.
    pub fn can_continue(&self) -> bool {
        !matches!(self, Error::BufferFull { .. } | Error::InvalidLimits(_))
    }

    pub(crate) fn parse(what: &'static str, input: &str, reason: &'static str) -> Self {
        Error::Parse {
            what,
            input: input.chars().take(64).collect(),
            reason,
        }
    }
}
