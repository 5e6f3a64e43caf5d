//! `run_consumer_keyed`: concurrency across keys, order within a key, one ack per
//! message, retries and dead letters per message, and a shutdown that finishes what is
//! in hand and gives the rest back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus::consume::{Lanes, run_consumer_keyed};
use bus::{ConsumerSpec, Delivery, HandleError, OutgoingEvent, Publisher};
use tokio_util::sync::CancellationToken;

use crate::{Fixture, Ping, eventually};

fn spec(fx: &Fixture, durable: &str, max_deliver: u64, ack_wait_secs: u64) -> ConsumerSpec {
    ConsumerSpec {
        stream: fx.stream.name.clone(),
        durable: durable.into(),
        filter_subject: fx.bus.namespace.subject(&["test", ">"]),
        max_deliver,
        ack_wait: Duration::from_secs(ack_wait_secs),
        batch: 10,
    }
}

/// A ping on `…test.tenant1.<key>.pinged`: `Lanes::per_device` keys it by `key`.
fn keyed(fx: &Fixture, key: &str, note: &str) -> OutgoingEvent {
    OutgoingEvent::new(
        fx.bus
            .namespace
            .subject(&["test", "tenant1", key, "pinged"]),
        "pylon/test",
        "tenant1",
        chrono::Utc::now(),
        &Ping {
            note: note.into(),
            amount_fen: 0,
        },
    )
}

async fn publish_all(fx: &Fixture, events: &[OutgoingEvent]) {
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    for ev in events {
        publisher.publish(ev).await.unwrap();
    }
}

fn spawn<H, Fut>(
    fx: &Fixture,
    spec: ConsumerSpec,
    lanes: usize,
    handler: H,
) -> (CancellationToken, tokio::task::JoinHandle<()>)
where
    H: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), HandleError>> + Send,
{
    let stop = CancellationToken::new();
    let bus = fx.bus.bus.clone();
    let s = stop.clone();
    let task = tokio::spawn(async move {
        let running = Arc::new(AtomicBool::new(false));
        run_consumer_keyed(&bus, spec, Lanes::per_device(lanes), handler, s, running)
            .await
            .unwrap();
    });
    (stop, task)
}

async fn consumer_state(fx: &Fixture, durable: &str) -> (u64, usize) {
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let mut c: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(durable).await.unwrap();
    let info = c.info().await.unwrap();
    (info.num_pending, info.num_ack_pending)
}

fn note(d: &Delivery) -> String {
    d.decode::<Ping>().unwrap().note
}

/// What the handlers saw: per key, the notes in the order handled; how many ran at once.
#[derive(Default)]
struct Seen {
    order: Mutex<HashMap<String, Vec<String>>>,
    per_key_in_flight: Mutex<HashMap<String, usize>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    handled: AtomicUsize,
}

impl Seen {
    fn enter(&self, key: &str, note: &str) {
        let mut per_key = self.per_key_in_flight.lock().unwrap();
        let n = per_key.entry(key.to_owned()).or_default();
        assert_eq!(*n, 0, "two messages of key {key} handled at once");
        *n += 1;
        drop(per_key);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.order
            .lock()
            .unwrap()
            .entry(key.to_owned())
            .or_default()
            .push(note.to_owned());
    }

    fn leave(&self, key: &str) {
        *self.per_key_in_flight.lock().unwrap().get_mut(key).unwrap() -= 1;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.handled.fetch_add(1, Ordering::SeqCst);
    }

