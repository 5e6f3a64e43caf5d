//! Arbitrary payloads under every GN command and direction, framed with a
//! correct length and checksum: the typed decoder either fails with an error or
//! the packet re-encodes to exactly the same frame, and its JSON view builds.
#![no_main]

use bytes::Bytes;
use codec_gn::{Direction, Frame, GatewayId, Packet, describe};
use libfuzzer_sys::fuzz_target;

const COMMANDS: [u16; 6] = [0x0000, 0x0005, 0x0007, 0x0015, 0x1000, 0x0042];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let command = COMMANDS[usize::from(sel & 7) % COMMANDS.len()];
    let direction = if sel & 8 == 0 {
        Direction::Up
    } else {
        Direction::Down
    };
    let gw = GatewayId::from_bytes([0x82, 0x24, 0x12, 0x18, 0x00, 0x03, 0x82]);
    let frame = Frame::new(
        direction,
        command,
        u32::from(sel),
        gw,
        Bytes::copy_from_slice(payload),
    );
    let Ok(bytes) = frame.encode() else {
        return; // over the length cap
    };
    if let Ok(packet) = Packet::decode(&bytes) {
        assert_eq!(packet.encode().expect("a decoded packet encodes"), bytes);
        let _ = describe(&packet);
    }
});
