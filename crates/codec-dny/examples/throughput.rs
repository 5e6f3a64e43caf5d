//! Decodes 10 million frames through the stream decoder, for measuring CPU
//! time per frame independently of machine load (see BENCH.md):
//!
//! `perf stat -e task-clock target/release/examples/throughput heartbeat typed`
#![allow(missing_docs, clippy::unwrap_used)]

use codec_dny::{Frame, Item, Limits, StreamDecoder, Uplink};

const HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";
const SETTLEMENT: &str =
    "444e5928003b37ab04010003100ee80330000101000000000120190901180000130030380102030405e8034405";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hex = match args.first().map(String::as_str) {
        Some("settlement") => SETTLEMENT,
        _ => HEARTBEAT,
    };
    let typed = args.get(1).map(String::as_str) == Some("typed");
    let one: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let stream: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
    let mut d = StreamDecoder::with_limits(Limits {
        max_buffered: 128 * 1024,
        ..Limits::default()
    })
    .unwrap();
    let mut n = 0u64;
    for _ in 0..10_000 {
        d.feed(std::hint::black_box(&stream)).unwrap();
        while let Ok(Some(Item::Frame(raw))) = d.decode_next() {
            if typed {
                let f = Frame::<Uplink>::from_raw_owned(raw).unwrap();
                std::hint::black_box(&f);
            } else {
                std::hint::black_box(&raw);
            }
            n += 1;
        }
    }
    println!("{n} frames");
}
