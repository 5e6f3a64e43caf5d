//! Recognising the protocol from a connection's first bytes.

use super::Protocol;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Known(Protocol),
    /// Not enough bytes yet to tell.
    NeedMore,
    /// Nothing a pile of ours would send.
    Unknown,
}

/// Bytes a DNY modem may send before its first frame (ICCID, `link` keepalives) or that
/// precede a GN header; beyond this much preamble the connection is not ours.
pub const MAX_PREAMBLE: usize = 256;

/// A DNY frame starts with `DNY`, possibly after the modem's ICCID (20 ASCII hex
/// digits) and `link` keepalives; a GN frame with `FC FE`.
pub fn detect(buf: &[u8]) -> Detected {
    let window = &buf[..buf.len().min(MAX_PREAMBLE)];
    let dny = window.windows(3).position(|w| w == b"DNY");
    let gn = window.windows(2).position(|w| w == [0xFC, 0xFE]);
    match (dny, gn) {
        (Some(d), Some(g)) if g < d => Detected::Known(Protocol::Gn),
        (Some(_), _) => Detected::Known(Protocol::Dny),
        (None, Some(_)) => Detected::Known(Protocol::Gn),
        (None, None) if buf.len() >= MAX_PREAMBLE => Detected::Unknown,
        (None, None) => {
            // Only printable preamble (ICCID digits, "link") may precede a DNY header.
            let printable = window.iter().all(|b| b.is_ascii_alphanumeric());
            if printable || window.last() == Some(&0xFC) {
                Detected::NeedMore
            } else {
                Detected::Unknown
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dny_after_iccid_and_link() {
        let mut b = b"89860448161870064815link".to_vec();
        assert_eq!(detect(&b), Detected::NeedMore);
        b.extend_from_slice(b"DNY\x10\x00");
        assert_eq!(detect(&b), Detected::Known(Protocol::Dny));
    }

    #[test]
    fn gn_header_and_split_header() {
        assert_eq!(detect(&[0xFC]), Detected::NeedMore);
        assert_eq!(detect(&[0xFC, 0xFE, 0x00]), Detected::Known(Protocol::Gn));
    }

    #[test]
    fn binary_noise_is_unknown() {
        assert_eq!(
            detect(&[0x16, 0x03, 0x01, 0x00]),
            Detected::Unknown,
            "a TLS hello is not a pile"
        );
        assert_eq!(detect(&[b'A'; MAX_PREAMBLE]), Detected::Unknown);
    }
}
