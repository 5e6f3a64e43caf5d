//! Allocation budget of the hot path: decoding a BKV status cluster allocates
//! only its output (the sockets list and each socket's ports list); framing
//! and the heartbeat allocate nothing per frame.
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use codec_gn::{Decoded, Packet, StreamDecoder};

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = COUNT.with(Cell::get);
    f();
    COUNT.with(Cell::get) - before
}

const HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";
const STATUS: &str = "fcfe0091100000000000018224121800038204010110170a010200000000000000000901038224121800038265019403014a0104013effff0301071d0301961e28015b030108000301099004010a000904019508f704010b000404010c002a04010d000004010e000028015b030108010301098004010a000004019508f704010b000104010c000104010d000004010e00005dfcee";

fn per_frame(hex: &str) -> (usize, usize) {
    let one = codec_gn::hex::decode_vec(hex).unwrap();
    let n = 100;
    let stream: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
    let mut buf = BytesMut::from(&stream[..]);
    let mut dec = StreamDecoder::default();
    let mut frames = Vec::with_capacity(n);
    let framing = allocations(|| {
        while let Ok(Some(Decoded::Frame(f))) = dec.decode(&mut buf) {
            frames.push(f);
        }
    });
    assert_eq!(frames.len(), n);
    let mut packets = Vec::with_capacity(n);
    let typed = allocations(|| {
        for f in &frames {
            packets.push(Packet::from_frame(f).unwrap());
        }
    });
    (framing, typed / n)
}

#[test]
fn status_cluster_allocates_only_its_two_lists() {
    let (framing, typed) = per_frame(STATUS);
    // One allocation for the whole buffer when `split_to` first shares it.
    assert!(framing <= 1, "framing 100 frames allocated {framing} times");
    assert_eq!(typed, 2, "sockets Vec + ports Vec");
}

#[test]
fn heartbeat_allocates_nothing() {
    let (framing, typed) = per_frame(HEARTBEAT);
    assert!(framing <= 1);
    assert_eq!(typed, 0);
}
