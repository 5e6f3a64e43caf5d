//! The hot path allocates nothing per frame: decoding heartbeats through the
//! stream decoder and into typed messages costs no heap allocation beyond a
//! constant set-up.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use codec_dny::*;

use crate::unhex;

/// Counts allocations made by the current thread (tests run in parallel).
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

fn count_for(frames: usize, frame: &[u8]) -> u64 {
    let stream: Vec<u8> = frame
        .iter()
        .copied()
        .cycle()
        .take(frame.len() * frames)
        .collect();
    let mut d = StreamDecoder::with_limits(Limits {
        max_buffered: stream.len() + 1024,
        ..Limits::default()
    })
    .unwrap();
    d.feed(&stream).unwrap();
    let before = allocs();
    let mut n = 0;
    while let Ok(Some(Item::Frame(raw))) = d.decode_next() {
        let f = Frame::<Uplink>::from_raw_owned(raw).unwrap();
        assert!(matches!(
            f.message,
            Uplink::Heartbeat(_) | Uplink::Settlement(_)
        ));
        n += 1;
    }
    assert_eq!(n, frames);
    allocs() - before
}

#[test]
fn heartbeats_and_settlements_decode_without_allocating() {
    let heartbeat = unhex("444e5910003b37ab0401002198080200000905ee02");
    let settlement = unhex(
        "444e5928003b37ab0401000310 0ee8033000010100000000012019090118000013003038010203 0405e8034405",
    );
    for frame in [heartbeat, settlement] {
        let few = count_for(10, &frame);
        let many = count_for(10_000, &frame);
        // The first split of the buffer promotes it to a shared buffer (one
        // allocation); after that, nothing per frame.
        assert!(few <= 2, "{few} allocations for 10 frames");
        assert_eq!(many, few, "allocations grow with the frame count");
    }
}
