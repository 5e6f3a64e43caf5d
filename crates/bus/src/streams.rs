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
///
/// `duplicate_window` is for the streams that outbox relays feed (a relay re-sends what
/// it sent before an outage: minutes). `device_window` is for the gateways' streams,
/// `PYLON_DEVICE` and `PYLON_RAW`: a gateway re-sends a device event only when its
/// acknowledgement did not come within [`crate::ACK_TIMEOUT`] ([`crate::Publisher`]
/// retries), and JetStream keeps every id of the window in memory and marks them in
/// every collection of the NATS server's heap, which stalls its clients meanwhile: at
/// 20,000 events/s a 600 s window
/// was over a GB and stalled ingest, a 30 s window still doubled the frame-to-event p99
/// against a 1 s one (docs/benchmarks.md, "Device gateway", "Eleventh machine",
/// "Twelfth machine"). A window of a few seconds past the first retry is enough: a
/// repeat after it needs an ack lost for longer, and reaches the consumers, which are
/// idempotent.
pub fn platform_streams(
    ns: &Namespace,
    duplicate_window: Duration,
    device_window: Duration,
) -> Vec<StreamSpec> {
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
            duplicate_window: match token {
                "device" | "raw" => device_window,
                _ => duplicate_window,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateways_streams_take_the_device_window_and_the_rest_the_relays_window() {
        let ns = Namespace::new("t1").unwrap();
        let specs = platform_streams(&ns, Duration::from_secs(600), Duration::from_secs(30));
        let window = |name: &str| {
            specs
                .iter()
                .find(|s| s.name == ns.name(name))
                .map(|s| s.duplicate_window.as_secs())
        };
        assert_eq!(window("PYLON_DEVICE"), Some(30));
        assert_eq!(window("PYLON_RAW"), Some(30));
        for relayed in [
            "PYLON_IDENTITY",
            "PYLON_CHARGING",
            "PYLON_BILLING",
            "PYLON_PAYMENT",
            "PYLON_NOTIFICATION",
            "PYLON_DEADLETTER",
        ] {
            assert_eq!(window(relayed), Some(600), "{relayed}");
        }
    }
}
