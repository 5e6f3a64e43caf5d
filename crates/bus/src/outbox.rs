//! The transactional outbox. A service writes its state change and an outbox row in one
//! PostgreSQL transaction ([`Outbox::enqueue`]); the [`OutboxRelay`] publishes the rows
//! in order and deletes them once the stream has stored them. Rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so any number of relays can run against one schema and no
//! row is published by two of them.
//! A crash after the publish and before the delete re-publishes the row with the same
//! `Nats-Msg-Id`, which JetStream drops within the stream's duplicate window; consumers
//! are idempotent beyond it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{BusError, EventMeta, OutgoingEvent, Publisher, SchemaName};

/// An outbox row's columns as an event fills them, in the order of [`Outbox::bind_event`].
const COLUMNS: &str =
    "event_id, subject, event_type, source, tenant, occurred_at, traceparent, payload";

/// The types of [`COLUMNS`].
const TYPES: [&str; 8] = [
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "text",
    "bytea",
];

/// `$first::uuid, $first+1::text, …` for the eight columns (`suffix` `[]`: arrays).
fn typed_params(first: usize, suffix: &str) -> String {
    TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}{suffix}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes events into a schema's outbox table.
#[derive(Clone, Copy, Debug)]
pub struct Outbox {
    schema: SchemaName,
}

impl Outbox {
    pub fn new(schema: SchemaName) -> Self {
        Self { schema }
    }

