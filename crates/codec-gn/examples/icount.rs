//! Decodes one frame (hex, first argument) N times (second argument); run under
//! `valgrind --tool=callgrind` to count instructions per decode, a figure that
//! does not depend on how busy the machine is (see BENCH.md).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use codec_gn::{Frame, Packet};

fn main() {
    let mut args = std::env::args().skip(1);
    let hex = args.next().unwrap();
    let n: u32 = args.next().unwrap().parse().unwrap();
    let frame = Frame::decode(&codec_gn::hex::decode_vec(&hex).unwrap()).unwrap();
    for _ in 0..n {
        black_box(Packet::from_frame(black_box(&frame)).unwrap());
    }
}
