//! Deciding what the bytes at one position are, using only the bytes from
//! there on (never where a read ended).

use super::{Class, LINK, Limits};
use crate::checksum::sum16;
use crate::error::Error;
use crate::frame::{self, HEADER, MIN_LENGTH, PREFIX_LEN, le16};
use crate::ids::Iccid;

pub(super) fn classify(rest: &[u8], limits: &Limits, eof: bool, offset: u64) -> Class {
    match rest.first() {
        Some(b'D') => classify_frame(rest, limits, eof, offset),
        Some(b'l') => classify_text(rest, LINK.len(), |b| LINK.starts_with(b), Class::Link, eof),
        Some(b'8') => classify_text(rest, Iccid::LEN, Iccid::is_prefix, Class::Iccid, eof),
        _ => Class::Garbage,
    }
}

fn classify_text(
    rest: &[u8],
    len: usize,
    is_prefix: impl Fn(&[u8]) -> bool,
    found: Class,
    eof: bool,
) -> Class {
    let head = rest.get(..len).unwrap_or(rest);
    if !is_prefix(head) {
        Class::Garbage
    } else if head.len() == len {
        found
    } else if eof {
        Class::Garbage
    } else {
        Class::NeedMore
    }
}

fn classify_frame(rest: &[u8], limits: &Limits, eof: bool, offset: u64) -> Class {
    let partial = if eof {
        Class::Incomplete
    } else {
        Class::NeedMore
    };
    let total = match frame::check(rest, limits.max_frame_length) {
        Ok(frame::Check::Complete(total)) => total,
        Ok(frame::Check::Incomplete(_)) => return partial,
        Err(Error::BadHeader { .. }) => return Class::Garbage,
        Err(e) => return Class::Reject(with_offset(e, offset), HEADER.len()),
    };
    let (stored, computed) = frame::checksums(rest, total);
    if stored == computed {
        return Class::Frame(total);
    }
    // Checksum failed: wait for the lookahead, then tell a lying length from
    // a corrupt frame.
    let lookahead = usize::from(limits.length_lookahead);
    let horizon = (total + lookahead).min(usize::from(limits.max_frame_length) + PREFIX_LEN);
    if rest.len() < horizon && !eof {
        return Class::NeedMore;
    }
    let stated = le16(rest, 3);
    let err = match find_true_length(rest, stated, limits) {
        Some(actual) => Error::LengthMismatch {
            offset,
            stated: usize::from(stated),
            actual: usize::from(actual),
        },
        None => Error::ChecksumMismatch {
            offset,
            stored,
            computed,
        },
    };
    Class::Reject(err, HEADER.len())
}

fn with_offset(e: Error, offset: u64) -> Error {
    match e {
        Error::BadLength { length, .. } => Error::BadLength { offset, length },
        Error::FrameTooLarge { length, max, .. } => Error::FrameTooLarge {
            offset,
            length,
            max,
        },
        other => other,
    }
}

/// A length field value, near `stated`, for which the checksum holds (with
/// the length field itself corrected), nearest first.
fn find_true_length(buf: &[u8], stated: u16, limits: &Limits) -> Option<u16> {
    let [s0, s1] = stated.to_le_bytes();
    let stated_sum = u16::from(s0) + u16::from(s1);
    let holds = |cand: u16| {
        if !(MIN_LENGTH..=limits.max_frame_length).contains(&cand) {
            return false;
        }
        let total = usize::from(cand) + PREFIX_LEN;
        let Some(body) = buf.get(..total - 2) else {
            return false;
        };
        let [c0, c1] = cand.to_le_bytes();
        let sum = sum16(body)
            .wrapping_sub(stated_sum)
            .wrapping_add(u16::from(c0) + u16::from(c1));
        sum == le16(buf, total - 2)
    };
    (1..=limits.length_lookahead).find_map(|d| {
        [stated.checked_sub(d), stated.checked_add(d)]
            .into_iter()
            .flatten()
            .find(|&c| holds(c))
    })
}
