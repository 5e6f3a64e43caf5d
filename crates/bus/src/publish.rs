//! Direct publishing with JetStream acknowledgements, for the gateway (which has no
//! database) and for the outbox relay.

use async_nats::jetstream::{self, context::PublishAckFuture, context::PublishError};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use metrics::Counter;

use crate::{BusError, OutgoingEvent};

mod coalesce;
use coalesce::{Coalescer, Sent};

/// How long a publish waits for JetStream's acknowledgement before [`Publisher::retry`]
/// sends it again with the same id: async-nats's default, named because the device
/// streams' duplicate window must outlast it and the first retry 100 ms later
/// (`bus.device_duplicate_window_secs`). Give it to the publisher's context
/// (`ContextBuilder::timeout`).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// JetStream's answer to one publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishAck {
    pub sequence: u64,
    /// True when the server had already stored this `Nats-Msg-Id` and dropped the copy.
    pub duplicate: bool,
}

/// Publishes events and waits for the stream to store them.
#[derive(Clone)]
pub struct Publisher {
    js: jetstream::Context,
    retries: u32,
    counted: Arc<Acked>,
    /// Set by [`Publisher::coalescing`]: [`Publisher::start`] and
    /// [`Publisher::publish_core`] queue their messages for one task to hand over.
    coalescer: Option<Coalescer>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("retries", &self.retries)
            .field("coalescing", &self.coalescer.is_some())
            .finish_non_exhaustive()
    }
}

/// `pylon_bus_published_total` by `duplicate`, registered once (the gateway counts an
/// ack per device frame; a labelled `counter!` looks its key up on every call).
struct Acked {
    stored: Counter,
    duplicate: Counter,
}

impl Acked {
    fn count(&self, ack: &jetstream::publish::PublishAck) -> PublishAck {
        if ack.duplicate {
            self.duplicate.increment(1);
        } else {
            self.stored.increment(1);
        }
        PublishAck {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        }
    }
}

impl Publisher {
    pub fn new(js: jetstream::Context) -> Self {
        Self {
            js,
            retries: 3,
            counted: Arc::new(Acked {
                stored: metrics::counter!("pylon_bus_published_total", "duplicate" => "false"),
                duplicate: metrics::counter!("pylon_bus_published_total", "duplicate" => "true"),
            }),
            coalescer: None,
        }
    }

    /// Sends what [`Publisher::start`] and [`Publisher::publish_core`] are given through
    /// one task, which hands the messages of every task ready at the time to the NATS
    /// client together, so that it writes them in one go (`publish/coalesce.rs`). For a
    /// process where many tasks publish small messages at a high rate: the gateway. Needs
    /// a Tokio runtime.
    pub fn coalescing(mut self) -> Self {
        self.coalescer = Some(Coalescer::start(self.js.clone()));
        self
    }

    /// Publishes on core NATS, without an acknowledgement (a stream may still store it);
    /// a failure is logged at debug level only: for messages that may be lost.
    pub async fn publish_core(&self, subject: String, payload: Bytes) {
        let ok = match &self.coalescer {
            Some(c) => c.core(subject.into(), payload).await,
            None => self.js.client().publish(subject, payload).await.is_ok(),
        };
        if !ok {
            tracing::debug!("core message not published");
        }
    }

    /// Publishes and awaits the ack; retries transient failures with the same message id,
    /// which the server deduplicates, so a retry never doubles an event.
    pub async fn publish(&self, event: &OutgoingEvent) -> Result<PublishAck, BusError> {
        match self.send(event).await {
            Ok(ack) => Ok(ack),
            Err(e) => self.retry(event, e).await,
        }
    }

    /// Sends `event` and returns at once; await the [`Pending`] for the stream's ack (the
    /// first attempt only). After a failed first attempt call [`Publisher::retry`], which
    /// continues exactly as [`Publisher::publish`] does after one. Lets a caller keep
    /// several events of one source in flight, in order, and confirm them in order.
    pub async fn start(&self, event: OutgoingEvent) -> Pending {
        let ack = match &self.coalescer {
            Some(c) => match c.stored(&event).await {
                Some(sent) => Ack::Queued(sent),
                None => Ack::Failed(Some(coalescer_gone(&event.subject))),
            },
            None => match self.send_pipelined(&event).await {
                Ok(f) => Ack::Sent(Box::pin(f.into_future())),
                Err(e) => Ack::Failed(Some(e)),
            },
        };
        Pending {
            event,
            ack,
            counted: self.counted.clone(),
        }
    }

