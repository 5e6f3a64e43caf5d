//! Decode throughput through the stream decoder, raw frames and typed.
//!
//! `cargo bench --bench decode` — figures in BENCH.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use codec_dny::{Frame, Item, Limits, StreamDecoder, Uplink};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";
const SETTLEMENT: &str = "444e5928003b37ab040100031\
00ee8033000010100000000012019090118000013003038010203\
0405e8034405";
const FRAMES: usize = 1000;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn stream_of(frame: &str) -> Vec<u8> {
    let one = unhex(frame);
    one.iter()
        .copied()
        .cycle()
        .take(one.len() * FRAMES)
        .collect()
}

fn decoder() -> StreamDecoder {
    StreamDecoder::with_limits(Limits {
        max_buffered: 128 * 1024,
        ..Limits::default()
    })
    .unwrap()
}

fn bench(c: &mut Criterion, name: &str, frame: &str) {
    let stream = stream_of(frame);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(FRAMES as u64));
    let mut d = decoder();
    g.bench_function("stream_raw", |b| {
        b.iter(|| {
            d.feed(black_box(&stream)).unwrap();
            let mut n = 0;
            while let Ok(Some(Item::Frame(raw))) = d.decode_next() {
                black_box(&raw);
                n += 1;
            }
            assert_eq!(n, FRAMES);
        })
    });
    let mut d = decoder();
    g.bench_function("stream_typed", |b| {
        b.iter(|| {
            d.feed(black_box(&stream)).unwrap();
            let mut n = 0;
            while let Ok(Some(Item::Frame(raw))) = d.decode_next() {
                let f = Frame::<Uplink>::from_raw_owned(raw).unwrap();
                black_box(&f);
                n += 1;
            }
            assert_eq!(n, FRAMES);
        })
    });
    g.finish();
}

fn heartbeat(c: &mut Criterion) {
    bench(c, "heartbeat_0x21", HEARTBEAT);
}

fn settlement(c: &mut Criterion) {
    bench(c, "settlement_0x03", SETTLEMENT);
}

criterion_group!(benches, heartbeat, settlement);
criterion_main!(benches);
