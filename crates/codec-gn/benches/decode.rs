//! Decode throughput: a GN heartbeat and a BKV status cluster (0x1017, one
//! socket, two ports), through the stream decoder and the typed decoder.
//! Run: `cargo bench --bench decode`; figures in `BENCH.md`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use bytes::BytesMut;
use codec_gn::{Decoded, Frame, Limits, Packet, StreamDecoder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";
const STATUS: &str = "fcfe0091100000000000018224121800038204010110170a010200000000000000000901038224121800038265019403014a0104013effff0301071d0301961e28015b030108000301099004010a000904019508f704010b000404010c002a04010d000004010e000028015b030108010301098004010a000004019508f704010b000104010c000104010d000004010e00005dfcee";
const FRAMES_PER_BUFFER: usize = 1000;

fn unhex(s: &str) -> Vec<u8> {
    codec_gn::hex::decode_vec(s).unwrap()
}

fn bench_frame(c: &mut Criterion, name: &str, hex: &str) {
    let one = unhex(hex);
    let stream: Vec<u8> = one
        .iter()
        .copied()
        .cycle()
        .take(one.len() * FRAMES_PER_BUFFER)
        .collect();
    let frame = Frame::decode(&one).unwrap();

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    g.bench_function("typed decode (frame -> Packet)", |b| {
        b.iter(|| black_box(Packet::from_frame(black_box(&frame)).unwrap()))
    });
    g.bench_function("frame check (one frame, &[u8])", |b| {
        b.iter(|| black_box(Frame::decode_bytes(black_box(frame_bytes(&one))).unwrap()))
    });
    g.throughput(Throughput::Elements(FRAMES_PER_BUFFER as u64));
    g.bench_function("stream + typed decode (1000 frames per buffer)", |b| {
        b.iter(|| {
            let mut dec = StreamDecoder::new(Limits {
                max_buffered: stream.len(),
                ..Limits::default()
            });
            let mut buf = BytesMut::from(&stream[..]);
            let mut n = 0;
            while let Some(Decoded::Frame(f)) = dec.decode(&mut buf).unwrap() {
                black_box(Packet::from_frame(&f).unwrap());
                n += 1;
            }
            assert_eq!(n, FRAMES_PER_BUFFER);
        })
    });
    g.finish();
}

fn frame_bytes(b: &[u8]) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(b)
}

fn benches(c: &mut Criterion) {
    bench_frame(c, "gn_heartbeat", HEARTBEAT);
    bench_frame(c, "bkv_status_cluster_2_ports", STATUS);
}

criterion_group!(decode, benches);
criterion_main!(decode);
