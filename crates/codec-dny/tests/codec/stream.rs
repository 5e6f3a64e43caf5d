//! Fragmentation: the same stream split every possible way yields the same
//! items, and a random mix of frames, modem text and garbage decodes to
//! exactly what was put in.

use bytes::Bytes;
use codec_dny::*;
use proptest::prelude::*;

use crate::unhex;

/// ICCID, register, link, heartbeat, garbage, a corrupt frame, time request.
fn sample() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"898604D9162390488297");
    s.extend(unhex(
        "444e5913003b37ab04b900207e00021421000000e40091046c696e6b",
    ));
    s.extend(unhex("444e5910003b37ab0401002198080200000905ee02"));
    s.extend_from_slice(b"\x00\xffDN8l");
    s.extend(unhex("444e590a00f36ca204a0c096010604"));
    s.extend(unhex("444e590900cd28a2043b0222ee02"));
    s
}

fn decode_chunks(chunks: &[&[u8]]) -> Vec<Result<Item, Error>> {
    let mut d = StreamDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c).unwrap();
        out.extend(d.by_ref());
    }
    d.finish();
    out.extend(d.by_ref());
    out
}

#[test]
fn sample_stream_items() {
    let s = sample();
    let items = decode_chunks(&[&s]);
    let kinds: Vec<String> = items
        .iter()
        .map(|r| match r {
            Ok(Item::Frame(f)) => format!("frame 0x{:02x}", f.command),
            Ok(Item::Iccid(i)) => format!("iccid {i}"),
            Ok(Item::Link) => "link".into(),
            Ok(Item::Garbage(g)) => format!("garbage {}", g.len()),
            Ok(Item::Incomplete(g)) => format!("incomplete {}", g.len()),
            Err(e) => format!("error {}", e.kind().as_str()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "iccid 898604D9162390488297",
            "frame 0x20",
            "link",
            "frame 0x21",
            "garbage 6",
            "error bad_checksum",
            "garbage 12",
            "frame 0x22",
        ]
    );
}

#[test]
fn every_single_and_double_split_gives_the_same_items() {
    let s = sample();
    let whole = decode_chunks(&[&s]);
    for i in 0..=s.len() {
        let (a, b) = s.split_at(i);
        assert_eq!(decode_chunks(&[a, b]), whole, "split at {i}");
        for j in i..=s.len() {
            let (b1, c) = s[i..].split_at(j - i);
            assert_eq!(decode_chunks(&[a, b1, c]), whole, "split at {i}, {j}");
        }
    }
    let bytes: Vec<&[u8]> = s.chunks(1).collect();
    assert_eq!(decode_chunks(&bytes), whole, "one byte at a time");
}

/// What the generator put into a stream.
#[derive(Debug, Clone)]
enum Part {
    Frame(RawFrame),
    Link,
    Iccid(String),
    /// Bytes that cannot start anything (no `D`, `l`, `8`).
    Garbage(Vec<u8>),
}

fn part() -> impl Strategy<Value = Part> {
    let frame = (
        any::<u32>(),
        any::<u16>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..60),
    )
        .prop_map(|(id, msg, command, data)| {
            Part::Frame(RawFrame {
                physical_id: PhysicalId::new(id),
                message_id: MessageId::new(msg),
                command,
                data: Bytes::from(data),
            })
        });
    let iccid = "89[0-9A-F]{18}".prop_map(Part::Iccid);
    let garbage = prop::collection::vec(
        any::<u8>().prop_filter("no item start", |b| !matches!(b, b'D' | b'l' | b'8')),
        1..40,
    )
    .prop_map(Part::Garbage);
    prop_oneof![4 => frame, 1 => Just(Part::Link), 1 => iccid, 2 => garbage]
}

fn serialize(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Frame(f) => out.extend_from_slice(&f.to_bytes().unwrap()),
            Part::Link => out.extend_from_slice(b"link"),
            Part::Iccid(s) => out.extend_from_slice(s.as_bytes()),
            Part::Garbage(g) => out.extend_from_slice(g),
        }
    }
    out
}

/// The items the decoder must produce: garbage runs merged, cut at 256.
fn expected(parts: &[Part]) -> Vec<Item> {
    let mut out = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    let flush = |run: &mut Vec<u8>, out: &mut Vec<Item>| {
        for chunk in run.chunks(256) {
            out.push(Item::Garbage(Bytes::copy_from_slice(chunk)));
        }
        run.clear();
    };
    for p in parts {
        match p {
            Part::Garbage(g) => run.extend_from_slice(g),
            other => {
                flush(&mut run, &mut out);
                out.push(match other {
                    Part::Frame(f) => Item::Frame(f.clone()),
                    Part::Link => Item::Link,
                    Part::Iccid(s) => Item::Iccid(s.parse().unwrap()),
                    Part::Garbage(_) => unreachable!(),
                });
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts {
        out.push(bytes[start..c].to_vec());
        start = c;
    }
    out.push(bytes[start..].to_vec());
    out
}

proptest! {
    #[test]
    fn random_streams_decode_to_their_parts(
        parts in prop::collection::vec(part(), 0..25),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let bytes = serialize(&parts);
        let chunks = split(&bytes, &cuts);
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let got: Vec<Item> = decode_chunks(&refs).into_iter().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(got, expected(&parts));
    }

    #[test]
    fn any_bytes_any_split_same_result(
        parts in prop::collection::vec(part(), 0..12),
        noise in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 0..12),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        // Valid parts interleaved with arbitrary bytes (which may contain
        // D, l, 8, partial headers) and a few corrupted bytes.
        let mut bytes = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            bytes.extend(serialize(std::slice::from_ref(p)));
            if let Some(n) = noise.get(i) {
                bytes.extend_from_slice(n);
            }
        }
        for (at, x) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= x;
            }
        }
        let whole = decode_chunks(&[&bytes]);
        let chunks = split(&bytes, &cuts);
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(decode_chunks(&refs), whole.clone());
        // Everything is accounted for: item bytes + skipped headers = input.
        let mut seen = 0usize;
        for r in &whole {
            seen += match r {
                Ok(Item::Frame(f)) => f.encoded_len(),
                Ok(Item::Link) => 4,
                Ok(Item::Iccid(_)) => 20,
                Ok(Item::Garbage(g)) | Ok(Item::Incomplete(g)) => g.len(),
                Err(e) => {
                    prop_assert!(e.can_continue());
                    3
                }
            };
        }
        prop_assert_eq!(seen, bytes.len());
    }
}
