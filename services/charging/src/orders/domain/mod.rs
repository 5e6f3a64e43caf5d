//! The order's rules, pure.

pub mod state;
