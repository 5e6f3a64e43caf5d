//! Feeds arbitrary bytes, in arbitrary chunks, to the stream decoder; every
//! frame found is decoded as a typed packet and, if that works, must re-encode
//! to exactly its bytes.
#![no_main]

use bytes::BytesMut;
use codec_gn::{Decoded, Limits, Packet, StreamDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let limits = Limits {
        max_length: 512,
        max_buffered: 4096,
    };
    let mut dec = StreamDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut consumed = 0u64;
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        // Each call consumes at least one byte or returns `None`, so this ends.
        loop {
            let before = buf.len();
            match dec.decode(&mut buf) {
                Ok(Some(Decoded::Frame(frame))) => {
                    if let Ok(p) = Packet::from_frame(&frame) {
                        let again = p.encode().expect("a decoded packet encodes");
                        assert_eq!(again, frame.encode().expect("a frame encodes"));
                        let _ = codec_gn::describe(&p);
                    }
                }
                Ok(Some(Decoded::Garbage(g))) => assert!(!g.is_empty()),
                Ok(None) => break,
                Err(e) => assert!(e.can_continue(), "{e}"),
            }
            assert!(buf.len() < before, "no progress");
            consumed += (before - buf.len()) as u64;
            assert_eq!(dec.offset(), consumed);
        }
    }
    // Whatever is left is the start of a possible frame.
    assert!(buf.len() <= 512 + 4);
});
