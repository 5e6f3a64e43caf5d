//! SQL of the live capability (schema `charging` only).

pub mod cards;
pub mod devices;
pub mod ports;
