//! The platform's JetStream streams (DESIGN §4), declared idempotently at start-up.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::{BusError, Namespace};

/// What a stream holds and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: String,
    pub subjects: Vec<String>,
    pub max_age: Duration,
    /// Window in which a re-published `Nats-Msg-Id` is dropped. It must outlast the
    /// longest outage after which an outbox relay re-sends what it had already sent.
    pub duplicate_window: Duration,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Every stream of DESIGN §4 plus the dead-letter stream, in `ns`.
pub fn platform_streams(ns: &Namespace, duplicate_window: Duration) -> Vec<StreamSpec> {
    let owned = [
        ("PYLON_DEVICE", "device", 7 * DAY),
        ("PYLON_IDENTITY", "identity", 30 * DAY),
        ("PYLON_CHARGING", "charging", 30 * DAY),
        ("PYLON_BILLING", "billing", 30 * DAY),
        ("PYLON_PAYMENT", "payment", 30 * DAY),
        ("PYLON_NOTIFICATION", "notification", 30 * DAY),
        // Raw device frames, for debugging and third parties: short retention.
        ("PYLON_RAW", "raw", DAY),
        // Messages consumers gave up on, kept for inspection and replay.
        ("PYLON_DEADLETTER", "dlq", 30 * DAY),
    ];
    owned
        .into_iter()
        .map(|(name, token, max_age)| StreamSpec {
            name: ns.name(name),
            subjects: vec![stream_subject(ns, token)],
            max_age,
            duplicate_window,
        })
        .collect()
}

/// Events are exactly `pylon.<service>.<tenant>.<aggregate>.<event>` (device events
/// `pylon.device.<tenant>.<device>.<kind>`): five tokens. The streams take only those, so
/// core request/reply subjects such as `pylon.charging.card.authorize` (four tokens) are
/// not swallowed by a stream, whose ack would answer the request. Raw frames
/// (`pylon.raw.<protocol>.<device>`) and dead letters (`pylon.dlq.<consumer>`) have their
/// own shapes and take everything below their prefix.
fn stream_subject(ns: &Namespace, token: &str) -> String {
    match token {
        "raw" | "dlq" => ns.subject(&[token, ">"]),
        _ => ns.subject(&[token, "*", "*", "*"]),
    }
}

/// Creates each stream, or brings an existing one's subjects, retention and duplicate
/// window to the spec. Safe to run from every process at every start.
pub async fn ensure_streams(js: &jetstream::Context, specs: &[StreamSpec]) -> Result<(), BusError> {
    for spec in specs {
        let config = stream::Config {
            name: spec.name.clone(),
            subjects: spec.subjects.clone(),
            max_age: spec.max_age,
            duplicate_window: spec.duplicate_window,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let err = |e: Box<dyn std::error::Error + Send + Sync>| BusError::DeclareStream {
            stream: spec.name.clone(),
            source: e,
        };
        let mut existing = js
            .get_or_create_stream(config.clone())
            .await
            .map_err(|e| err(Box::new(e)))?;
        let info = existing.info().await.map_err(|e| err(Box::new(e)))?;
        let current = &info.config;
        if current.subjects != config.subjects
            || current.max_age != config.max_age
            || current.duplicate_window != config.duplicate_window
        {
            js.update_stream(config)
                .await
                .map_err(|e| err(Box::new(e)))?;
        }
    }
    Ok(())
}
