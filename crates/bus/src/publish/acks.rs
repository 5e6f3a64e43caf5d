//! JetStream's acknowledgements of the coalesced publishes, read from one subscription.
//!
//! async-nats's JetStream publish is a request: per message it makes an inbox name, takes
//! an in-flight permit, registers a token in the client's request map, arms a timer when
//! its ack future is first polled and parses the ack through an untagged enum — and the
//! coalescing task had to hand each publisher its ack future back, a second wake-up of
//! the publisher per event. Here a waiter is registered under a token from a counter
//! before its message is queued with the token in its reply subject; the acks arrive on
//! one wildcard subscription, and one task matches each to its waiter and settles it;
//! one sweep a second gives up on the waiters whose ack is later than [`ACK_TIMEOUT`]
//! (their events are retried with the same message id: the stream drops the copy if
//! the first was stored after all).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::{Message, StatusCode, Subscriber};
use futures::{FutureExt, StreamExt};
use serde::Deserialize;

use super::{ACK_TIMEOUT, PublishAck};

/// How often waiters are checked for an overdue ack.
const SWEEP: Duration = Duration::from_secs(1);
/// Acks handed over per lock of the map at most.
const BATCH: usize = 256;

/// Why a coalesced publish has no ack.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("no acknowledgement within {ACK_TIMEOUT:?}")]
    TimedOut,
    #[error("no stream takes this subject")]
    NoStream,
    #[error("JetStream refused the message: {code} {description}")]
    Refused { code: u16, description: String },
    #[error("unreadable acknowledgement: {0}")]
    Unreadable(String),
    #[error("not sent: {0}")]
    NotSent(String),
}

pub(crate) type AckResult = Result<PublishAck, AckError>;

struct Waiter<T> {
    item: T,
    since: Instant,
}

/// What waits for the acks of one publisher's coalesced publishes (`T`), by token.
pub(crate) struct Acks<T> {
    /// `<inbox>.`: a reply subject is the prefix and the token.
    prefix: String,
    next: AtomicU64,
    /// Tokens grow with time, so the oldest waiters come first (the sweep's order).
    waiting: Mutex<BTreeMap<u64, Waiter<T>>>,
}

impl<T> Acks<T> {
    /// Waiters for acks sent to `inbox.<token>`.
    pub(crate) fn new(inbox: &str) -> Self {
        Self {
            prefix: format!("{inbox}."),
            next: AtomicU64::new(0),
            waiting: Mutex::new(BTreeMap::new()),
        }
    }

    /// The subject to subscribe to for every ack.
    pub(crate) fn wildcard(&self) -> String {
        format!("{}*", self.prefix)
    }

    /// Registers `item` to wait for an ack: its token and the reply subject to publish with.
    pub(crate) fn register(&self, item: T) -> (u64, String) {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        let waiter = Waiter {
            item,
            since: Instant::now(),
        };
        self.lock().insert(token, waiter);
        (token, format!("{}{token}", self.prefix))
    }

    /// Takes back the waiter of `token` (its message was not sent after all).
    pub(crate) fn take(&self, token: u64) -> Option<T> {
        self.lock().remove(&token).map(|w| w.item)
    }

    /// Each ack's waiter with its outcome; an ack whose waiter is gone (given up after
    /// the timeout) is dropped.
    fn deliver(&self, messages: &mut Vec<Message>) -> Vec<(T, AckResult)> {
        let mut parsed = Vec::with_capacity(messages.len());
        for m in messages.drain(..) {
            let token = m
                .subject
                .strip_prefix(self.prefix.as_str())
                .and_then(|t| t.parse::<u64>().ok());
            if let Some(token) = token {
                parsed.push((token, read_ack(&m)));
            }
        }
        let mut waiting = self.lock();
        parsed
            .into_iter()
            .filter_map(|(token, r)| waiting.remove(&token).map(|w| (w.item, r)))
            .collect()
    }

    /// The waiters that have waited [`ACK_TIMEOUT`] or longer at `now`, taken.
    fn expire(&self, now: Instant) -> Vec<T> {
        let mut overdue = Vec::new();
        let mut waiting = self.lock();
        while let Some(entry) = waiting.first_entry() {
            if now.duration_since(entry.get().since) < ACK_TIMEOUT {
                break;
            }
            overdue.push(entry.remove().item);
        }
        overdue
    }