    /// Stores `event` for publishing. Call it inside the transaction that makes the
    /// change the event announces: both commit, or neither does.
    pub async fn enqueue(
        &self,
        conn: &mut PgConnection,
        event: &OutgoingEvent,
    ) -> Result<(), BusError> {
        let sql = self.schema.sql(
            "INSERT INTO {schema}.outbox (event_id, subject, event_type, source, tenant, occurred_at, traceparent, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        );
        Self::bind_event(sqlx::query(sql), event)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Stores a service's event as `pylon.<service>.<subject_tenant>.<aggregate>.<name>`
    /// with source `pylon/<service>` and `ce-tenant` = `tenant` (they differ only for
    /// events no tenant may subscribe to). Every token is checked.
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue_event<E: crate::Event>(
        &self,
        conn: &mut PgConnection,
        ns: &crate::Namespace,
        service: &str,
        subject_tenant: &str,
        tenant: &str,
        (aggregate, name): (&str, &str),
        now: chrono::DateTime<chrono::Utc>,
        event: &E,
    ) -> Result<(), BusError> {
        let ev = service_event(
            ns,
            service,
            subject_tenant,
            tenant,
            (aggregate, name),
            now,
            event,
        )?;
        self.enqueue(conn, &ev).await
    }

    /// The outbox insert as the final part of a statement whose earlier parts (CTEs)
    /// decide whether the event happens: one outbox row per row of `from`, with the
    /// event's values at parameters `$first` to `$first + 7`, bound by
    /// [`Outbox::bind_event`]. The change and its event then commit as one statement.
    pub fn insert_per_row(&self, from: &str, first: usize) -> String {
        format!(
            "INSERT INTO {}.outbox ({COLUMNS}) SELECT {} FROM {from}",
            self.schema.as_str(),
            typed_params(first, ""),
        )
    }

    /// The outbox insert of any number of events as one statement (or the final part of
    /// one): their values are eight arrays at parameters `$first` to `$first + 7`, bound
    /// by [`Outbox::bind_events`]; rows keep the events' order.
    pub fn insert_many(&self, first: usize) -> String {
        self.insert_many_from(None, first)
    }

    /// [`Outbox::insert_many`] once per row of `from` (a CTE of zero or one row that
    /// decides whether the events happen, as in [`Outbox::insert_per_row`]).
    pub fn insert_many_per_row(&self, from: &str, first: usize) -> String {
        self.insert_many_from(Some(from), first)
    }

    fn insert_many_from(&self, from: Option<&str>, first: usize) -> String {
        let from = from.map(|f| format!(", {f}")).unwrap_or_default();
        format!(
            "INSERT INTO {}.outbox ({COLUMNS}) SELECT {} \
             FROM unnest({}) WITH ORDINALITY AS e({COLUMNS}, n){from} ORDER BY e.n",
            self.schema.as_str(),
            COLUMNS
                .split(", ")
                .map(|c| format!("e.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            typed_params(first, "[]"),
        )
    }

    /// Binds `events` to the parameters of [`Outbox::insert_many`], in order.
    pub fn bind_events<'q, E: std::borrow::Borrow<OutgoingEvent>>(
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
        events: &[E],
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let events = || events.iter().map(|e| e.borrow());
        let metas = || events().map(|e| &e.meta);
        query
            .bind(metas().map(|m| m.id).collect::<Vec<Uuid>>())
            .bind(events().map(|e| e.subject.clone()).collect::<Vec<_>>())
            .bind(metas().map(|m| m.event_type.clone()).collect::<Vec<_>>())
            .bind(metas().map(|m| m.source.clone()).collect::<Vec<_>>())
            .bind(metas().map(|m| m.tenant.clone()).collect::<Vec<_>>())
            .bind(metas().map(|m| m.time).collect::<Vec<_>>())
            .bind(metas().map(|m| m.traceparent.clone()).collect::<Vec<_>>())
            .bind(
                events()
                    .map(|e| e.payload.to_vec())
                    .collect::<Vec<Vec<u8>>>(),
            )
    }

    /// Binds `event` to the parameters of [`Outbox::insert_per_row`], in order.
    pub fn bind_event<'q>(
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
        event: &'q OutgoingEvent,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let m = &event.meta;
        query
            .bind(m.id)
            .bind(&event.subject)
            .bind(&m.event_type)
            .bind(&m.source)
            .bind(&m.tenant)
            .bind(m.time)
            .bind(m.traceparent.as_deref())
            .bind(event.payload.as_ref())
    }
}

/// A service's event as [`Outbox::enqueue_event`] stores it, for a caller that writes
/// it with [`Outbox::insert_per_row`].
pub fn service_event<E: crate::Event>(
    ns: &crate::Namespace,
    service: &str,
    subject_tenant: &str,
    tenant: &str,
    (aggregate, name): (&str, &str),
    now: chrono::DateTime<chrono::Utc>,
    event: &E,
) -> Result<OutgoingEvent, BusError> {
    let token = |s: &str| crate::Token::new(s.to_owned());
    let subject = crate::subject::event_subject(
        ns,
        &token(service)?,
        &token(subject_tenant)?,
        &token(aggregate)?,
        &token(name)?,
    );
    let source = format!("pylon/{service}");
    Ok(OutgoingEvent::new(subject, &source, tenant, now, event))
}

/// Where the relay sends rows. [`Publisher`] is the real one; the trait exists so a test
/// can wrap it and inject a crash between the publish and the mark.
pub trait OutboxSink: Send + Sync {
    fn deliver(&self, event: &OutgoingEvent) -> impl Future<Output = Result<(), BusError>> + Send;

    /// Delivers `events` in order; how many from the front were delivered, and the
    /// failure that stopped the rest. One at a time unless the sink knows better.
    fn deliver_all(
        &self,
        events: Vec<OutgoingEvent>,
    ) -> impl Future<Output = (usize, Option<BusError>)> + Send {
        async move {
            for (i, event) in events.iter().enumerate() {
                if let Err(e) = self.deliver(event).await {
                    return (i, Some(e));
                }
            }
            (events.len(), None)
        }
    }
}

impl OutboxSink for Publisher {
    async fn deliver(&self, event: &OutgoingEvent) -> Result<(), BusError> {
        self.publish(event).await.map(|_| ())
    }

    /// Sends the whole batch before reading any ack ([`Publisher::send_pipelined`]: one
    /// round trip to the stream per batch, not per event — awaiting each ack in turn
    /// held a busy service's events seconds behind its commits). Acks are read in order;
    /// a failed one is retried with the same message id before the batch stops there.
    /// Rows after a stop are published again in the next round, and JetStream drops the
    /// copies it already stored.
    async fn deliver_all(&self, events: Vec<OutgoingEvent>) -> (usize, Option<BusError>) {
        let mut sent = Vec::with_capacity(events.len());
        for event in &events {
            sent.push(self.send_pipelined(event).await);
        }
        for (i, (event, sent)) in events.iter().zip(sent).enumerate() {
            if let Err(first) = self.first_ack(event, sent).await
                && let Err(e) = self.retry(event, first).await
            {
                return (i, Some(e));
            }
        }
        (events.len(), None)
    }
}

/// How the relay paces itself.
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Rows claimed per transaction.
    pub batch: i64,
    /// Sleep between polls when the outbox is empty (a [`OutboxRelay::waker`] cuts it short).
    pub idle_poll: Duration,
    /// Published rows are deleted after this long.
    pub retention: Duration,
    /// On shutdown, keep flushing for at most this long.
    pub final_flush: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            batch: 100,
            idle_poll: Duration::from_millis(200),
            retention: Duration::from_secs(24 * 3600),
            final_flush: Duration::from_secs(3),
        }
    }
}