    fn order_of(&self, key: &str) -> Vec<String> {
        self.order
            .lock()
            .unwrap()
            .get(key)
            .cloned()
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_slow_key_does_not_hold_the_others_and_each_key_keeps_its_order() {
    let fx = Fixture::new().await;
    const LANES: usize = 4;
    let keys = ["a", "b", "c", "d", "e", "f"];
    // Interleaved as devices would report: a0 b0 c0 … a1 b1 c1 …
    let mut events = Vec::new();
    for i in 0..5 {
        for k in keys {
            events.push(keyed(&fx, k, &format!("{k}{i}")));
        }
    }
    publish_all(&fx, &events).await;

    let seen = Arc::new(Seen::default());
    let release_a = Arc::new(tokio::sync::Notify::new());
    let a_released = Arc::new(AtomicBool::new(false));
    let (s, r, released) = (seen.clone(), release_a.clone(), a_released.clone());
    let (stop, task) = spawn(&fx, spec(&fx, "keyed", 3, 30), LANES, move |d: Delivery| {
        let (seen, release_a, released) = (s.clone(), r.clone(), released.clone());
        async move {
            let key = bus::consume::device_key(&d.subject).to_owned();
            let note = note(&d);
            assert_eq!(d.delivered, 1, "{note} was redelivered");
            seen.enter(&key, &note);
            if note == "a0" && !released.load(Ordering::SeqCst) {
                // The slow one: holds its key until every other key is done.
                release_a.notified().await;
            } else {
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            seen.leave(&key);
            Ok(())
        }
    });

    // While a0 is still being handled, every message of the other keys is handled.
    let others = (keys.len() - 1) * 5;
    assert!(
        eventually(20, || async {
            seen.handled.load(Ordering::SeqCst) == others
        })
        .await,
        "the other keys were held behind a: {} of {others} handled",
        seen.handled.load(Ordering::SeqCst)
    );
    assert_eq!(seen.order_of("a"), vec!["a0"], "a1 must wait for a0");
    a_released.store(true, Ordering::SeqCst);
    release_a.notify_one();

    assert!(
        eventually(20, || async {
            seen.handled.load(Ordering::SeqCst) == events.len()
        })
        .await
    );
    for k in keys {
        let expected: Vec<String> = (0..5).map(|i| format!("{k}{i}")).collect();
        assert_eq!(seen.order_of(k), expected, "key {k} out of order");
    }
    assert_eq!(
        seen.max_in_flight.load(Ordering::SeqCst),
        LANES,
        "up to the lane count ran at once, never more"
    );
    // Every message acked, once: nothing pending, nothing awaiting an ack, no redelivery
    // (the handler asserts delivered == 1, so a redelivery would have failed it).
    assert!(eventually(5, || async { consumer_state(&fx, "keyed").await == (0, 0) }).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.handled.load(Ordering::SeqCst), events.len());
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_failing_message_is_retried_or_dead_lettered_on_its_own() {
    let fx = Fixture::new().await;
    let events = vec![
        keyed(&fx, "a", "a0"),
        keyed(&fx, "b", "flaky"),
        keyed(&fx, "c", "poison"),
        keyed(&fx, "a", "a1"),
        keyed(&fx, "b", "b1"),
        keyed(&fx, "c", "c1"),
    ];
    publish_all(&fx, &events).await;

    let calls: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let c = calls.clone();
    let (stop, task) = spawn(
        &fx,
        spec(&fx, "keyed-fail", 3, 30),
        4,
        move |d: Delivery| {
            let calls = c.clone();
            async move {
                let note = note(&d);
                calls.lock().unwrap().push((note.clone(), d.delivered));
                match note.as_str() {
                    "flaky" if d.delivered == 1 => Err(HandleError::Retry("not yet".into())),
                    "poison" => Err(HandleError::Retry("never".into())),
                    _ => Ok(()),
                }
            }
        },
    );

    let dead = fx.dead_letter("keyed-fail").await;
    assert_eq!(dead.deliveries, 3);
    assert!(dead.reason.contains("never"), "{}", dead.reason);
    assert_eq!(dead.payload, events[2].payload.to_vec());

    assert!(
        eventually(10, || async {
            consumer_state(&fx, "keyed-fail").await == (0, 0)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut got = calls.lock().unwrap().clone();
    got.sort();
    let mut expected: Vec<(String, u64)> = [
        ("a0", 1),
        ("a1", 1),
        ("b1", 1),
        ("c1", 1),
        ("flaky", 1),
        ("flaky", 2),
        ("poison", 1),
        ("poison", 2),
        ("poison", 3),
    ]
    .iter()
    .map(|(n, d)| ((*n).to_owned(), *d))
    .collect();
    expected.sort();
    assert_eq!(
        got, expected,
        "the failing ones redelivered, every other handled once"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn shutdown_finishes_the_messages_in_hand_and_gives_the_waiting_ones_back() {
    let fx = Fixture::new().await;
    let keys: Vec<String> = (0..8).map(|i| format!("k{i}")).collect();
    let events: Vec<_> = keys.iter().map(|k| keyed(&fx, k, k)).collect();
    publish_all(&fx, &events).await;

    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let notes: Arc<Mutex<Vec<String>>> = Arc::default();
    let handler = {
        let (started, finished, notes) = (started.clone(), finished.clone(), notes.clone());
        move |d: Delivery| {
            let (started, finished, notes) = (started.clone(), finished.clone(), notes.clone());
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(500)).await;
                notes.lock().unwrap().push(note(&d));
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
    };
    // ack_wait 30 s: whatever comes back sooner was given back, not timed out.
    let (stop, task) = spawn(&fx, spec(&fx, "keyed-stop", 3, 30), 2, handler.clone());
    assert!(eventually(10, || async { started.load(Ordering::SeqCst) == 2 }).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.cancel();
    task.await.unwrap();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        2,
        "the two in hand finished before the consumer returned, nothing else started"
    );
    assert_eq!(started.load(Ordering::SeqCst), 2);

    // The same durable again: the six given back arrive well within ack_wait.
    let (stop, task) = spawn(&fx, spec(&fx, "keyed-stop", 3, 30), 8, handler);
    assert!(
        eventually(10, || async { finished.load(Ordering::SeqCst) == 8 }).await,
        "the waiting messages were not given back: {} of 8 handled",
        finished.load(Ordering::SeqCst)
    );
    assert!(
        eventually(5, || async {
            consumer_state(&fx, "keyed-stop").await == (0, 0)
        })
        .await
    );
    let mut got = notes.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, keys, "each handled exactly once");
    stop.cancel();
    task.await.unwrap();
}
