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

use std::sync::Arc;

use async_nats::{Subject, header::HeaderMap};
use bytes::Bytes;

use super::acks::{self, AckError, AckResult, Acks};
use super::handoff::{self, Receiver, Sender};
use super::{InFlight, Publisher};
use crate::{BusError, OutgoingEvent};

/// Messages queued and not yet handed to the client: a bound, so a publisher waits (as it
/// would for the client's own channel) instead of queueing without end.
const QUEUE: usize = 8192;
/// Room for the messages of a round, kept from one round to the next.
const ROUND: usize = 1024;

/// An event waiting for its ack: kept for a retry, counted in its source's window.
type Unsettled = (OutgoingEvent, InFlight);

enum Queued {
    /// A JetStream publish; its ack settles the waiter of `token`.
    Stored {
        subject: Subject,
        reply: Subject,
        token: u64,
        headers: HeaderMap,
        payload: Bytes,
    },
    /// A core NATS publish, nobody waiting for it.
    Core { subject: Subject, payload: Bytes },
}

/// The queue's sending side; the task that empties it ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct Coalescer {
    tx: Sender<Queued>,
    settler: Arc<Settler>,
}

/// Where unsettled events wait, and what settles them.
struct Settler {
    acks: Acks<Unsettled>,
    /// The same publisher without coalescing: retries, counts acks.
    plain: Publisher,
}

impl Coalescer {
    /// Starts the task that hands queued messages to `plain`'s client and the one that
    /// reads their acks (needs a Tokio runtime).
    pub(crate) fn start(plain: Publisher) -> Self {
        let (tx, rx) = handoff::handoff(QUEUE);
        let settler = Arc::new(Settler {
            acks: Acks::new(&plain.js.client().new_inbox()),
            plain,
        });
        tokio::spawn(run(settler.clone(), rx));
        Self { tx, settler }
    }

    /// Queues `event` for JetStream, counted in `in_flight` until it is settled.
    pub(crate) async fn dispatch(&self, event: OutgoingEvent, in_flight: &InFlight) {
        in_flight.sent();
        let subject = event.subject.clone().into();
        let headers = event.meta.to_headers();
        let payload = event.payload.clone();
        let (token, reply) = self.settler.acks.register((event, in_flight.clone()));
        let queued = Queued::Stored {
            subject,
            reply: reply.into(),
            token,
            headers,
            payload,
        };
        if self.tx.send(queued).await.is_err() {
            self.settler
                .not_sent(token, "the publishing task has ended");
        }
    }

    /// Queues a core NATS publish; false when the task is gone.
    pub(crate) async fn core(&self, subject: Subject, payload: Bytes) -> bool {
        self.tx
            .send(Queued::Core { subject, payload })
            .await
            .is_ok()
    }
}

impl Settler {
    fn not_sent(&self, token: u64, why: &str) {
        if let Some(w) = self.acks.take(token) {
            self.settle(w, Err(AckError::NotSent(why.to_owned())));
        }
    }

    /// An event's first attempt ended: counted if stored, else retried as
    /// [`Publisher::publish`] retries (in a task of its own), then logged if still not
    /// stored. Either way its source's window gets the room back afterwards.
    fn settle(&self, (event, in_flight): Unsettled, first: AckResult) {
        match first {
            Ok(ack) => {
                self.plain.counted.count(ack);
                in_flight.done();
            }
            Err(e) => {
                let plain = self.plain.clone();
                tokio::spawn(async move {
                    let first = BusError::publish(&event.subject, e);
                    plain.retry_or_log(&event, first).await;
                    in_flight.done();
                });
            }
        }
    }
}

async fn run(settler: Arc<Settler>, mut rx: Receiver<Queued>) {
    let client = settler.plain.js.client();
    // Subscribed before the first publish goes out: the client sends its commands in
    // order, so no ack can come before the subscription.
    match client.subscribe(settler.acks.wildcard()).await {
        Ok(sub) => {
            let settler = settler.clone();
            tokio::spawn(async move {
                acks::read(sub, &settler.acks, |w, r| settler.settle(w, r)).await;
            });
        }
        // The client is closed: every publish below fails too, and is retried and logged.
        Err(e) => tracing::error!(error = %e, "cannot subscribe to publish acknowledgements"),
    }
    let mut round = Vec::with_capacity(ROUND);
    loop {
        if !rx.recv(&mut round).await {
            return;
        }
        // The other tasks ready on this thread queue theirs before the client is woken.
        tokio::task::yield_now().await;
        // Empty or closed alike: what was taken goes out below.
        rx.try_recv(&mut round);
        for q in round.drain(..) {
            match q {
                Queued::Stored {
                    subject,
                    reply,
                    token,
                    headers,
                    payload,
                } => {
                    if let Err(e) = client
                        .publish_with_reply_and_headers(subject, reply, headers, payload)
                        .await
                    {
                        settler.not_sent(token, &e.to_string());
                    }
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
