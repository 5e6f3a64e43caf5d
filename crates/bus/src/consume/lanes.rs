//! Bounded concurrency that keeps per-key order: the fetched messages wait in arrival
//! order; a message starts when fewer than `count` are being handled and no earlier
//! message of its key is still being handled. Everything runs as futures of the
//! consumer's own task (no spawning), so handlers need not be `Send` or `'static`.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

use super::{ConsumerSpec, Delivery, HandleError, handle_one};
use crate::{Bus, BusError, Publisher};

/// How many messages a consumer handles at once, and which of them must stay in order.
#[derive(Clone, Copy, Debug)]
pub struct Lanes {
    /// Messages handled at the same time, at most (0 and 1 both mean one at a time).
    pub count: usize,
    /// The ordering key of a message's subject: messages with equal keys are handled
    /// one at a time, in the order the stream delivered them.
    pub key: fn(&str) -> &str,
}

impl Lanes {
    /// One message at a time, as [`super::run_consumer`].
    pub const ONE: Self = Self {
        count: 1,
        key: whole_subject,
    };

    /// Device events (`…device.<tenant>.<device>.<kind>`), in order per device.
    pub fn per_device(count: usize) -> Self {
        Self {
            count,
            key: device_key,
        }
    }
}

fn whole_subject(subject: &str) -> &str {
    subject
}

/// The device token of a device event's subject `…device.<tenant>.<device>.<kind>`,
/// counted from the end because a namespace may prefix the subject. Only the device:
/// a device that moves to another tenant keeps its order across the move.
pub fn device_key(subject: &str) -> &str {
    let mut tokens = subject.rsplit('.');
    tokens.next();
    tokens.next().unwrap_or(subject)
}

/// The keyed counterpart of `pull_loop`: returns `Ok` on shutdown, `Err` when NATS
/// failed (the caller re-attaches), in both cases after the messages being handled have
/// finished.
pub(super) async fn keyed_loop<H, Fut>(
    bus: &Bus,
    spec: &ConsumerSpec,
    lanes: Lanes,
    consumer: &jetstream::consumer::Consumer<pull::Config>,
    handler: &H,
    dead_letters: &Publisher,
    shutdown: &CancellationToken,
) -> Result<(), BusError>
where
    H: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandleError>>,
{
    let count = lanes.count.max(1);
    let batch = spec.batch.max(1);
    // Fetched messages held at most: every lane busy and a batch waiting behind them.
    // Bounded so that a waiting message is handled well within `ack_wait`.
    let capacity = count + batch;
    let mut waiting: VecDeque<(String, jetstream::Message)> = VecDeque::new();
    let mut busy: HashSet<String> = HashSet::new();
    let mut handling = FuturesUnordered::new();
    let mut fetched: Option<pull::Batch> = None;
    let mut failure: Option<BusError> = None;

    loop {
        // Start what may start: the first waiting message of each key that is idle.
        while handling.len() < count {
            let Some(i) = waiting.iter().position(|(k, _)| !busy.contains(k)) else {
                break;
            };
            let Some((key, msg)) = waiting.remove(i) else {
                break;
            };
            busy.insert(key.clone());
            handling.push(async move {
                let res = handle_one(bus, spec, msg, handler, dead_letters).await;
                (key, res)
            });
        }
        // Pull more once the lanes are about to run dry; never more than fits.
        let held = waiting.len() + handling.len();
        if fetched.is_none() && held <= count {
            let pull = consumer
                .fetch()
                .max_messages(capacity - held)
                .expires(Duration::from_secs(1))
                .messages()
                .await;
            match pull {
                Ok(b) => fetched = Some(b),
                Err(e) => {
                    failure = Some(BusError::consumer(&spec.durable, e));
                    break;
                }
            }
        }
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some((key, res)) = handling.next(), if !handling.is_empty() => {
                busy.remove(&key);
                if let Err(e) = res {
                    failure = Some(e);
                    break;
                }
            }
            next = next_fetched(&mut fetched) => match next {
                Some(Ok(msg)) => {
                    let key = (lanes.key)(msg.subject.as_str()).to_owned();
                    waiting.push_back((key, msg));
                }
                Some(Err(e)) => {
                    failure = Some(BusError::consumer(&spec.durable, e));
                    break;
                }
                None => {}
            },
        }
    }

    // Start nothing more; finish the messages being handled. On shutdown the open pull
    // is read to its end (its 1 s expiry at most) so that nothing the server sent it is
    // stranded until ack_wait; after a NATS failure it is dropped.
    if failure.is_some() {
        fetched = None;
    }
    loop {
        tokio::select! {
            Some((_, res)) = handling.next(), if !handling.is_empty() => {
                if let Err(e) = res {
                    failure.get_or_insert(e);
                }
            }
            Some(next) = next_fetched(&mut fetched), if fetched.is_some() => match next {
                Ok(msg) => {
                    let key = (lanes.key)(msg.subject.as_str()).to_owned();
                    waiting.push_back((key, msg));
                }
                Err(_) => fetched = None,
            },
            else => break,
        }
    }
    // Give the waiting ones back now rather than after ack_wait.
    for (_, msg) in waiting {
        if let Err(e) = msg.ack_with(AckKind::Nak(None)).await {
            tracing::debug!(consumer = %spec.durable, error = %e, "could not give a waiting message back; it returns after ack_wait");
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The next message of the current pull; `None` (and the pull dropped) when it is done.
/// Without a pull it never resolves.
async fn next_fetched(
    fetched: &mut Option<pull::Batch>,
) -> Option<Result<jetstream::Message, async_nats::Error>> {
    let Some(batch) = fetched.as_mut() else {
        return std::future::pending().await;
    };
    let next = batch.next().await;
    if next.is_none() {
        *fetched = None;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_token_is_the_key_with_or_without_a_namespace() {
        assert_eq!(device_key("pylon.device.t1.0badc0de.meter"), "0badc0de");
        assert_eq!(
            device_key("ns_42.pylon.device._.0badc0de.charging_ended"),
            "0badc0de"
        );
        // Same device under another tenant: same key.
        assert_eq!(
            device_key("pylon.device.t2.0badc0de.meter"),
            device_key("pylon.device._.0badc0de.heartbeat")
        );
        assert_eq!(device_key("lonely"), "lonely");
    }
}
