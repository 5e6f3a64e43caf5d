//! Local ports handed to servers a process starts for others (tests, benchmarks).

use std::net::TcpListener;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Ports below Linux's ephemeral range (32768–60999), handed out in turn.
///
/// Not ones the kernel picks: a port bound at `…:0` and released goes back to the
/// ephemeral pool and can be handed straight to the next `…:0` listener or taken as an
/// outgoing connection's source port before the intended server binds it (seen: a
/// gateway's device port given to the app's own HTTP listener). A range starts at a
/// place of its own per process and never gives a port twice in one process; each port
/// is checked by binding it.
pub struct PortRange {
    ports: Range<u32>,
    next: OnceLock<AtomicU32>,
}

impl PortRange {
    pub const fn new(ports: Range<u16>) -> Self {
        Self {
            ports: ports.start as u32..ports.end as u32,
            next: OnceLock::new(),
        }
    }

    /// A port of the range free on 127.0.0.1 now; `None` when every one is taken.
    pub fn free(&self) -> Option<u16> {
        let span = self.ports.end.saturating_sub(self.ports.start);
        if span == 0 {
            return None;
        }
        // Processes side by side start at different places.
        let next = self
            .next
            .get_or_init(|| AtomicU32::new(std::process::id().wrapping_mul(7919) % span));
        (0..span).find_map(|_| {
            let port = self.ports.start + next.fetch_add(1, Ordering::Relaxed) % span;
            let port = u16::try_from(port).ok()?;
            TcpListener::bind(("127.0.0.1", port)).ok().map(|_| port)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ports_handed_out_come_from_the_range_and_never_repeat() {
        static RANGE: PortRange = PortRange::new(40_000..40_100);
        let ports: Vec<u16> = (0..50).map(|_| RANGE.free().unwrap()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
        assert!(ports.iter().all(|p| (40_000..40_100).contains(p)));
    }

    #[test]
    fn an_empty_range_has_no_port() {
        static EMPTY: PortRange = PortRange::new(40_000..40_000);
        assert_eq!(EMPTY.free(), None);
    }
}