/// Publishes a schema's outbox.
pub struct OutboxRelay<S> {
    pool: PgPool,
    schema: SchemaName,
    sink: S,
    opts: RelayOptions,
    wake: Arc<Notify>,
    running: Arc<AtomicBool>,
}

impl<S: OutboxSink> OutboxRelay<S> {
    pub fn new(pool: PgPool, schema: SchemaName, sink: S, opts: RelayOptions) -> Self {
        Self {
            pool,
            schema,
            sink,
            opts,
            wake: Arc::new(Notify::new()),
            running: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Notify it after committing an outbox row to publish without waiting for the poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// True while the relay loop runs and its last round reached the database.
    pub fn running(&self) -> Arc<AtomicBool> {
        self.running.clone()
    }

    /// Claims one batch, publishes it in order and deletes what was published. Stops at the
    /// first failure that its retries do not cure: the rows from there on wait for the
    /// next round (a pipelining sink may have stored some of them already; their copies
    /// are dropped as duplicates). Returns how many were published.
    pub async fn relay_once(&self) -> Result<usize, BusError> {
        let s = self.schema;
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(s.sql(
            "SELECT seq, event_id, subject, event_type, source, tenant, occurred_at, traceparent, payload \
             FROM {schema}.outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
        ))
        .bind(self.opts.batch)
        .fetch_all(&mut *tx)
        .await?;

        let mut seqs = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            seqs.push(row.try_get::<i64, _>("seq")?);
            events.push(OutgoingEvent {
                subject: row.try_get("subject")?,
                meta: EventMeta {
                    id: row.try_get::<Uuid, _>("event_id")?,
                    event_type: row.try_get("event_type")?,
                    source: row.try_get("source")?,
                    tenant: row.try_get("tenant")?,
                    time: row.try_get::<DateTime<Utc>, _>("occurred_at")?,
                    traceparent: row.try_get("traceparent")?,
                },
                payload: Bytes::from(row.try_get::<Vec<u8>, _>("payload")?),
            });
        }
        let (delivered, stopped) = self.sink.deliver_all(events).await;
        let published = &seqs[..delivered.min(seqs.len())];
        let failure = stopped.and_then(|e| seqs.get(delivered).map(|seq| (*seq, e)));

        if !published.is_empty() {
            // The stream keeps the event; the row has done its work. Deleting it is one
            // write, where marking it wrote a new row version into three indexes and a
            // prune deleted it a day later.
            sqlx::query(s.sql("DELETE FROM {schema}.outbox WHERE seq = ANY($1)"))
                .bind(published)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((seq, e)) = &failure {
            sqlx::query(s.sql(
                "UPDATE {schema}.outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1"
            ))
            .bind(seq)
            .bind(e.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("pylon_outbox_published_total", "schema" => s.as_str())
            .increment(published.len() as u64);
        match failure {
            Some((_, e)) if published.is_empty() => Err(e),
            _ => Ok(published.len()),
        }
    }

    /// Deletes rows marked published (before the relay deleted what it published) once
    /// older than the retention.
    pub async fn prune(&self) -> Result<u64, BusError> {
        let done = sqlx::query(self.schema.sql(
            "DELETE FROM {schema}.outbox WHERE published_at < now() - make_interval(secs => $1)",
        ))
        .bind(self.opts.retention.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Relays until `shutdown`, then flushes what is left for up to `final_flush`.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), BusError> {
        let mut backoff = Duration::from_millis(100);
        let mut last_prune = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            match self.relay_once().await {
                Ok(n) => {
                    self.running.store(true, Ordering::Relaxed);
                    backoff = Duration::from_millis(100);
                    if n as i64 >= self.opts.batch {
                        continue; // more waiting: no sleep
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(self.opts.idle_poll) => {}
                    }
                }
                Err(e) => {
                    self.running
                        .store(!matches!(e, BusError::Database(_)), Ordering::Relaxed);
                    tracing::warn!(schema = %self.schema, error = %e, "outbox relay round failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
            if last_prune.elapsed() > Duration::from_secs(60) {
                last_prune = tokio::time::Instant::now();
                if let Err(e) = self.prune().await {
                    tracing::warn!(schema = %self.schema, error = %e, "outbox prune failed");
                }
            }
        }
        self.running.store(false, Ordering::Relaxed);
        let flush = async {
            while let Ok(n) = self.relay_once().await {
                if n == 0 {
                    break;
                }
            }
        };
        if tokio::time::timeout(self.opts.final_flush, flush)
            .await
            .is_err()
        {
            tracing::warn!(schema = %self.schema, "outbox not fully flushed at shutdown; the next start publishes the rest");
        }
        Ok(())
    }
}
