//! Durable pull consumers: explicit ack after the handler's effect is committed, bounded
//! redelivery with back-off, then a dead letter that carries the reason.
//!
//! [`run_consumer`] handles one message at a time. [`run_consumer_keyed`] handles up to
//! [`Lanes::count`] at once, keeping the stream order among messages with the same key
//! (e.g. one device's events); every message is still acked, retried or dead-lettered
//! on its own, after its own handler finished. [`run_consumer_batched`] gives the
//! handler each pull's messages at once (one transaction for many events), with an
//! outcome per message. [`follow`] is the other kind: no durable consumer, what is
//! stored from now on, for state a process keeps for itself.

mod batched;
mod follow;
mod lanes;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use bytes::Bytes;
use futures::StreamExt;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::event::{EventMeta, decode_payload};
use crate::{Bus, BusError, Event, Publisher};

pub use batched::run_consumer_batched;
pub use follow::{Follower, follow};
pub use lanes::{Lanes, device_key};

/// Which messages a durable consumer reads and how hard it tries.
#[derive(Clone, Debug)]
pub struct ConsumerSpec {
    /// Stream name (already namespaced, e.g. from [`crate::platform_streams`]).
    pub stream: String,
    /// Durable name, unique per consuming service and purpose; a subject token.
    pub durable: String,
    pub filter_subject: String,
    /// Deliveries before the message is dead-lettered.
    pub max_deliver: u64,
    /// How long the server waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// Messages fetched per pull.
    pub batch: usize,
}

/// One delivered event.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub subject: String,
    pub meta: EventMeta,
    pub payload: Bytes,
    /// 1 on first delivery.
    pub delivered: u64,
    pub stream_sequence: u64,
}

impl Delivery {
    pub fn decode<E: Event>(&self) -> Result<E, BusError> {
        decode_payload(&self.meta.event_type, &self.payload)
    }
}

/// How a handler failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// Worth another try (database down, dependency timed out).
    Retry(String),
    /// Will never succeed (undecodable, violates an invariant): dead-letter now.
    Permanent(String),
}

impl std::fmt::Display for HandleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Retry(r) => write!(f, "retryable: {r}"),
            Self::Permanent(r) => write!(f, "permanent: {r}"),
        }
    }
}

/// Runs `handler` over the consumer until `shutdown`, one message at a time. The message
/// in hand is finished (handled and acked) before it returns. NATS outages are waited
/// out; `running` tells readiness checks whether the consumer is currently attached.
pub async fn run_consumer<H, Fut>(
    bus: &Bus,
    spec: ConsumerSpec,
    handler: H,
    shutdown: CancellationToken,
    running: Arc<AtomicBool>,
) -> Result<(), BusError>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    run_consumer_keyed(bus, spec, Lanes::ONE, handler, shutdown, running).await
}

/// [`run_consumer`] with up to `lanes.count` messages handled at once: messages whose
/// subjects have the same key (`lanes.key`) are handled one at a time in stream order,
/// different keys concurrently. On shutdown the messages being handled are finished and
/// acked; fetched ones not yet started are given back (nak) for prompt redelivery. A
/// retried message comes back after its back-off, possibly behind later messages of its
/// key (as with one lane), so handlers must still tolerate that order.
/// `lanes.count == 1` is exactly [`run_consumer`].
pub async fn run_consumer_keyed<H, Fut>(
    bus: &Bus,
    spec: ConsumerSpec,
    lanes: Lanes,
    handler: H,
    shutdown: CancellationToken,
    running: Arc<AtomicBool>,
) -> Result<(), BusError>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let dead_letters = Publisher::new(bus.jetstream.clone());
    let (spec_ref, handler, dead_letters, stop) = (&spec, &handler, &dead_letters, &shutdown);
    let inner = move |consumer: PullConsumer| async move {
        if lanes.count > 1 {
            lanes::keyed_loop(bus, spec_ref, lanes, &consumer, handler, dead_letters, stop).await
        } else {
            pull_loop(bus, spec_ref, &consumer, handler, dead_letters, stop).await
        }
    };
    attached(bus, &spec, &shutdown, &running, inner).await
}

type PullConsumer = jetstream::consumer::Consumer<pull::Config>;

