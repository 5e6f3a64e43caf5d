use bus::Publisher;

use crate::{Fixture, Ping};

#[tokio::test]
async fn publish_sets_cloudevents_headers_and_payload() {
    let fx = Fixture::new().await;
    let ev = fx.ping("hello", 1234);
    let ack = Publisher::new(fx.bus.jetstream.clone())
        .publish(&ev)
        .await
        .unwrap();
    assert!(!ack.duplicate);

    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let raw = stream.get_raw_message(ack.sequence).await.unwrap();
    let h = &raw.headers;
    assert_eq!(h.get("ce-id").unwrap().as_str(), ev.meta.id.to_string());
    assert_eq!(
        h.get("Nats-Msg-Id").unwrap().as_str(),
        ev.meta.id.to_string()
    );
    assert_eq!(
        h.get("ce-type").unwrap().as_str(),
        "pylon.test.ping.pinged.v1"
    );
    assert_eq!(h.get("ce-tenant").unwrap().as_str(), "tenant1");
    assert_eq!(h.get("ce-source").unwrap().as_str(), "pylon/test");
    assert_eq!(ev.meta.id.get_version_num(), 7, "event ids are UUIDv7");
    let got = <Ping as prost::Message>::decode(raw.payload.as_ref()).unwrap();
    assert_eq!(got.amount_fen, 1234);
}

#[tokio::test]
async fn the_same_event_published_twice_is_stored_once() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let ev = fx.ping("once", 1);
    let first = publisher.publish(&ev).await.unwrap();
    let second = publisher.publish(&ev).await.unwrap();
    assert!(!first.duplicate);
    assert!(
        second.duplicate,
        "the second publish must be recognised as a duplicate"
    );
    assert_eq!(first.sequence, second.sequence);
    // A different event is stored normally.
    publisher.publish(&fx.ping("other", 2)).await.unwrap();
    assert_eq!(fx.stored().await, 2);
}

#[tokio::test]
async fn streams_are_declared_idempotently_and_updated() {
    let fx = Fixture::new().await;
    let mut spec = fx.stream.clone();
    bus::ensure_streams(&fx.bus.jetstream, &[spec.clone()])
        .await
        .unwrap();
    spec.duplicate_window = std::time::Duration::from_secs(300);
    bus::ensure_streams(&fx.bus.jetstream, &[spec.clone()])
        .await
        .unwrap();
    let mut s = fx.bus.jetstream.get_stream(&spec.name).await.unwrap();
    assert_eq!(
        s.info().await.unwrap().config.duplicate_window.as_secs(),
        300
    );
}

/// Many tasks publishing through one coalescing publisher: every event is stored once
/// and acknowledged to its own publisher, each task's events in the order it sent them;
/// core messages go through the same queue and are stored as well.
#[tokio::test]
async fn a_coalescing_publisher_stores_every_tasks_events_in_its_order() {
    const TASKS: i64 = 20;
    const EACH: i64 = 50;
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone()).coalescing();
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..TASKS {
        let (publisher, events) = (
            publisher.clone(),
            (0..EACH)
                .map(|i| fx.ping(&format!("task {t}"), t * 1000 + i))
                .collect::<Vec<_>>(),
        );
        tasks.spawn(async move {
            let mut pending = std::collections::VecDeque::new();
            for ev in events {
                pending.push_back(publisher.start(ev).await);
            }
            let mut sequences = Vec::new();
            for p in pending {
                let ack = p.await.unwrap();
                assert!(!ack.duplicate);
                sequences.push(ack.sequence);
            }
            sequences
        });
    }
    let mut all = Vec::new();
    while let Some(sequences) = tasks.join_next().await {
        let sequences = sequences.unwrap();
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "one task's events were stored out of order: {sequences:?}"
        );
        all.extend(sequences);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len() as i64, TASKS * EACH);
    assert_eq!(fx.stored().await, (TASKS * EACH) as u64);

    // Core messages: no ack, but the stream stores them; wait for them to land.
    for i in 0..10 {
        publisher
            .publish_core(fx.subject("raw"), format!("raw {i}").into_bytes().into())
            .await;
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while fx.stored().await < (TASKS * EACH + 10) as u64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "core messages not stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
