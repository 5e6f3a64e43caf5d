//! Direct publishing with JetStream acknowledgements, for the gateway (which has no
//! database) and for the outbox relay.

use async_nats::jetstream::{self, context::PublishAckFuture};
use std::time::Duration;

use crate::{BusError, OutgoingEvent};

/// JetStream's answer to one publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishAck {
    pub sequence: u64,
    /// True when the server had already stored this `Nats-Msg-Id` and dropped the copy.
    pub duplicate: bool,
}

/// Publishes events and waits for the stream to store them.
#[derive(Clone, Debug)]
pub struct Publisher {
    js: jetstream::Context,
    retries: u32,
}

impl Publisher {
    pub fn new(js: jetstream::Context) -> Self {
        Self { js, retries: 3 }
    }

    /// Publishes and awaits the ack; retries transient failures with the same message id,
    /// which the server deduplicates, so a retry never doubles an event.
    pub async fn publish(&self, event: &OutgoingEvent) -> Result<PublishAck, BusError> {
        let mut attempt = 0;
        loop {
            match self.send(event).await {
                Ok(ack) => return Ok(ack),
                Err(e) if attempt < self.retries => {
                    attempt += 1;
                    tracing::warn!(subject = %event.subject, attempt, error = %e, "publish failed, retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => {
                    metrics::counter!("pylon_bus_publish_failures_total").increment(1);
                    return Err(e);
                }
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
        metrics::counter!("pylon_bus_published_total", "duplicate" => if ack.duplicate { "true" } else { "false" })
            .increment(1);
        Ok(PublishAck {
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}
