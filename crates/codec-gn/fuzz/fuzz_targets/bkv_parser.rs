//! Arbitrary bytes as a BKV list: the generic parser and the typed packet
//! decoder either fail with an error or re-encode the input exactly.
#![no_main]

use bytes::{Bytes, BytesMut};
use codec_gn::Direction;
use codec_gn::bkv::{BkvPacket, encode_list, parse_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&dir, data)) = data.split_first() else {
        return;
    };
    let list = Bytes::copy_from_slice(data);
    if let Ok(items) = parse_list(&list) {
        assert_eq!(encode_list(&items), list);
    }
    let direction = if dir & 1 == 0 {
        Direction::Up
    } else {
        Direction::Down
    };
    if let Ok(packet) = BkvPacket::decode(&list, direction) {
        let mut out = BytesMut::new();
        packet
            .encode_into(&mut out)
            .expect("a decoded packet encodes");
        assert_eq!(out.freeze(), list);
        let _ = serde_json::to_value(&packet);
    }
});
