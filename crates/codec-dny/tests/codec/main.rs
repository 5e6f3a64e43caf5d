//! The crate's one integration-test binary: shared vectors, annotated byte
//! fixtures, property round-trips, stream fragmentation, allocation counts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unsafe_code)] // a counting global allocator, test only
mod alloc;
mod fixtures;
mod roundtrip;
mod strategies;
mod stream;
mod vectors;

/// Lowercase hex without separators to bytes.
pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn tohex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
