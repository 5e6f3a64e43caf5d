//! Deterministic identities for simulated piles, derived from a pile index so that
//! two runs (and the test that checks the gateway's events) agree on every id.
//!
//! | protocol | id | scheme | index 7 |
//! |---|---|---|---|
//! | DNY | physical id | code by port count (1 → 03, 2 → 04, ≤10 → 05, ≤12 → 07, ≤16 → 06), number `1000000 + index` | `040f4247` (code 04, number 1000007) |
//! | DNY | ICCID | `898600` + index in 14 digits | `89860000000000000007` |
//! | GN | gateway id | BCD digits `8230` + index in 10 digits | `82300000000007` |
//! | GN | ICCID | `898601` + index in 14 digits | `89860100000000000007` |
//! | GN | socket MAC | `85 41`, index as 3 bytes, socket number | `854100000701` (socket 1) |
//!
//! DNY numbers stay below 10011001, the first of the numbers a device with broken
//! memory falls back to (fact sheet §1.3), so no simulated pile looks broken.

use codec_dny::{DeviceCode, PhysicalId};
use codec_gn::{GatewayId, Mac};

use crate::error::SimError;

/// First DNY device number.
pub const DNY_NUMBER_BASE: u32 = 1_000_000;
/// Largest DNY pile index (numbers stay below the broken-memory default 10011001).
pub const DNY_MAX_INDEX: u32 = 10_011_000 - DNY_NUMBER_BASE;
/// Largest GN gateway index (the MAC holds it in 3 bytes).
pub const GN_MAX_INDEX: u32 = 0x00FF_FFFF;

/// The identification code for a DNY pile with `ports` ports (fact sheet §1.3).
pub fn dny_device_code(ports: u8) -> Result<DeviceCode, SimError> {
    let code = match ports {
        1 => 0x03,
        2 => 0x04,
        3..=10 => 0x05,
        11..=12 => 0x07,
        13..=16 => 0x06,
        _ => {
            return Err(SimError::Config(format!(
                "a DNY pile has 1 to 16 ports, not {ports}"
            )));
        }
    };
    Ok(DeviceCode::new(code))
}

/// The physical id of DNY pile `index` with `ports` ports.
pub fn dny_physical_id(index: u32, ports: u8) -> Result<PhysicalId, SimError> {
    if index > DNY_MAX_INDEX {
        return Err(SimError::Config(format!(
            "DNY pile index {index} exceeds {DNY_MAX_INDEX}"
        )));
    }
    PhysicalId::from_parts(dny_device_code(ports)?, DNY_NUMBER_BASE + index)
        .map_err(|e| SimError::Config(e.to_string()))
}

/// The device type (fact sheet §1.8.3) and firmware version a simulated DNY pile
/// reports: the current dual-mode 485 socket, the F460 10/16-port and 12-port piles.
pub fn dny_model(ports: u8) -> (u8, u16) {
    match ports {
        0..=2 => (0x21, 215),
        11..=12 => (0x30, 105),
        _ => (0x29, 210),
    }
}

/// The ICCID (20 ASCII characters) of DNY pile `index`.
pub fn dny_iccid(index: u32) -> [u8; 20] {
    iccid("898600", index)
}

/// The gateway id of GN gateway `index`: BCD digits `8230` + the index in 10 digits,
/// the shape real ids have (`82241218000382`).
pub fn gn_gateway_id(index: u32) -> GatewayId {
    let digits = format!("8230{index:010}");
    let mut bytes = [0u8; 7];
    for (b, pair) in bytes.iter_mut().zip(digits.as_bytes().chunks(2)) {
        let hi = pair.first().map_or(0, |d| d - b'0');
        let lo = pair.get(1).map_or(0, |d| d - b'0');
        *b = hi << 4 | lo;
    }
    GatewayId::from_bytes(bytes)
}

/// The ICCID of GN gateway `index`.
pub fn gn_iccid(index: u32) -> [u8; 20] {
    iccid("898601", index)
}

/// The MAC of socket `socket` (1-based) behind GN gateway `index`.
pub fn gn_socket_mac(index: u32, socket: u8) -> Mac {
    let [_, a, b, c] = index.to_be_bytes();
    Mac::from_bytes([0x85, 0x41, a, b, c, socket])
}

fn iccid(prefix: &str, index: u32) -> [u8; 20] {
    let text = format!("{prefix}{index:014}");
    let mut out = [b'0'; 20];
    for (o, c) in out.iter_mut().zip(text.bytes()) {
        *o = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dny_ids() {
        let id = dny_physical_id(7, 2).unwrap();
        assert_eq!(id.to_string(), "040f4247");
        assert_eq!(id.number(), 1_000_007);
        assert_eq!(dny_physical_id(0, 10).unwrap().code(), DeviceCode::new(5));
        assert!(dny_physical_id(DNY_MAX_INDEX + 1, 2).is_err());
        assert!(dny_physical_id(DNY_MAX_INDEX, 2).unwrap().number() < 10_011_001);
        assert!(dny_physical_id(0, 17).is_err());
        assert_eq!(&dny_iccid(7), b"89860000000000000007");
    }

    #[test]
    fn gn_ids() {
        assert_eq!(gn_gateway_id(7).to_string(), "82300000000007");
        assert_eq!(gn_gateway_id(1_234_567_890).to_string(), "82301234567890");
        assert_eq!(gn_socket_mac(7, 1).to_string(), "854100000701");
        assert_eq!(&gn_iccid(12), b"89860100000000000012");
    }
}
