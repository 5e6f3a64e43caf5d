//! Integration tests of `codec-gn`: the shared test vectors, annotated byte
//! fixtures, fragmentation, and property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod fixtures;
mod props;
mod props_bkv;
mod stream_split;
mod support;
mod vectors;
