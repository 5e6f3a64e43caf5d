//! The DNY checksum: the low 16 bits of the plain byte sum of everything from
//! the `D` of the header up to the last data byte, stored little-endian.
//!
//! Verified against every example frame in the vendor documents (fact sheet
//! §1.1 and §4.1 item 2): `44 4E 59 09 00 3B 37 AB 04 B9 00 22` sums to
//! `0x02F0`, and the frame ends `F0 02`.

/// Sum of `bytes`, wrapping at 16 bits.
#[inline]
pub fn sum16(bytes: &[u8]) -> u16 {
    // A u32 accumulator cannot overflow for any input the decoder accepts
    // (at most 16 843 009 bytes of 0xFF); wrap anyway so the function is
    // total for every slice length.
    let mut acc: u32 = 0;
    for &b in bytes {
        acc = acc.wrapping_add(u32::from(b));
    }
    acc as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_0x22() {
        // 44 4E 59 09 00 3B 37 AB 04 B9 00 22 | F0 02
        let head = [
            0x44, 0x4E, 0x59, 0x09, 0x00, 0x3B, 0x37, 0xAB, 0x04, 0xB9, 0x00, 0x22,
        ];
        assert_eq!(sum16(&head), 0x02F0);
    }

    #[test]
    fn wraps_at_16_bits() {
        let ones = vec![0xFFu8; 300];
        assert_eq!(sum16(&ones), (300u32 * 255 % 65536) as u16);
        assert_eq!(sum16(&[]), 0);
    }
}
