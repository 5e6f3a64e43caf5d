use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bus::{
    BusError, Outbox, OutboxRelay, OutboxSink, OutgoingEvent, Publisher, RelayOptions, SchemaName,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{Fixture, eventually};

const SCHEMA: SchemaName = SchemaName::from_static("svc");

async fn outbox_db() -> (testkit::TestDatabase, PgPool) {
    crate::schema_db(SCHEMA).await
}

/// Commits `events` to the outbox, each in its own business transaction.
async fn commit(pool: &PgPool, events: &[OutgoingEvent]) {
    for ev in events {
        let mut tx = pool.begin().await.unwrap();
        Outbox::new(SCHEMA).enqueue(&mut tx, ev).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn unpublished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM svc.outbox WHERE published_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A relay of the test schema that publishes to the fixture's stream.
fn publishing_relay(fx: &Fixture, pool: &PgPool) -> OutboxRelay<Publisher> {
    OutboxRelay::new(
        pool.clone(),
        SCHEMA,
        Publisher::new(fx.bus.jetstream.clone()),
        opts(),
    )
}

fn opts() -> RelayOptions {
    RelayOptions {
        batch: 50,
        idle_poll: Duration::from_millis(20),
        ..Default::default()
    }
}

/// Publishes for real, then fails as if the relay died before marking the row.
struct CrashAfterPublish(Publisher);

impl OutboxSink for CrashAfterPublish {
    async fn deliver(&self, event: &OutgoingEvent) -> Result<(), BusError> {
        self.0.publish(event).await?;
        Err(BusError::MissingHeader("injected crash after publish"))
    }
}

/// Never finishes a publish: the relay is killed while holding its claim.
struct Hang;

impl OutboxSink for Hang {
    async fn deliver(&self, _: &OutgoingEvent) -> Result<(), BusError> {
        std::future::pending().await
    }
}

/// Records every event id it is asked to publish, then publishes.
struct Recording(Publisher, Arc<Mutex<Vec<uuid::Uuid>>>);

impl OutboxSink for Recording {
    async fn deliver(&self, event: &OutgoingEvent) -> Result<(), BusError> {
        self.1.lock().unwrap().push(event.meta.id);
        self.0.publish(event).await.map(|_| ())
    }
}

#[tokio::test]
async fn relay_killed_after_commit_before_publish_publishes_once_on_restart() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let ev = fx.ping("order paid", 990);
    commit(&pool, std::slice::from_ref(&ev)).await;

    // A relay claims the row and dies before it publishes.
    let dying = OutboxRelay::new(pool.clone(), SCHEMA, Hang, opts());
    let task = tokio::spawn(async move { dying.relay_once().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let _ = task.await;
    assert_eq!(fx.stored().await, 0, "nothing published yet");
    assert_eq!(
        unpublished(&pool).await,
        1,
        "the row survives the dead relay"
    );

    // The restarted relay publishes it, once.
    let relay = publishing_relay(&fx, &pool);
    let stop = CancellationToken::new();
    let run = tokio::spawn(relay.run(stop.clone()));
    assert!(eventually(10, || async { unpublished(&pool).await == 0 }).await);
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(fx.stored().await, 1);
}

#[tokio::test]
async fn relay_crashing_between_publish_and_mark_does_not_double_the_event() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let events: Vec<_> = (0..3).map(|i| fx.ping(&format!("e{i}"), i)).collect();
    commit(&pool, &events).await;

    let crashing = OutboxRelay::new(
        pool.clone(),
        SCHEMA,
        CrashAfterPublish(Publisher::new(fx.bus.jetstream.clone())),
        opts(),
    );
    assert!(crashing.relay_once().await.is_err());
    assert_eq!(fx.stored().await, 1, "the first event reached the stream");
    assert_eq!(unpublished(&pool).await, 3, "but no row was marked");
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM svc.outbox ORDER BY seq LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 1);

    let relay = publishing_relay(&fx, &pool);
    assert_eq!(relay.relay_once().await.unwrap(), 3);
    assert_eq!(unpublished(&pool).await, 0);
    assert_eq!(
        fx.stored().await,
        3,
        "the re-sent first event was deduplicated"
    );

    // And in outbox order.
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    for (i, ev) in events.iter().enumerate() {
        let raw = stream.get_raw_message(i as u64 + 1).await.unwrap();
        assert_eq!(
            raw.headers.get("ce-id").unwrap().as_str(),
            ev.meta.id.to_string()
        );
    }
}

#[tokio::test]
async fn two_relays_in_parallel_never_publish_one_row_twice() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let n = 400;
    let events: Vec<_> = (0..n).map(|i| fx.ping(&format!("p{i}"), i)).collect();
    commit(&pool, &events).await;

    let seen = Arc::new(Mutex::new(Vec::new()));
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let relay = OutboxRelay::new(
            pool.clone(),
            SCHEMA,
            Recording(Publisher::new(fx.bus.jetstream.clone()), seen.clone()),
            RelayOptions {
                batch: 10,
                ..opts()
            },
        );
        tasks.push(tokio::spawn(relay.run(stop.clone())));
    }
    assert!(eventually(60, || async { unpublished(&pool).await == 0 }).await);
    stop.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!(
        seen.len(),
        n as usize,
        "every row was handed to exactly one relay once"
    );
    assert_eq!(distinct.len(), n as usize);
    assert_eq!(fx.stored().await, n as u64);
}

