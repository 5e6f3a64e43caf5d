//! Round-trip properties for every message type.
//!
//! * Every (direction, command) pair is driven with payloads of every length
//!   up to 80 bytes (and around the 200/256-byte block sizes) in several
//!   byte patterns, plus random payloads: whatever decodes must re-encode to
//!   the same bytes and decode again to the same message. Because the
//!   decoder is the generator here, this covers every message type, all
//!   optional-field combinations and trailing bytes.
//! * `strategies.rs` builds messages directly, including ones the decoder
//!   would never produce.

use std::collections::BTreeSet;

use bytes::{Bytes, BytesMut};
use codec_dny::*;
use proptest::prelude::*;

fn check_payload<M: Message + PartialEq + std::fmt::Debug>(command: u8, data: &[u8]) -> bool {
    let Ok(m) = M::decode(command, Bytes::copy_from_slice(data)) else {
        return false;
    };
    assert_eq!(m.command(), command);
    let mut out = BytesMut::new();
    m.encode_data(&mut out)
        .unwrap_or_else(|e| panic!("0x{command:02x} {data:02x?}: {e}"));
    assert_eq!(out.as_ref(), data, "0x{command:02x} re-encode");
    assert_eq!(M::decode(command, out.freeze()).unwrap(), m);
    !matches!(m.name(), "unknown")
}

fn patterns(len: usize) -> Vec<Vec<u8>> {
    let mut seed = (len as u32 + 1).wrapping_mul(2_654_435_761);
    let random = (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        })
        .collect();
    vec![
        vec![0; len],
        vec![0xFF; len],
        (0..len).map(|i| i as u8).collect(),
        // Small counts so list-carrying payloads fit.
        (0..len).map(|i| (i % 3) as u8).collect(),
        random,
    ]
}

fn lengths() -> impl Iterator<Item = usize> {
    (0..=80).chain(195..=206).chain(250..=262)
}

#[test]
fn every_command_both_directions_round_trips() {
    let mut typed = BTreeSet::new();
    for command in 0..=255u8 {
        for len in lengths() {
            for p in patterns(len) {
                if check_payload::<Uplink>(command, &p) {
                    typed.insert(("up", command));
                }
                if check_payload::<Downlink>(command, &p) {
                    typed.insert(("down", command));
                }
            }
        }
    }
    // Every command each direction defines was decoded into its typed form
    // at least once.
    for command in 0..=255u8 {
        if Uplink::name_of(command).is_some() {
            assert!(
                typed.contains(&("up", command)),
                "up 0x{command:02x} never decoded"
            );
        }
        if Downlink::name_of(command).is_some() {
            assert!(
                typed.contains(&("down", command)),
                "down 0x{command:02x} never decoded"
            );
        }
    }
    assert_eq!(typed.len(), 57 + 47);
}

proptest! {
    #[test]
    fn random_payloads_round_trip(command in any::<u8>(), data in prop::collection::vec(any::<u8>(), 0..300)) {
        check_payload::<Uplink>(command, &data);
        check_payload::<Downlink>(command, &data);
    }

    #[test]
    fn raw_frames_round_trip(
        id in any::<u32>(),
        msg in any::<u16>(),
        command in any::<u8>(),
        data in prop::collection::vec(any::<u8>(), 0..503),
    ) {
        let raw = RawFrame {
            physical_id: PhysicalId::new(id),
            message_id: MessageId::new(msg),
            command,
            data: Bytes::from(data),
        };
        let bytes = raw.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), raw.encoded_len());
        prop_assert_eq!(decode_frame(&bytes).unwrap(), raw);
    }

    #[test]
    fn physical_id_text_forms(v in any::<u32>()) {
        let id = PhysicalId::new(v);
        prop_assert_eq!(id.to_string().parse::<PhysicalId>().unwrap(), id);
        prop_assert_eq!(PhysicalId::from_qr_hex(&id.to_qr_hex()).unwrap(), id);
        prop_assert_eq!(PhysicalId::from_parts(id.code(), id.number()).unwrap(), id);
    }
}
