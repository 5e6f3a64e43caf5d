//! Batched consumption: the handler gets every message one pull returned (up to
//! `spec.batch`, in stream order) in one call, so that it can apply them in one database
//! transaction instead of one transaction per message. Pulls do not wait to fill up:
//! a pull returns what is pending, so a quiet stream gives batches of one and a busy
//! one gives full batches (the time a batch takes is the time the next one gathers).
//!
//! A consumer that would rather have fewer, larger batches than the quickest handling
//! gives a `linger`: after a batch that was not full it waits that long before pulling
//! again, so what arrives meanwhile comes as one batch.
//!
//! Each message still gets its own outcome (ack, retry with back-off, dead letter),
//! from the handler's result at its position. A handler that cannot commit the batch
//! returns `Retry` for all of them.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{ConsumerSpec, Delivery, HandleError, PullConsumer, Received, attached, fetch_pending};
use crate::{Bus, BusError, Publisher};

/// Runs `handler` over the consumer until `shutdown`, a pulled batch at a time (after
/// a batch that was not full, the next pull waits `linger`). The
/// handler returns one result per delivery, in the order given; a delivery without a
/// result is retried. The batch in hand is finished (handled and acked) before it
/// returns. NATS outages are waited out; `running` tells readiness checks whether the
/// consumer is attached.
///
/// Messages that can never be handled (no event headers, too many deliveries) are
/// dead-lettered without reaching the handler. A batch has no single trace parent, so
/// the handler's span is the batch's own.
pub async fn run_consumer_batched<H, Fut>(
    bus: &Bus,
    spec: ConsumerSpec,
    handler: H,
    linger: Duration,
    shutdown: CancellationToken,
    running: Arc<AtomicBool>,
) -> Result<(), BusError>
where
    H: Fn(Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandleError>>>,
{
    let dead_letters = Publisher::new(bus.jetstream.clone());
    let (spec_ref, handler, dead_letters, stop) = (&spec, &handler, &dead_letters, &shutdown);
    let inner = move |consumer: PullConsumer| async move {
        batch_loop(
            bus,
            spec_ref,
            &consumer,
            handler,
            dead_letters,
            linger,
            stop,
        )
        .await
    };
    attached(bus, &spec, &shutdown, &running, inner).await
}

async fn batch_loop<H, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    consumer: &PullConsumer,
    handler: &H,
    dead_letters: &Publisher,
    linger: Duration,
    shutdown: &CancellationToken,
) -> Result<(), BusError>
where
    H: Fn(Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandleError>>>,
{
    loop {
        let Some(mut batch) = fetch_pending(spec, consumer, shutdown).await? else {
            return Ok(());
        };
        let mut received = Vec::new();
        while let Some(msg) = batch.next().await {
            let msg = msg.map_err(|e| BusError::consumer(&spec.durable, e))?;
            received.push(Received::new(spec, msg)?);
        }
        let full = received.len() >= spec.batch;
        if !received.is_empty() {
            handle_batch(bus, spec, received, handler, dead_letters).await?;
        }
        if !full && !linger.is_zero() {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(linger) => {}
            }
        }
        if shutdown.is_cancelled() {
            return Ok(());
        }
    }
}

async fn handle_batch<H, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    received: Vec<Received>,
    handler: &H,
    dead_letters: &Publisher,
) -> Result<(), BusError>
where
    H: Fn(Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandleError>>>,
{
    let mut outcomes: Vec<Option<Result<(), HandleError>>> = vec![None; received.len()];
    let mut deliveries = Vec::with_capacity(received.len());
    let mut positions = Vec::with_capacity(received.len());
    for (i, r) in received.iter().enumerate() {
        match r.delivery(spec) {
            Ok(d) => {
                deliveries.push(d);
                positions.push(i);
            }
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    if !deliveries.is_empty() {
        let span = tracing::info_span!("consume_batch", consumer = %spec.durable, count = deliveries.len());
        let mut results = handler(deliveries).instrument(span).await.into_iter();
        for i in positions {
            outcomes[i] = Some(results.next().unwrap_or_else(|| {
                Err(HandleError::Retry(
                    "the batch handler gave no result for this message".into(),
                ))
            }));
        }
    }
    for (r, outcome) in received.into_iter().zip(outcomes) {
        let outcome = outcome.unwrap_or_else(|| Err(HandleError::Retry("not handled".into())));
        r.finish(bus, spec, outcome, dead_letters).await?;
    }
    Ok(())
}
