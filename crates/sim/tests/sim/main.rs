//! Integration tests: simulated piles against small in-test servers built from the
//! codecs, playing the gateway's part.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dny;
mod dny_commands;
mod dny_gw;
mod fleet;
mod gn;
mod gn_bkv;
mod gn_gw;
