//! A bounded queue from many publishing tasks to the one that hands their messages to
//! the NATS client: a lock around a vector, which the consumer takes whole.
//!
//! Tokio's bounded channel takes a semaphore permit for every message and gives it back
//! for every message, under the semaphore's lock: about a tenth of the gateway's CPU at
//! its limit went to the channel (docs/benchmarks.md, "Fifteenth machine"). Here a message
//! costs one short lock and a push; the consumer is woken only when the queue was empty,
//! and swaps the whole vector out, so in a steady state nothing is allocated either.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the consumer: something was queued into an empty queue, or every sender left.
    ready: Notify,
    /// Wakes senders waiting for room, or told that the consumer left.
    room: Notify,
    cap: usize,
}

struct State<T> {
    items: Vec<T>,
    /// Every sender, or the consumer, is gone.
    closed: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock leaves a vector that is still a vector.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
        self.room.notify_waiters();
    }
}

/// The sending side; clones share it, and the queue closes when the last is dropped.
pub(crate) struct Sender<T>(Arc<Closer<T>>);

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// Closes the queue when the last sender goes.
struct Closer<T>(Arc<Shared<T>>);

impl<T> Drop for Closer<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The one consuming side.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A queue of at most `cap` messages.
pub(crate) fn handoff<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: Vec::new(),
            closed: false,
        }),
        ready: Notify::new(),
        room: Notify::new(),
        cap: cap.max(1),
    });
    (Sender(Arc::new(Closer(shared.clone()))), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item`, waiting while the queue is full; gives it back if the consumer is
    /// gone.
    pub(crate) async fn send(&self, item: T) -> Result<(), T> {
        let shared = &self.0.0;
        loop {
            let room = {
                let mut state = shared.lock();
                if state.closed {
                    return Err(item);
                }
                if state.items.len() < shared.cap {
                    let was_empty = state.items.is_empty();
                    state.items.push(item);
                    drop(state);
                    if was_empty {
                        shared.ready.notify_one();
                    }
                    return Ok(());
                }
                // Created under the lock: a drain after it is released wakes it.
                shared.room.notified()
            };
            room.await;
        }
    }
}

impl<T> Receiver<T> {
    /// Moves everything queued to the end of `into`, waiting while nothing is; false once
    /// every sender is gone and nothing is left.
    pub(crate) async fn recv(&mut self, into: &mut Vec<T>) -> bool {
        loop {
            match self.try_recv(into) {
                Taken::Some => return true,
                Taken::Closed => return false,
                // A wake-up stored for items already taken just loops once more.
                Taken::Empty => self.0.ready.notified().await,
            }
        }
    }

    /// [`Receiver::recv`] without waiting.
    pub(crate) fn try_recv(&mut self, into: &mut Vec<T>) -> Taken {
        let shared = &self.0;
        let mut state = shared.lock();
        let n = state.items.len();
        if n == 0 {
            return if state.closed {
                Taken::Closed
            } else {
                Taken::Empty
            };
        }
        if into.is_empty() {
            // The consumer's spare vector becomes the queue's: no allocation.
            std::mem::swap(&mut state.items, into);
        } else {
            into.append(&mut state.items);
        }
        drop(state);
        if n >= shared.cap {
            shared.room.notify_waiters();
        }
        Taken::Some
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken {
    Some,
    Empty,
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::time::Duration;

    #[tokio::test]
    async fn everything_sent_is_received_in_order_of_each_sender() {
        let (tx, mut rx) = handoff::<(u32, u32)>(8);
        let mut senders = Vec::new();
        for s in 0..4 {
            let tx = tx.clone();
            senders.push(tokio::spawn(async move {
                for i in 0..1000 {
                    tx.send((s, i)).await.unwrap();
                }
            }));
        }
        drop(tx);
        let mut got = Vec::new();
        let mut batch = Vec::new();
        while rx.recv(&mut batch).await {
            got.append(&mut batch);
        }
        for s in senders {
            s.await.unwrap();
        }
        assert_eq!(got.len(), 4000);
        for s in 0..4 {
            let mine: Vec<u32> = got.iter().filter(|m| m.0 == s).map(|m| m.1).collect();
            assert_eq!(mine, (0..1000).collect::<Vec<_>>(), "sender {s}");
        }
    }

    #[tokio::test]
    async fn a_full_queue_holds_its_sender_until_the_consumer_takes() {
        let (tx, mut rx) = handoff::<u32>(2);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        let mut third = Box::pin(tx.send(3));
        assert!((&mut third).now_or_never().is_none(), "the queue is full");
        let mut batch = Vec::new();
        assert_eq!(rx.try_recv(&mut batch), Taken::Some);
        assert_eq!(batch, [1, 2]);
        tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("room made wakes the sender")
            .unwrap();
        batch.clear();
        assert_eq!(rx.try_recv(&mut batch), Taken::Some);
        assert_eq!(batch, [3]);
        assert_eq!(rx.try_recv(&mut batch), Taken::Empty);
    }

    #[tokio::test]
    async fn the_consumer_waits_for_a_send_and_ends_when_the_senders_are_gone() {
        let (tx, mut rx) = handoff::<u32>(4);
        let consumer = tokio::spawn(async move {
            let mut all = Vec::new();
            while rx.recv(&mut all).await {}
            all
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.send(7).await.unwrap();
        let tx2 = tx.clone();
        drop(tx);
        tx2.send(8).await.unwrap();
        drop(tx2);
        let all = tokio::time::timeout(Duration::from_secs(5), consumer)
            .await
            .expect("the consumer ends once every sender is gone")
            .unwrap();
        assert_eq!(all, [7, 8]);
    }

    #[tokio::test]
    async fn a_send_after_the_consumer_left_gives_the_item_back() {
        let (tx, rx) = handoff::<u32>(1);
        tx.send(1).await.unwrap();
        let mut waiting = Box::pin(tx.send(2));
        assert!((&mut waiting).now_or_never().is_none());
        drop(rx);
        assert_eq!(waiting.await, Err(2), "a waiting sender is told");
        assert_eq!(tx.send(3).await, Err(3));
    }
}