/// Attaches to the durable consumer and runs `inner` on it until it returns `Ok`
/// (shutdown); a NATS failure detaches, waits with back-off and attaches again.
async fn attached<F, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    shutdown: &CancellationToken,
    running: &AtomicBool,
    inner: F,
) -> Result<(), BusError>
where
    F: Fn(PullConsumer) -> Fut,
    Fut: Future<Output = Result<(), BusError>>,
{
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        match attach(&bus.jetstream, spec).await {
            Ok(consumer) => {
                running.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(200);
                let res = inner(consumer).await;
                running.store(false, Ordering::Relaxed);
                match res {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        tracing::warn!(consumer = %spec.durable, error = %e, "consumer detached, will re-attach")
                    }
                }
            }
            Err(e) => {
                running.store(false, Ordering::Relaxed);
                tracing::warn!(consumer = %spec.durable, error = %e, "cannot attach consumer, retrying");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    Ok(())
}

async fn attach(js: &jetstream::Context, spec: &ConsumerSpec) -> Result<PullConsumer, BusError> {
    let stream = js
        .get_stream(&spec.stream)
        .await
        .map_err(|e| BusError::consumer(&spec.durable, e))?;
    stream
        .get_or_create_consumer(
            &spec.durable,
            pull::Config {
                durable_name: Some(spec.durable.clone()),
                filter_subject: spec.filter_subject.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: spec.ack_wait,
                // Unlimited on the server: we count deliveries ourselves so the last
                // failure goes to the dead-letter stream instead of vanishing.
                max_deliver: -1,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| BusError::consumer(&spec.durable, e))
}

async fn pull_loop<H, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    consumer: &PullConsumer,
    handler: &H,
    dead_letters: &Publisher,
    shutdown: &CancellationToken,
) -> Result<(), BusError>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    loop {
        let Some(mut batch) = fetch_pending(spec, consumer, shutdown).await? else {
            return Ok(());
        };
        while let Some(msg) = batch.next().await {
            let msg = msg.map_err(|e| BusError::consumer(&spec.durable, e))?;
            handle_one(bus, spec, msg, handler, dead_letters).await?;
            if shutdown.is_cancelled() {
                return Ok(());
            }
        }
    }
}

/// One pull of up to `spec.batch` messages (what is pending; the first waited for up to
/// a second); `None` on shutdown.
async fn fetch_pending(
    spec: &ConsumerSpec,
    consumer: &PullConsumer,
    shutdown: &CancellationToken,
) -> Result<Option<pull::Batch>, BusError> {
    let fetch = consumer
        .fetch()
        .max_messages(spec.batch.max(1))
        .expires(Duration::from_secs(1))
        .messages();
    tokio::select! {
        _ = shutdown.cancelled() => Ok(None),
        b = fetch => b.map(Some).map_err(|e| BusError::consumer(&spec.durable, e)),
    }
}

async fn handle_one<H, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    msg: jetstream::Message,
    handler: &H,
    dead_letters: &Publisher,
) -> Result<(), BusError>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let received = Received::new(spec, msg)?;
    let outcome = match received.delivery(spec) {
        Err(e) => Err(e),
        Ok(delivery) => {
            let span = tracing::info_span!("consume", consumer = %spec.durable, subject = %delivery.subject, event_id = %delivery.meta.id);
            set_remote_parent(&span, delivery.meta.traceparent.as_deref());
            handler(delivery).instrument(span).await
        }
    };
    received.finish(bus, spec, outcome, dead_letters).await
}

/// A fetched message with what its delivery metadata says.
struct Received {
    msg: jetstream::Message,
    headers: async_nats::HeaderMap,
    delivered: u64,
    stream_sequence: u64,
}

impl Received {
    fn new(spec: &ConsumerSpec, msg: jetstream::Message) -> Result<Self, BusError> {
        let info = msg
            .info()
            .map_err(|e| BusError::consumer(&spec.durable, e.to_string()))?;
        let (delivered, stream_sequence) = (info.delivered.max(1) as u64, info.stream_sequence);
        let headers = msg.headers.clone().unwrap_or_default();
        Ok(Self {
            msg,
            headers,
            delivered,
            stream_sequence,
        })
    }