    /// Every waiter, taken.
    fn take_all(&self) -> Vec<T> {
        std::mem::take(&mut *self.lock())
            .into_values()
            .map(|w| w.item)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Waiter<T>>> {
        // A panic while holding the map cannot leave it inconsistent (single calls).
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads the acks of `acks`'s publishes from `sub` until the client closes it, and hands
/// every waiter with its outcome to `settle` (outside the map's lock).
pub(crate) async fn read<T>(mut sub: Subscriber, acks: &Acks<T>, settle: impl Fn(T, AckResult)) {
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            m = sub.next() => match m {
                Some(m) => batch.push(m),
                None => break,
            },
            _ = sweep.tick() => {
                for item in acks.expire(Instant::now()) {
                    settle(item, Err(AckError::TimedOut));
                }
                continue;
            }
        }
        // Everything already arrived goes under the same lock.
        while batch.len() < BATCH {
            match sub.next().now_or_never() {
                Some(Some(m)) => batch.push(m),
                _ => break,
            }
        }
        for (item, r) in acks.deliver(&mut batch) {
            settle(item, r);
        }
    }
    // The client closed the subscription (it is shutting down): no ack will come for
    // what still waits, which is settled now (its retries fail and are logged) rather
    // than waiting for ever.
    for item in acks.take_all() {
        settle(
            item,
            Err(AckError::NotSent(
                "the acknowledgements' subscription ended".into(),
            )),
        );
    }
}

/// JetStream's answer to a publish: `{"stream":…,"seq":…[,"duplicate":true]}` or
/// `{"error":{"code":…,"description":…}}`; a 503 status without a body when no stream
/// takes the subject.
fn read_ack(m: &Message) -> AckResult {
    #[derive(Deserialize)]
    struct Body {
        seq: Option<u64>,
        #[serde(default)]
        duplicate: bool,
        error: Option<ApiError>,
    }
    #[derive(Deserialize)]
    struct ApiError {
        code: u16,
        #[serde(default)]
        description: String,
    }
    if m.status == Some(StatusCode::NO_RESPONDERS) {
        return Err(AckError::NoStream);
    }
    let body: Body = serde_json::from_slice(&m.payload)
        .map_err(|e| AckError::Unreadable(format!("{e}: {:?}", m.payload)))?;
    match (body.error, body.seq) {
        (Some(e), _) => Err(AckError::Refused {
            code: e.code,
            description: e.description,
        }),
        (None, Some(sequence)) => Ok(PublishAck {
            sequence,
            duplicate: body.duplicate,
        }),
        (None, None) => Err(AckError::Unreadable(format!(
            "no sequence: {:?}",
            m.payload
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_nats::Subject;
    use bytes::Bytes;

    fn ack<T>(acks: &Acks<T>, token: u64, body: &'static str) -> Message {
        Message {
            subject: Subject::from(format!("{}{token}", acks.prefix)),
            reply: None,
            payload: Bytes::from_static(body.as_bytes()),
            headers: None,
            status: None,
            description: None,
            length: body.len(),
        }
    }

    #[test]
    fn each_ack_reaches_the_waiter_named_by_its_token() {
        let acks = Acks::new("_INBOX.test");
        let (t1, reply1) = acks.register("first");
        let (t2, reply2) = acks.register("second");
        assert_eq!(reply1, format!("_INBOX.test.{t1}"));
        assert_ne!(reply1, reply2);
        // Out of order, one a duplicate, one for a waiter long gone.
        let mut batch = vec![
            ack(&acks, t2, r#"{"stream":"S","seq":8,"duplicate":true}"#),
            ack(&acks, 99, r#"{"stream":"S","seq":9}"#),
            ack(&acks, t1, r#"{"stream":"S","seq":7}"#),
        ];
        let settled: Vec<(&str, (u64, bool))> = acks
            .deliver(&mut batch)
            .into_iter()
            .map(|(w, r)| (w, r.map(|a| (a.sequence, a.duplicate)).unwrap()))
            .collect();
        assert_eq!(settled, [("second", (8, true)), ("first", (7, false))]);
        assert!(acks.lock().is_empty());
    }

    #[test]
    fn refusals_and_missing_streams_are_errors_naming_why() {
        let acks = Acks::new("_INBOX.test");
        let (t1, _) = acks.register(1);
        let (t2, _) = acks.register(2);
        let (t3, _) = acks.register(3);
        let mut none = ack(&acks, t2, "");
        none.status = Some(StatusCode::NO_RESPONDERS);
        let mut batch = vec![
            ack(
                &acks,
                t1,
                r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#,
            ),
            none,
            ack(&acks, t3, "not json"),
        ];
        let settled = acks.deliver(&mut batch);
        assert_eq!(settled.len(), 3);
        assert!(
            matches!(&settled[0], (1, Err(AckError::Refused { code: 503, description })) if description == "maximum messages exceeded"),
            "{:?}",
            settled[0]
        );
        assert!(matches!(settled[1], (2, Err(AckError::NoStream))));
        assert!(matches!(settled[2], (3, Err(AckError::Unreadable(_)))));
    }

    #[test]
    fn only_waiters_older_than_the_timeout_expire() {
        let acks = Acks::new("_INBOX.test");
        acks.register("old");
        let (young, _) = acks.register("young");
        let now = Instant::now();
        // The second waiter registered a second later than the first.
        acks.lock().get_mut(&young).unwrap().since = now + Duration::from_secs(1);
        assert!(acks.expire(now).is_empty());
        assert_eq!(acks.expire(now + ACK_TIMEOUT), ["old"]);
        assert_eq!(
            acks.expire(now + ACK_TIMEOUT + Duration::from_secs(1)),
            ["young"]
        );
        assert!(acks.lock().is_empty());
    }

    #[test]
    fn every_waiter_can_be_taken_at_once_in_token_order() {
        let acks = Acks::new("_INBOX.test");
        acks.register("a");
        acks.register("b");
        assert_eq!(acks.take_all(), ["a", "b"]);
        assert!(acks.take_all().is_empty());
    }

    #[test]
    fn a_waiter_taken_back_gets_no_ack() {
        let acks = Acks::new("_INBOX.test");
        let (token, _) = acks.register("unsent");
        assert_eq!(acks.take(token), Some("unsent"));
        let mut batch = vec![ack(&acks, token, r#"{"stream":"S","seq":1}"#)];
        assert!(acks.deliver(&mut batch).is_empty());
    }
}
