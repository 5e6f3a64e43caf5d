//! The bus against the real NATS JetStream and PostgreSQL of the local stack. Every test
//! works in its own namespace (and database), so they run in parallel.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batched;
mod consume;
mod lanes;
mod outbox;
mod publish;

use std::time::Duration;

use bus::{Event, OutgoingEvent, StreamSpec};

/// The event the tests send.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ping {
    #[prost(string, tag = "1")]
    pub note: String,
    #[prost(int64, tag = "2")]
    pub amount_fen: i64,
}

impl Event for Ping {
    const TYPE: &'static str = "pylon.test.ping.pinged.v1";
}

/// A test's bus: a fresh namespace, its `test` stream and its dead-letter stream.
pub struct Fixture {
    pub bus: testkit::TestBus,
    pub stream: StreamSpec,
}

impl Fixture {
    pub async fn new() -> Self {
        let bus = testkit::bus().await;
        let ns = &bus.namespace;
        let stream = StreamSpec {
            name: ns.name("PYLON_TEST"),
            subjects: vec![ns.subject(&["test", ">"])],
            max_age: Duration::from_secs(3600),
            duplicate_window: Duration::from_secs(120),
        };
        let mut specs =
            bus::platform_streams(ns, Duration::from_secs(120), Duration::from_secs(30));
        specs.retain(|s| s.name.ends_with("PYLON_DEADLETTER"));
        specs.push(stream.clone());
        bus::ensure_streams(&bus.jetstream, &specs).await.unwrap();
        Self { bus, stream }
    }

    pub fn subject(&self, event: &str) -> String {
        self.bus
            .namespace
            .subject(&["test", "tenant1", "ping", event])
    }

    pub fn ping(&self, note: &str, amount_fen: i64) -> OutgoingEvent {
        OutgoingEvent::new(
            self.subject("pinged"),
            "pylon/test",
            "tenant1",
            chrono::Utc::now(),
            &Ping {
                note: note.into(),
                amount_fen,
            },
        )
    }

    /// The dead letter `durable` wrote last, waited for up to 10 s.
    pub async fn dead_letter(&self, durable: &str) -> proto::events::DeadLettered {
        let stream = self.bus.namespace.name("PYLON_DEADLETTER");
        let subject = self.bus.namespace.subject(&["dlq", durable]);
        let last = || async {
            self.bus
                .jetstream
                .get_stream(&stream)
                .await
                .unwrap()
                .get_last_raw_message_by_subject(&subject)
                .await
                .ok()
        };
        for _ in 0..200 {
            if let Some(raw) = last().await {
                return prost::Message::decode(raw.payload.as_ref()).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no dead letter from {durable}");
    }

    /// How many messages the test stream holds.
    pub async fn stored(&self) -> u64 {
        let mut s = self
            .bus
            .jetstream
            .get_stream(&self.stream.name)
            .await
            .unwrap();
        s.info().await.unwrap().state.messages
    }
}

/// A fresh database whose schema `schema` holds the bus tables (as a service's would).
pub async fn schema_db(schema: bus::SchemaName) -> (testkit::TestDatabase, sqlx::PgPool) {
    use sqlx::Connection;
    let db = testkit::TestDatabase::create().await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query(schema.sql("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(schema.sql("SET search_path TO {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    bus::schema::with_bus_tables(None)
        .run(&mut conn)
        .await
        .unwrap();
    let pool = db.pool().await;
    (db, pool)
}

/// Polls `f` until it is true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
