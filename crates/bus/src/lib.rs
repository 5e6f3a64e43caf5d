//! Pylon's event bus over NATS JetStream.
//!
//! - [`streams`]: the platform's streams, declared idempotently.
//! - [`event`] and [`publish`]: typed protobuf events with CloudEvents headers,
//!   `traceparent` and `Nats-Msg-Id` (so a re-publish is deduplicated by the server).
//! - [`consume`]: durable pull consumers with explicit ack after the effect commits,
//!   bounded redelivery, then a dead letter carrying the reason.
//! - [`idempotency`]: the processed-event table that makes redelivery harmless.
//! - [`outbox`]: the transactional outbox and its relay (`FOR UPDATE SKIP LOCKED`).
//! - [`kv`]: KV buckets that also open on nats-server 2.9.
//!
//! Everything is named through a [`Namespace`], so tests (and several installations on
//! one NATS) never see each other's subjects, streams or consumers.

pub mod catalog;
pub mod consume;
pub mod error;
pub mod event;
pub mod idempotency;
pub mod kv;
pub mod outbox;
pub mod publish;
pub mod schema;
pub mod streams;
pub mod subject;

pub use consume::{ConsumerSpec, Delivery, HandleError, run_consumer};
pub use error::BusError;
pub use event::{Event, EventMeta, OutgoingEvent};
pub use outbox::{Outbox, OutboxRelay, OutboxSink, RelayOptions};
pub use publish::{ACK_TIMEOUT, AckError, InFlight, PublishAck, Publisher};
pub use schema::SchemaName;
pub use streams::{StreamSpec, ensure_streams, platform_streams};
pub use subject::{Namespace, Token};

/// The connection to NATS as the bus uses it: the core client (requests, KV), the
/// JetStream context and the namespace everything is named in.
#[derive(Clone, Debug)]
pub struct Bus {
    pub client: async_nats::Client,
    pub jetstream: async_nats::jetstream::Context,
    pub namespace: Namespace,
}

impl Bus {
    pub fn new(client: async_nats::Client, namespace: Namespace) -> Self {
        let jetstream = async_nats::jetstream::new(client.clone());
        Self {
            client,
            jetstream,
            namespace,
        }
    }

    /// Whether the client is connected right now (used by readiness checks).
    pub fn is_connected(&self) -> bool {
        matches!(
            self.client.connection_state(),
            async_nats::connection::State::Connected
        )
    }
}
