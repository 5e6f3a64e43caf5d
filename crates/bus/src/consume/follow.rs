//! Following a stream from now on without a durable consumer: an ordered consumer
//! (ephemeral, no acks, recreated by the client when it sees a gap) delivering what is
//! stored after it starts. For what one process keeps for itself — a cache that must
//! forget what changed elsewhere — where a message that may have been missed is made up
//! for by forgetting everything ([`Follower::restarted`]), not by redelivery.

use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Delivery;
use crate::event::EventMeta;
use crate::{Bus, BusError};

/// What a follower does with what it is given.
pub trait Follower: Send {
    /// A message stored after the follow (re)started. Messages without event headers are
    /// skipped (they are not events).
    fn event(&mut self, delivery: Delivery);
    /// Called on every (re)start, once the consumer exists and before its first message:
    /// anything published while not following — before the first start, or during a
    /// NATS outage — may have been missed.
    fn restarted(&mut self);
}

/// Follows `stream` (namespaced name) on `filter_subject` until `shutdown`. NATS
/// failures are waited out with back-off; each new start calls `restarted`.
pub async fn follow(
    bus: &Bus,
    stream: &str,
    filter_subject: &str,
    follower: &mut impl Follower,
    shutdown: &CancellationToken,
) {
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        match follow_once(bus, stream, filter_subject, follower, shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(stream, filter_subject, error = %e, "following stopped, will restart");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One ordered consumer, until shutdown (`Ok`) or an error.
async fn follow_once(
    bus: &Bus,
    stream: &str,
    filter_subject: &str,
    follower: &mut impl Follower,
    shutdown: &CancellationToken,
) -> Result<(), BusError> {
    let name = format!("follow {stream} {filter_subject}");
    let mut messages = bus
        .jetstream
        .get_stream(stream)
        .await
        .map_err(|e| BusError::consumer(&name, e))?
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter_subject.to_owned(),
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| BusError::consumer(&name, e))?
        .messages()
        .await
        .map_err(|e| BusError::consumer(&name, e))?;
    follower.restarted();
    loop {
        let next = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            next = messages.next() => next,
        };
        let msg = match next {
            Some(Ok(msg)) => msg,
            Some(Err(e)) => return Err(BusError::consumer(&name, e)),
            None => return Err(BusError::consumer(&name, "the consumer ended")),
        };
        let Some(meta) = msg
            .headers
            .as_ref()
            .and_then(|h| EventMeta::from_headers(h).ok())
        else {
            tracing::warn!(subject = %msg.subject, "followed message without event headers skipped");
            continue;
        };
        let stream_sequence = msg.info().map(|i| i.stream_sequence).unwrap_or_default();
        follower.event(Delivery {
            subject: msg.subject.to_string(),
            meta,
            payload: msg.payload.clone(),
            delivered: 1,
            stream_sequence,
        });
    }
}
