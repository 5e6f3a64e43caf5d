//! The events of one source sent by [`Publisher::dispatch`](super::Publisher::dispatch)
//! and not yet settled (stored, or retried and given up with an error logged).
//!
//! The source is woken only when it waits: for room in its window, or for everything to
//! be stored before something that depends on it. An ack that nobody waits for costs an
//! atomic decrement, not a wake-up of the source's task.

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use futures::task::AtomicWaker;

/// One source's count of unsettled events (clones share it).
#[derive(Clone, Debug, Default)]
pub struct InFlight(Arc<Count>);

#[derive(Debug, Default)]
struct Count {
    events: AtomicUsize,
    waiter: AtomicWaker,
}

impl InFlight {
    pub fn new() -> Self {
        Self::default()
    }

    /// Events sent and not yet settled.
    pub fn len(&self) -> usize {
        self.0.events.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until at most `n` events are unsettled (one task waits at a time).
    pub async fn at_most(&self, n: usize) {
        poll_fn(|cx| {
            if self.len() <= n {
                return Poll::Ready(());
            }
            self.0.waiter.register(cx.waker());
            // Settled between the check and the registration: not woken for it.
            if self.len() <= n {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }

    /// Waits until every event sent so far is settled.
    pub async fn settled(&self) {
        self.at_most(0).await;
    }

    pub(crate) fn sent(&self) {
        self.0.events.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn done(&self) {
        self.0.events.fetch_sub(1, Ordering::AcqRel);
        self.0.waiter.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn a_waiter_is_released_once_few_enough_are_unsettled() {
        let f = InFlight::new();
        for _ in 0..3 {
            f.sent();
        }
        assert_eq!(f.len(), 3);
        assert!(f.at_most(3).now_or_never().is_some());
        let mut waiting = Box::pin(f.at_most(1));
        assert!((&mut waiting).now_or_never().is_none());
        f.done();
        assert!(
            (&mut waiting).now_or_never().is_none(),
            "two still unsettled"
        );
        f.done();
        assert!(waiting.now_or_never().is_some());
        let mut all = Box::pin(f.settled());
        assert!((&mut all).now_or_never().is_none());
        f.clone().done();
        assert!(all.now_or_never().is_some() && f.is_empty());
    }
}
