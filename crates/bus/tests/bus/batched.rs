//! `run_consumer_batched`: what is pending arrives in batches of at most `spec.batch`,
//! in stream order; each message is acked, retried or dead-lettered by its own result.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus::consume::run_consumer_batched;
use bus::{ConsumerSpec, Delivery, HandleError, Publisher};
use tokio_util::sync::CancellationToken;

use crate::{Fixture, Ping, eventually};

fn spec(fx: &Fixture, durable: &str) -> ConsumerSpec {
    ConsumerSpec {
        stream: fx.stream.name.clone(),
        durable: durable.into(),
        filter_subject: fx.bus.namespace.subject(&["test", ">"]),
        max_deliver: 3,
        ack_wait: Duration::from_secs(30),
        batch: 10,
    }
}

fn note(d: &Delivery) -> String {
    d.decode::<Ping>().unwrap().note
}

async fn consumer_state(fx: &Fixture, durable: &str) -> (u64, usize) {
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let mut c: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(durable).await.unwrap();
    let info = c.info().await.unwrap();
    (info.num_pending, info.num_ack_pending)
}

/// Every batch the handler got, as (note, delivery count) lists.
type Batches = Arc<Mutex<Vec<Vec<(String, u64)>>>>;

fn spawn(
    fx: &Fixture,
    spec: ConsumerSpec,
    batches: Batches,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    spawn_lingering(fx, spec, batches, Duration::ZERO)
}

fn spawn_lingering(
    fx: &Fixture,
    spec: ConsumerSpec,
    batches: Batches,
    linger: Duration,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let bus = fx.bus.bus.clone();
    let s = stop.clone();
    let task = tokio::spawn(async move {
        let handler = move |ds: Vec<Delivery>| {
            let batches = batches.clone();
            async move {
                let seen: Vec<(String, u64)> = ds.iter().map(|d| (note(d), d.delivered)).collect();
                batches.lock().unwrap().push(seen.clone());
                seen.iter()
                    .map(|(n, delivered)| match n.as_str() {
                        "flaky" if *delivered == 1 => Err(HandleError::Retry("not yet".into())),
                        "poison" => Err(HandleError::Permanent("cannot be read".into())),
                        _ => Ok(()),
                    })
                    .collect()
            }
        };
        run_consumer_batched(
            &bus,
            spec,
            handler,
            linger,
            s,
            Arc::new(AtomicBool::new(false)),
        )
        .await
        .unwrap();
    });
    (stop, task)
}

#[tokio::test]
async fn pending_messages_arrive_in_ordered_batches_and_each_is_acked_once() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let notes: Vec<String> = (0..25).map(|i| format!("n{i:02}")).collect();
    for n in &notes {
        publisher.publish(&fx.ping(n, 0)).await.unwrap();
    }

    let batches: Batches = Arc::default();
    let (stop, task) = spawn(&fx, spec(&fx, "batched"), batches.clone());
    assert!(
        eventually(10, || async {
            batches.lock().unwrap().iter().map(Vec::len).sum::<usize>() == notes.len()
        })
        .await
    );
    assert!(
        eventually(5, || async {
            consumer_state(&fx, "batched").await == (0, 0)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let got = batches.lock().unwrap().clone();
    assert!(
        got.iter().all(|b| !b.is_empty() && b.len() <= 10),
        "batches of 1 to spec.batch: {got:?}"
    );
    assert!(
        got.len() < notes.len(),
        "pending messages came together, not one by one: {} batches",
        got.len()
    );
    let flat: Vec<String> = got.iter().flatten().map(|(n, _)| n.clone()).collect();
    assert_eq!(flat, notes, "every message once, in stream order");
    assert!(
        got.iter().flatten().all(|(_, d)| *d == 1),
        "nothing redelivered"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn each_message_of_a_batch_gets_its_own_outcome() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let notes = ["a", "flaky", "poison", "b"];
    for n in notes {
        publisher.publish(&fx.ping(n, 0)).await.unwrap();
    }

    let batches: Batches = Arc::default();
    let (stop, task) = spawn(&fx, spec(&fx, "batched-fail"), batches.clone());

    let dead = fx.dead_letter("batched-fail").await;
    assert_eq!(dead.deliveries, 1, "a permanent failure is not retried");
    assert!(dead.reason.contains("cannot be read"), "{}", dead.reason);

    assert!(
        eventually(10, || async {
            consumer_state(&fx, "batched-fail").await == (0, 0)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut got: Vec<(String, u64)> = batches.lock().unwrap().iter().flatten().cloned().collect();
    got.sort();
    let mut expected: Vec<(String, u64)> = [
        ("a", 1),
        ("b", 1),
        ("flaky", 1),
        ("flaky", 2),
        ("poison", 1),
    ]
    .iter()
    .map(|(n, d)| ((*n).to_owned(), *d))
    .collect();
    expected.sort();
    assert_eq!(
        got, expected,
        "only the retried one came back; its neighbours were acked the first time"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_batch_claim_returns_only_the_events_not_yet_processed() {
    let schema = bus::SchemaName::from_static("claims");
    let (_db, pool) = crate::schema_db(schema).await;
    let ids: Vec<uuid::Uuid> = (0..4).map(|_| uuid::Uuid::now_v7()).collect();
    let mut conn = pool.acquire().await.unwrap();

    let first = bus::idempotency::claim_many(&mut conn, schema, "c", &ids[..2])
        .await
        .unwrap();
    assert_eq!(first, ids[..2].iter().copied().collect());
    // Two old, two new, one of them given twice: only the new ones, once each.
    let again = [ids[0], ids[2], ids[1], ids[3], ids[2]];
    let second = bus::idempotency::claim_many(&mut conn, schema, "c", &again)
        .await
        .unwrap();
    assert_eq!(second, ids[2..].iter().copied().collect());
    // Another consumer has claimed none of them.
    let other = bus::idempotency::claim_many(&mut conn, schema, "d", &ids)
        .await
        .unwrap();
    assert_eq!(other.len(), 4);
}

#[tokio::test]
async fn a_lingering_consumer_gathers_what_arrives_after_a_small_batch_into_one() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let batches: Batches = Arc::default();
    let (stop, task) = spawn_lingering(
        &fx,
        spec(&fx, "lingering"),
        batches.clone(),
        Duration::from_secs(2),
    );
    publisher.publish(&fx.ping("first", 0)).await.unwrap();
    assert!(eventually(10, || async { batches.lock().unwrap().len() == 1 }).await);
    // Published one by one while the consumer waits after its batch of one.
    for n in ["a", "b", "c", "d"] {
        publisher.publish(&fx.ping(n, 0)).await.unwrap();
    }
    assert!(eventually(10, || async { batches.lock().unwrap().len() == 2 }).await);
    let got = batches.lock().unwrap().clone();
    let second: Vec<&str> = got[1].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(second, ["a", "b", "c", "d"], "one batch: {got:?}");
    stop.cancel();
    task.await.unwrap();
}
