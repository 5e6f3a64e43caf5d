//! Integration tests of the pricing crate: one binary, one module per concern.
// Test helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod golden;
mod json;
mod properties;
mod validation;
