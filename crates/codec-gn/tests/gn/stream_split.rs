//! Fragmentation: the same stream, split every possible way, yields the same frames.

use bytes::BytesMut;
use codec_gn::{Decoded, Frame, StreamDecoder};

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
