//! Hands the messages of many tasks to the NATS client together.
//!
//! The client writes to its socket each time its connection task runs, and a task that
//! publishes wakes it to run next on the same thread (Tokio's LIFO slot): with thousands
//! of device connections each publishing a frame's event and raw frame, the client wrote
//! a few hundred bytes at a time and the server woke for every write (about 8.6 events
//! per write at 28,000 events/s, against 70 and more per read when one loop saturates
//! it). Publishers here queue their messages instead; one task takes everything queued,
//! lets every other task that is ready on its thread run first (`yield_now` waits for the
//! thread's turn at its I/O driver), then hands the lot to the client, which writes it in
//! one go. An idle thread reaches its driver at once, so a lone message waits for nothing.

use async_nats::jetstream::{self, context::PublishAckFuture, context::PublishError};
use async_nats::{Subject, header::HeaderMap};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::OutgoingEvent;

/// Messages queued and not yet handed to the client: a bound, so a publisher waits (as it
/// would for the client's own channel) instead of queueing without end.
const QUEUE: usize = 8192;
/// Messages taken per round at most.
const ROUND: usize = 1024;

/// The answer to a queued JetStream publish: the ack on its way, or why it was not sent.
pub(crate) type Sent = oneshot::Receiver<Result<PublishAckFuture, PublishError>>;

enum Queued {
    /// A JetStream publish whose ack future goes back to the publisher.
    Stored {
        subject: Subject,
        headers: HeaderMap,
        payload: Bytes,
        sent: oneshot::Sender<Result<PublishAckFuture, PublishError>>,
    },
    /// A core NATS publish, nobody waiting for it.
    Core { subject: Subject, payload: Bytes },
}

/// The queue's sending side; the task that empties it ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct Coalescer {
    tx: mpsc::Sender<Queued>,
}

impl Coalescer {
    /// Starts the task that hands queued messages to `js`'s client (needs a Tokio runtime).
    pub(crate) fn start(js: jetstream::Context) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(js, rx));
        Self { tx }
    }

    /// Queues `event` for JetStream; the receiver gives what `publish_with_headers` gave.
    /// `None` when the task is gone (the runtime is shutting down).
    pub(crate) async fn stored(&self, event: &OutgoingEvent) -> Option<Sent> {
        let (sent, rx) = oneshot::channel();
        let queued = Queued::Stored {
            subject: event.subject.clone().into(),
            headers: event.meta.to_headers(),
            payload: event.payload.clone(),
            sent,
        };
        self.tx.send(queued).await.ok().map(|()| rx)
    }

    /// Queues a core NATS publish; false when the task is gone.
    pub(crate) async fn core(&self, subject: Subject, payload: Bytes) -> bool {
        self.tx
            .send(Queued::Core { subject, payload })
            .await
            .is_ok()
    }
}

async fn run(js: jetstream::Context, mut rx: mpsc::Receiver<Queued>) {
    let client = js.client();
    let mut round = Vec::with_capacity(ROUND);
    loop {
        if rx.recv_many(&mut round, ROUND).await == 0 {
            return;
        }
        // The other tasks ready on this thread queue theirs before the client is woken.
        tokio::task::yield_now().await;
        while round.len() < ROUND {
            match rx.try_recv() {
                Ok(q) => round.push(q),
                Err(_) => break,
            }
        }
        for q in round.drain(..) {
            match q {
                Queued::Stored {
                    subject,
                    headers,
                    payload,
                    sent,
                } => {
                    // A publisher that gave up no longer reads the ack; nothing to do.
                    let _ = sent.send(js.publish_with_headers(subject, headers, payload).await);
                }
                Queued::Core { subject, payload } => {
                    if let Err(e) = client.publish(subject, payload).await {
                        tracing::debug!(error = %e, "core message not published");
                    }
                }
            }
        }
    }
}
