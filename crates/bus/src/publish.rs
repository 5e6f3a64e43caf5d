//! Direct publishing with JetStream acknowledgements, for the gateway (which has no
//! database) and for the outbox relay.

use async_nats::jetstream::{self, context::PublishAckFuture};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use metrics::Counter;

use crate::{BusError, OutgoingEvent};

mod acks;
mod coalesce;
mod handoff;
mod in_flight;
pub use acks::AckError;
use coalesce::Coalescer;
pub use in_flight::InFlight;

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
    /// Set by [`Publisher::coalescing`]: [`Publisher::dispatch`] and
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
    fn count(&self, ack: PublishAck) -> PublishAck {
        if ack.duplicate {
            self.duplicate.increment(1);
        } else {
            self.stored.increment(1);
        }
        ack
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

    /// Sends what [`Publisher::dispatch`] and [`Publisher::publish_core`] are given through
    /// one task, which hands the messages of every task ready at the time to the NATS
    /// client together, so that it writes them in one go (`publish/coalesce.rs`). For a
    /// process where many tasks publish small messages at a high rate: the gateway. Needs
    /// a Tokio runtime.
    pub fn coalescing(mut self) -> Self {
        self.coalescer = Some(Coalescer::start(self.clone()));
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

    /// Sends `event` and returns once it is on its way, counted in `in_flight` until it
    /// is settled: stored, or retried as [`Publisher::publish`] retries and then logged.
    /// A source's events are sent in the order given; it waits on `in_flight` only when
    /// it must (for room in a window, or for its events to be stored before something
    /// that depends on them), so an ack nobody waits for wakes nobody.
    pub async fn dispatch(&self, event: OutgoingEvent, in_flight: &InFlight) {
        if let Some(c) = &self.coalescer {
            return c.dispatch(event, in_flight).await;
        }
        in_flight.sent();
        let sent = self.send_pipelined(&event).await;
        let (this, in_flight) = (self.clone(), in_flight.clone());
        tokio::spawn(async move {
            if let Err(e) = this.first_ack(&event, sent).await {
                this.retry_or_log(&event, e).await;
            }
            in_flight.done();
        });
    }

    /// What [`Publisher::dispatch`] does after a failed first attempt: retries as
    /// [`Publisher::publish`] does, and logs the event if it is still not stored.
    async fn retry_or_log(&self, event: &OutgoingEvent, first: BusError) {
        if let Err(err) = self.retry(event, first).await {
            tracing::error!(error = %err, subject = %event.subject, "event not published");
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

    /// The outcome of a [`Publisher::send_pipelined`]: its ack, counted.
    pub(crate) async fn first_ack(
        &self,
        event: &OutgoingEvent,
        sent: Result<PublishAckFuture, BusError>,
    ) -> Result<PublishAck, BusError> {
        let ack = sent?
            .await
            .map_err(|e| BusError::publish(&event.subject, e))?;
        Ok(self.counted.count(PublishAck {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        }))
    }

    async fn send(&self, event: &OutgoingEvent) -> Result<PublishAck, BusError> {
        let sent = self.send_pipelined(event).await;
        self.first_ack(event, sent).await
    }
}