#[tokio::test]
async fn a_rolled_back_transaction_publishes_nothing() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let mut tx = pool.begin().await.unwrap();
    Outbox::new(SCHEMA)
        .enqueue(&mut tx, &fx.ping("never", 1))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let relay = publishing_relay(&fx, &pool);
    assert_eq!(relay.relay_once().await.unwrap(), 0);
    assert_eq!(fx.stored().await, 0);
}

#[tokio::test]
async fn shutdown_flushes_what_is_pending() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let events: Vec<_> = (0..5).map(|i| fx.ping(&format!("late{i}"), i)).collect();
    commit(&pool, &events).await;
    let relay = publishing_relay(&fx, &pool);
    // Cancelled before it starts: the only chance to publish is the final flush.
    let stop = CancellationToken::new();
    stop.cancel();
    relay.run(stop).await.unwrap();
    assert_eq!(unpublished(&pool).await, 0);
    assert_eq!(fx.stored().await, 5);
}

#[tokio::test]
async fn an_event_written_in_the_statement_of_its_change_exists_only_if_the_change_happened() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    sqlx::query("CREATE TABLE svc.doors (id INT PRIMARY KEY, state TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO svc.doors VALUES (1, 'closed')")
        .execute(&pool)
        .await
        .unwrap();
    let outbox = Outbox::new(SCHEMA);
    // Open door 1 if it is closed; the event goes with the change.
    let open = format!(
        "WITH moved AS (UPDATE svc.doors SET state = 'open' WHERE id = 1 AND state = $1 RETURNING id) {}",
        outbox.insert_per_row("moved", 2)
    );
    let first = fx.ping("opened", 1);
    let done = Outbox::bind_event(
        sqlx::query(sqlx::AssertSqlSafe(open.clone())).bind("closed"),
        &first,
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
    // The same statement once the door is open: no change, no event.
    let second = fx.ping("opened again", 2);
    let done = Outbox::bind_event(
        sqlx::query(sqlx::AssertSqlSafe(open)).bind("closed"),
        &second,
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 0);
    assert_eq!(unpublished(&pool).await, 1);

    let relay = publishing_relay(&fx, &pool);
    assert_eq!(relay.relay_once().await.unwrap(), 1);
    assert_eq!(fx.stored().await, 1);
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let raw = stream.get_raw_message(1).await.unwrap();
    let ping = <crate::Ping as prost::Message>::decode(raw.payload.as_ref()).unwrap();
    assert_eq!(ping.note, "opened");
}

#[tokio::test]
async fn several_events_written_by_one_statement_are_relayed_in_their_order() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let outbox = Outbox::new(SCHEMA);
    let events = [
        fx.ping("first", 1),
        fx.ping("second", 2),
        fx.ping("third", 3),
    ];
    let done = Outbox::bind_events(
        sqlx::query(sqlx::AssertSqlSafe(outbox.insert_many(1))),
        &events,
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 3);

    let relay = publishing_relay(&fx, &pool);
    assert_eq!(relay.relay_once().await.unwrap(), 3);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM svc.outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "what the stream stored leaves the outbox");
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    for (seq, note) in [(1, "first"), (2, "second"), (3, "third")] {
        let raw = stream.get_raw_message(seq).await.unwrap();
        let ping = <crate::Ping as prost::Message>::decode(raw.payload.as_ref()).unwrap();
        assert_eq!(ping.note, note, "stream message {seq}");
        assert_eq!(
            raw.headers.get("ce-id").unwrap().as_str(),
            events[seq as usize - 1].meta.id.to_string(),
            "event ids kept"
        );
    }
}

#[tokio::test]
async fn a_row_the_stream_refuses_stops_its_batch_there_and_the_rows_after_it_are_not_doubled() {
    let fx = Fixture::new().await;
    let (_db, pool) = outbox_db().await;
    let mut refused = fx.ping("nobody stores this", 2);
    refused.subject = format!("{}.nowhere.pinged", fx.bus.namespace.name("unstreamed"));
    commit(&pool, &[fx.ping("before", 1), refused, fx.ping("after", 3)]).await;

    // The batch is sent as a whole: "after" may reach the stream before the round
    // stops at the refused row, but only "before" is marked.
    let relay = publishing_relay(&fx, &pool);
    assert_eq!(relay.relay_once().await.unwrap(), 1);
    assert_eq!(unpublished(&pool).await, 2);
    let (attempts, error): (i32, Option<String>) = sqlx::query_as(
        "SELECT attempts, last_error FROM svc.outbox WHERE published_at IS NULL ORDER BY seq LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(
        error.as_deref().is_some_and(|e| e.contains("nowhere")),
        "the error names the refused subject: {error:?}"
    );

    // An operator removes the row no stream takes; the next round publishes the rest
    // and the stream holds each event once.
    sqlx::query("DELETE FROM svc.outbox WHERE subject LIKE '%nowhere%'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(relay.relay_once().await.unwrap(), 1);
    assert_eq!(unpublished(&pool).await, 0);
    assert_eq!(fx.stored().await, 2);
}