    /// The event for the handler, or why it can never be handled.
    fn delivery(&self, spec: &ConsumerSpec) -> Result<Delivery, HandleError> {
        let meta = EventMeta::from_headers(&self.headers)
            .map_err(|e| HandleError::Permanent(e.to_string()))?;
        // A handler that never returned (the process died mid-message) still counts.
        if self.delivered > spec.max_deliver {
            return Err(HandleError::Permanent(format!(
                "delivered {} times without an ack",
                self.delivered
            )));
        }
        Ok(Delivery {
            subject: self.msg.subject.to_string(),
            meta,
            payload: self.msg.payload.clone(),
            delivered: self.delivered,
            stream_sequence: self.stream_sequence,
        })
    }

    /// Acks, retries (nak with back-off) or dead-letters the message by its outcome.
    async fn finish(
        self,
        bus: &Bus,
        spec: &ConsumerSpec,
        outcome: Result<(), HandleError>,
        dead_letters: &Publisher,
    ) -> Result<(), BusError> {
        let Self {
            msg,
            headers,
            delivered,
            stream_sequence,
        } = self;
        let ack = |kind: AckKind| {
            let msg = &msg;
            async move {
                msg.ack_with(kind)
                    .await
                    .map_err(|e| BusError::consumer(&spec.durable, e.to_string()))
            }
        };
        match outcome {
            Ok(()) => {
                metrics::counter!("pylon_bus_consumed_total", "consumer" => spec.durable.clone(), "result" => "ok").increment(1);
                ack(AckKind::Ack).await
            }
            Err(HandleError::Retry(reason)) if delivered < spec.max_deliver => {
                metrics::counter!("pylon_bus_consumed_total", "consumer" => spec.durable.clone(), "result" => "retry").increment(1);
                tracing::warn!(consumer = %spec.durable, delivered, %reason, "handler failed, will redeliver");
                let delay = Duration::from_millis(100u64.saturating_mul(1 << delivered.min(8)));
                ack(AckKind::Nak(Some(delay))).await
            }
            Err(HandleError::Retry(reason) | HandleError::Permanent(reason)) => {
                metrics::counter!("pylon_bus_consumed_total", "consumer" => spec.durable.clone(), "result" => "dead_letter").increment(1);
                tracing::error!(consumer = %spec.durable, delivered, %reason, "giving up on message, dead-lettering");
                let dead = dead_letter(
                    bus,
                    spec,
                    &msg,
                    &headers,
                    delivered,
                    stream_sequence,
                    reason,
                );
                // Only when the dead letter is stored may the original go; otherwise leave
                // it unacked and it comes back after ack_wait.
                dead_letters.publish(&dead).await?;
                ack(AckKind::Term).await
            }
        }
    }
}

fn dead_letter(
    bus: &Bus,
    spec: &ConsumerSpec,
    msg: &jetstream::Message,
    headers: &async_nats::HeaderMap,
    delivered: u64,
    stream_sequence: u64,
    reason: String,
) -> crate::OutgoingEvent {
    let now = chrono::Utc::now();
    let original: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            let joined = v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",");
            (k.to_string(), joined)
        })
        .collect();
    let tenant = original
        .get(crate::event::headers::TENANT)
        .cloned()
        .unwrap_or_else(|| "_".to_owned());
    let body = proto::events::DeadLettered {
        consumer: spec.durable.clone(),
        stream: spec.stream.clone(),
        original_subject: msg.subject.to_string(),
        stream_sequence,
        deliveries: delivered,
        reason,
        payload: msg.payload.to_vec(),
        headers: original,
        dead_lettered_at: Some(crate::event::timestamp(now)),
    };
    // The id is derived from the consumer and stream sequence so that a retry of this
    // step (crash after publish, before ack) is deduplicated, not doubled.
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("{}/{}/{}", spec.stream, spec.durable, stream_sequence).as_bytes(),
    );
    crate::OutgoingEvent {
        subject: bus.namespace.subject(&["dlq", &spec.durable]),
        meta: EventMeta {
            id,
            event_type: <proto::events::DeadLettered as Event>::TYPE.to_owned(),
            source: format!("pylon/consumer/{}", spec.durable),
            tenant,
            time: now,
            traceparent: None,
        },
        payload: Bytes::from(body.encode_to_vec()),
    }
}

fn set_remote_parent(span: &tracing::Span, traceparent: Option<&str>) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let Some(tp) = traceparent else { return };
    let mut carrier = HashMap::new();
    carrier.insert("traceparent".to_owned(), tp.to_owned());
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    let _ = span.set_parent(cx);
}