    /// The retries of [`Publisher::publish`] after its first attempt failed with `first`:
    /// up to `retries` more with the same message id, 100 ms × attempt apart, each failure
    /// logged; the last failure is counted in `pylon_bus_publish_failures_total`.
    pub async fn retry(
        &self,
        event: &OutgoingEvent,
        first: BusError,
    ) -> Result<PublishAck, BusError> {
        let mut attempt = 0;
        let mut error = first;
        loop {
            if attempt >= self.retries {
                metrics::counter!("pylon_bus_publish_failures_total").increment(1);
                return Err(error);
            }
            attempt += 1;
            tracing::warn!(subject = %event.subject, attempt, error = %error, "publish failed, retrying");
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            match self.send(event).await {
                Ok(ack) => return Ok(ack),
                Err(e) => error = e,
            }
        }
    }

    /// Sends without waiting; await the returned future for the ack. Lets a caller
    /// pipeline a batch (send all, then await all).
    pub async fn send_pipelined(
        &self,
        event: &OutgoingEvent,
    ) -> Result<PublishAckFuture, BusError> {
        self.js
            .publish_with_headers(
                event.subject.clone(),
                event.meta.to_headers(),
                event.payload.clone(),
            )
            .await
            .map_err(|e| BusError::publish(&event.subject, e))
    }

    async fn send(&self, event: &OutgoingEvent) -> Result<PublishAck, BusError> {
        let ack = self
            .send_pipelined(event)
            .await?
            .await
            .map_err(|e| BusError::publish(&event.subject, e))?;
        Ok(self.counted.count(&ack))
    }
}

/// The coalescing task has ended (the runtime is shutting down): `subject` was not sent.
fn coalescer_gone(subject: &str) -> BusError {
    BusError::publish(
        subject,
        std::io::Error::other("the publishing task has ended"),
    )
}

type AckFuture =
    Pin<Box<dyn Future<Output = Result<jetstream::publish::PublishAck, PublishError>> + Send>>;

/// An event sent by [`Publisher::start`] whose acknowledgement is still to be read.
/// Polling it (it is `Unpin`) gives the first attempt's outcome; it may be polled from a
/// `select!` repeatedly without losing the ack. Dropped unawaited, the ack is not read
/// and nobody learns whether the event was stored.
#[must_use = "await the ack, or the event may be lost unnoticed"]
pub struct Pending {
    event: OutgoingEvent,
    ack: Ack,
    counted: Arc<Acked>,
}

enum Ack {
    /// Queued for the coalescing task, which sends it and gives back its ack future.
    Queued(Sent),
    /// The ack on its way.
    Sent(AckFuture),
    /// Why the send failed (taken once reported).
    Failed(Option<BusError>),
}

impl Pending {
    pub fn event(&self) -> &OutgoingEvent {
        &self.event
    }

    pub fn into_event(self) -> OutgoingEvent {
        self.event
    }
}

impl Future for Pending {
    type Output = Result<PublishAck, BusError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.ack {
                Ack::Queued(sent) => {
                    this.ack = match std::task::ready!(Pin::new(sent).poll(cx)) {
                        Ok(Ok(f)) => Ack::Sent(Box::pin(f.into_future())),
                        Ok(Err(e)) => Ack::Failed(Some(BusError::publish(&this.event.subject, e))),
                        Err(_) => Ack::Failed(Some(coalescer_gone(&this.event.subject))),
                    };
                }
                Ack::Sent(fut) => {
                    return fut.as_mut().poll(cx).map(|r| match r {
                        Ok(ack) => Ok(this.counted.count(&ack)),
                        Err(e) => Err(BusError::publish(&this.event.subject, e)),
                    });
                }
                Ack::Failed(e) => {
                    return Poll::Ready(Err(e.take().unwrap_or_else(|| {
                        BusError::publish(
                            &this.event.subject,
                            std::io::Error::other("polled again"),
                        )
                    })));
                }
            }
        }
    }
}
