//! Fragmentation: the same stream, split every possible way, yields the same frames.

use bytes::BytesMut;
use codec_gn::{Decoded, Frame, Packet, StreamDecoder};
use proptest::collection::vec;
use proptest::prelude::*;

use super::props::{gateway, gn_message};
use super::support::{gn_vectors, unhex};

/// All valid single-frame vectors, concatenated, with noise in between.
fn stream() -> (Vec<u8>, Vec<Frame>) {
    let mut bytes = Vec::new();
    let mut frames = Vec::new();
    for (i, v) in gn_vectors().iter().enumerate() {
        if v.get("kind").is_some() || v["expect"].get("error").is_some() {
            continue;
        }
        let f = unhex(v["hex"].as_str().unwrap());
        frames.push(Frame::decode(&f).unwrap());
        bytes.extend_from_slice(&f);
        // Noise between frames, some of it header-like.
        match i % 4 {
            0 => bytes.extend_from_slice(&[0x00, 0x0d, 0x0a]),
            1 => bytes.extend_from_slice(&[0xfc]),
            2 => bytes.extend_from_slice(&[0xfc, 0xfe, 0x00, 0x05, 0x01]),
            _ => {}
        }
    }
    (bytes, frames)
}

/// Feeds `chunks` one after another, draining after each.
fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Frame> {
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(Decoded::Frame(f))) => frames.push(f),
                Ok(Some(Decoded::Garbage(_))) => {}
                Ok(None) => break,
                Err(e) => assert!(e.can_continue(), "{e}"),
            }
        }
    }
    frames
}

#[test]
fn whole_stream_at_once() {
    let (bytes, frames) = stream();
    assert_eq!(decode_chunks([&bytes[..]]), frames);
}

#[test]
fn every_single_split_point() {
    let (bytes, frames) = stream();
    for at in 0..=bytes.len() {
        let (a, b) = bytes.split_at(at);
        assert_eq!(decode_chunks([a, b]), frames, "split at {at}");
    }
}

#[test]
fn byte_by_byte() {
    let (bytes, frames) = stream();
    assert_eq!(decode_chunks(bytes.chunks(1)), frames);
}

#[test]
fn every_chunk_size() {
    let (bytes, frames) = stream();
    for size in 1..=160 {
        assert_eq!(
            decode_chunks(bytes.chunks(size)),
            frames,
            "chunks of {size}"
        );
    }
}

/// Frames found when `stream` arrives cut at `points` (sorted).
fn decode_in_pieces(stream: &[u8], points: &[usize]) -> Vec<Frame> {
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    let mut last = 0;
    for &p in points.iter().chain([&stream.len()]) {
        buf.extend_from_slice(&stream[last..p]);
        last = p;
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(Decoded::Frame(f))) => got.push(f),
                Ok(Some(Decoded::Garbage(_))) => {}
                Ok(None) => break,
                Err(e) => assert!(e.can_continue(), "{e}"),
            }
        }
    }
    got
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn stream_decoder_finds_every_frame_under_random_splits_and_garbage(
        msgs in vec((gn_message(), any::<u32>(), gateway()), 1..6),
        garbage in vec(prop_oneof![
            vec(any::<u8>(), 0..12),
            Just(vec![0xfc]),
            Just(vec![0xfc, 0xfe]),
            vec(any::<u8>(), 0..4).prop_map(|mut v| { v.splice(0..0, [0xfc, 0xff, 0x00]); v }),
        ], 6),
        cuts in vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut stream = Vec::new();
        let mut frames = Vec::new();
        for (i, ((d, m), seq, gw)) in msgs.into_iter().enumerate() {
            stream.extend_from_slice(&garbage[i]);
            let bytes = Packet::new(d, seq, gw, m).encode().unwrap();
            frames.push(Frame::decode(&bytes).unwrap());
            stream.extend_from_slice(&bytes);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.sort_unstable();
        let whole = decode_in_pieces(&stream, &[]);
        prop_assert_eq!(&decode_in_pieces(&stream, &points), &whole);
        // Unless garbage happened to form a valid frame around real ones (the
        // decoder rejects such a frame, but not every stray window is one),
        // exactly the real frames come out.
        if whole.iter().all(|f| frames.contains(f)) {
            prop_assert_eq!(whole, frames);
        }
    }
}
