use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bus::{ConsumerSpec, Delivery, HandleError, Publisher, run_consumer};
use tokio_util::sync::CancellationToken;

use crate::{Fixture, Ping, eventually};

fn spec(fx: &Fixture, durable: &str, max_deliver: u64) -> ConsumerSpec {
    ConsumerSpec {
        stream: fx.stream.name.clone(),
        durable: durable.into(),
        filter_subject: fx.bus.namespace.subject(&["test", ">"]),
        max_deliver,
        ack_wait: Duration::from_secs(5),
        batch: 10,
    }
}

/// Runs a consumer in the background; returns its stop token and running flag.
fn spawn<H, Fut>(
    fx: &Fixture,
    spec: ConsumerSpec,
    handler: H,
) -> (
    CancellationToken,
    Arc<AtomicBool>,
    tokio::task::JoinHandle<()>,
)
where
    H: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), HandleError>> + Send,
{
    let stop = CancellationToken::new();
    let running = Arc::new(AtomicBool::new(false));
    let bus = fx.bus.bus.clone();
    let (s, r) = (stop.clone(), running.clone());
    let task = tokio::spawn(async move {
        run_consumer(&bus, spec, handler, s, r).await.unwrap();
    });
    (stop, running, task)
}

async fn consumer_state(fx: &Fixture, durable: &str) -> (u64, usize) {
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let mut c: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(durable).await.unwrap();
    let info = c.info().await.unwrap();
    (info.num_pending, info.num_ack_pending)
}

#[tokio::test]
async fn publish_consume_ack() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let sent: Vec<_> = (0..3).map(|i| fx.ping(&format!("n{i}"), i)).collect();
    for ev in &sent {
        publisher.publish(ev).await.unwrap();
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, running, task) = spawn(&fx, spec(&fx, "reader", 3), move |d: Delivery| {
        let tx = tx.clone();
        async move {
            let ping: Ping = d
                .decode()
                .map_err(|e| HandleError::Permanent(e.to_string()))?;
            tx.send((d.meta.id, ping.amount_fen, d.delivered)).unwrap();
            Ok(())
        }
    });
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert!(running.load(Ordering::Relaxed));
    let ids: Vec<_> = sent
        .iter()
        .map(|e| (e.meta.id, e.decode::<Ping>().unwrap().amount_fen, 1))
        .collect();
    assert_eq!(got, ids, "delivered in order, once each, decoded");
    // Everything is acked: nothing pending, nothing awaiting an ack.
    assert!(
        eventually(5, || async {
            consumer_state(&fx, "reader").await == (0, 0)
        })
        .await
    );
    stop.cancel();
    task.await.unwrap();
    assert!(
        !running.load(Ordering::Relaxed),
        "a stopped consumer reports not running"
    );
}

#[tokio::test]
async fn a_message_failing_max_deliver_times_goes_to_the_dead_letter_stream() {
    let fx = Fixture::new().await;
    let ev = fx.ping("poison", 7);
    Publisher::new(fx.bus.jetstream.clone())
        .publish(&ev)
        .await
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let (stop, _, task) = spawn(&fx, spec(&fx, "fragile", 3), move |_d| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Err(HandleError::Retry("downstream says no".into()))
        }
    });

    let dead = fx.dead_letter("fragile").await;
    assert_eq!(dead.deliveries, 3);
    assert_eq!(dead.consumer, "fragile");
    assert!(
        dead.reason.contains("downstream says no"),
        "{}",
        dead.reason
    );
    assert_eq!(
        dead.payload,
        ev.payload.to_vec(),
        "the original payload is kept"
    );
    assert_eq!(dead.headers.get("ce-id").unwrap(), &ev.meta.id.to_string());
    assert_eq!(dead.original_subject, ev.subject);
    // Not redelivered after that: the handler ran exactly max_deliver times.
    assert!(
        eventually(5, || async {
            consumer_state(&fx, "fragile").await == (0, 0)
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_permanent_failure_is_dead_lettered_at_once() {
    let fx = Fixture::new().await;
    // A message without CloudEvents headers cannot be an event of ours.
    fx.bus
        .jetstream
        .publish(fx.subject("raw"), "not an event".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let (stop, _, task) = spawn(&fx, spec(&fx, "strict", 5), move |_d| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let dead = fx.dead_letter("strict").await;
    assert_eq!(dead.deliveries, 1);
    assert!(dead.reason.contains("ce-id"), "{}", dead.reason);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the handler never sees a malformed event"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_redelivered_event_processed_twice_changes_state_once() {
    let fx = Fixture::new().await;
    let schema = bus::SchemaName::from_static("ledger");
    let (_db, pool) = crate::schema_db(schema).await;
    sqlx::query("CREATE TABLE ledger.balance (id INT PRIMARY KEY, fen BIGINT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO ledger.balance VALUES (1, 0)")
        .execute(&pool)
        .await
        .unwrap();
    let ev = fx.ping("top-up", 500);
    Publisher::new(fx.bus.jetstream.clone())
        .publish(&ev)
        .await
        .unwrap();

    let calls = Arc::new(AtomicU32::new(0));
    let (c, p) = (calls.clone(), pool.clone());
    let (stop, _, task) = spawn(&fx, spec(&fx, "ledger-writer", 5), move |d: Delivery| {
        let (c, pool) = (c.clone(), p.clone());
        async move {
            let n = c.fetch_add(1, Ordering::SeqCst);
            let ping: Ping = d
                .decode()
                .map_err(|e| HandleError::Permanent(e.to_string()))?;
            let mut tx = pool
                .begin()
                .await
                .map_err(|e| HandleError::Retry(e.to_string()))?;
            if bus::idempotency::claim(&mut tx, schema, "ledger-writer", d.meta.id)
                .await
                .map_err(|e| HandleError::Retry(e.to_string()))?
            {
                sqlx::query("UPDATE ledger.balance SET fen = fen + $1 WHERE id = 1")
                    .bind(ping.amount_fen)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| HandleError::Retry(e.to_string()))?;
            }
            tx.commit()
                .await
                .map_err(|e| HandleError::Retry(e.to_string()))?;
            // The first time, fail after the commit (as if the ack were lost).
            if n == 0 {
                Err(HandleError::Retry("ack lost".into()))
            } else {
                Ok(())
            }
        }
    });
    assert!(
        eventually(15, || async { calls.load(Ordering::SeqCst) >= 2 }).await,
        "was not redelivered"
    );
    assert!(
        eventually(5, || async {
            consumer_state(&fx, "ledger-writer").await == (0, 0)
        })
        .await
    );
    let fen: i64 = sqlx::query_scalar("SELECT fen FROM ledger.balance WHERE id = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(fen, 500, "processed twice, applied once");
    stop.cancel();
    task.await.unwrap();
}
