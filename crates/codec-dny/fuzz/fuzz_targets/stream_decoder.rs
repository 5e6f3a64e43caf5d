//! Fuzz the stream decoder: arbitrary bytes in arbitrary splits.
//!
//! Checks, beyond "never panics":
//! * the items and errors do not depend on how the input is split;
//! * every input byte is accounted for (items + 3 skipped header bytes per
//!   framing error);
//! * the decoder never holds more than its undecided maximum;
//! * every frame re-encodes to its own bytes, and whatever typed message it
//!   decodes to (either direction) re-encodes to the same data;
//! * the JSON view never panics.
#![no_main]

use codec_dny::{Direction, Downlink, Error, Item, Message, StreamDecoder, Uplink, describe_item};
use libfuzzer_sys::fuzz_target;

fn run(chunks: &[&[u8]]) -> Vec<Result<Item, Error>> {
    let mut d = StreamDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        // The default cap (16 KiB) exceeds libFuzzer's default max_len.
        d.feed(c).expect("feed within cap");
        out.extend(d.by_ref());
        assert!(d.buffered() <= d.limits().max_undecided(), "holds too much");
    }
    d.finish();
    out.extend(d.by_ref());
    assert_eq!(d.buffered(), 0, "bytes left after finish");
    out
}

fn round_trip<M: Message + PartialEq + std::fmt::Debug>(command: u8, data: &bytes::Bytes) {
    if let Ok(m) = M::decode(command, data.clone()) {
        let mut out = bytes::BytesMut::new();
        m.encode_data(&mut out).expect("decoded message encodes");
        assert_eq!(out.as_ref(), data.as_ref(), "typed re-encode");
    }
}

fuzz_target!(|input: &[u8]| {
    // First byte picks a chunk size, so one input exercises a split.
    let (step, data) = match input.split_first() {
        Some((s, rest)) => (usize::from(*s % 32) + 1, rest),
        None => (1, input),
    };
    let whole = run(&[data]);
    let chunks: Vec<&[u8]> = data.chunks(step).collect();
    assert_eq!(run(&chunks), whole, "split-dependent result");

    let mut seen = 0usize;
    for r in &whole {
        match r {
            Ok(item) => {
                seen += match item {
                    Item::Frame(f) => {
                        let bytes = f.to_bytes().expect("frame encodes");
                        assert_eq!(bytes.len(), f.encoded_len());
                        round_trip::<Uplink>(f.command, &f.data);
                        round_trip::<Downlink>(f.command, &f.data);
                        f.encoded_len()
                    }
                    Item::Link => 4,
                    Item::Iccid(_) => 20,
                    Item::Garbage(g) | Item::Incomplete(g) => g.len(),
                };
                let _ = describe_item(item, Direction::Up);
                let _ = describe_item(item, Direction::Down);
            }
            Err(e) => {
                assert!(e.can_continue());
                seen += 3;
            }
        }
    }
    assert_eq!(seen, data.len(), "bytes unaccounted for");
});
