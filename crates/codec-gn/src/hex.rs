//! Lowercase hex, the canonical text form of identifiers and raw bytes.

use std::fmt::Write;

/// Lowercase hex of `bytes`, two digits per byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses exactly `N` bytes of **lowercase** hex (the canonical form only).
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = (nibble(*hi)? << 4) | nibble(*lo)?;
    }
    Some(out)
}

/// Parses lowercase hex of any even length.
pub fn decode_vec(s: &str) -> Option<Vec<u8>> {
    let digits = s.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_case() {
        assert_eq!(super::encode(&[0x82, 0x0a]), "820a");
        assert_eq!(super::decode_array::<2>("820a"), Some([0x82, 0x0a]));
        assert_eq!(super::decode_array::<2>("820A"), None);
        assert_eq!(super::decode_array::<2>("820"), None);
        assert_eq!(super::decode_vec("fcee"), Some(vec![0xfc, 0xee]));
        assert_eq!(super::decode_vec("fce"), None);
    }
}
