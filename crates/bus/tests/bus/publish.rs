use bus::{InFlight, Publisher};

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

/// Many tasks publishing through one coalescing publisher: every event is stored once,
/// each task's events in the order it sent them, and a task's count of unsettled events
/// comes back to zero; core messages go through the same queue and are stored as well.
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
            let in_flight = InFlight::new();
            for ev in events {
                // A window of 8, as a device connection keeps one.
                in_flight.at_most(7).await;
                publisher.dispatch(ev, &in_flight).await;
            }
            in_flight.settled().await;
            assert!(in_flight.is_empty());
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // Settled means stored: no waiting for the stream here.
    assert_eq!(fx.stored().await, (TASKS * EACH) as u64);
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    let mut next = vec![0i64; TASKS as usize];
    for seq in 1..=(TASKS * EACH) as u64 {
        let raw = stream.get_raw_message(seq).await.unwrap();
        let ping = <Ping as prost::Message>::decode(raw.payload.as_ref()).unwrap();
        let (task, i) = (ping.amount_fen / 1000, ping.amount_fen % 1000);
        assert_eq!(
            i, next[task as usize],
            "task {task}'s events stored out of order or twice"
        );
        next[task as usize] += 1;
    }
    assert!(next.iter().all(|n| *n == EACH));

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

/// The coalescing publisher reads its acks itself: a duplicate is stored once, and a
/// subject that no stream takes is recognised at once (JetStream's "no responders"),
/// retried and given up within the retries' pauses instead of waiting out the ack
/// timeout, without a message stored.
#[tokio::test]
async fn a_coalescing_publisher_settles_duplicates_and_subjects_no_stream_takes() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone()).coalescing();
    let in_flight = InFlight::new();
    let ev = fx.ping("once", 1);
    publisher.dispatch(ev.clone(), &in_flight).await;
    publisher.dispatch(ev, &in_flight).await;
    in_flight.settled().await;
    assert_eq!(fx.stored().await, 1);

    let mut stray = fx.ping("stray", 2);
    stray.subject = fx.bus.namespace.subject(&["elsewhere", "nowhere"]);
    let started = std::time::Instant::now();
    publisher.dispatch(stray, &in_flight).await;
    assert_eq!(in_flight.len(), 1);
    in_flight.settled().await;
    assert!(
        started.elapsed() < bus::ACK_TIMEOUT,
        "waited out the ack timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(fx.stored().await, 1);
}

/// Without coalescing, `dispatch` sends in the caller's order and settles each event
/// once its ack came: settled means stored, in order.
#[tokio::test]
async fn dispatch_without_coalescing_stores_in_order_and_settles() {
    let fx = Fixture::new().await;
    let publisher = Publisher::new(fx.bus.jetstream.clone());
    let in_flight = InFlight::new();
    for i in 0..20 {
        in_flight.at_most(3).await;
        publisher.dispatch(fx.ping("plain", i), &in_flight).await;
    }
    in_flight.settled().await;
    assert_eq!(fx.stored().await, 20);
    let stream = fx.bus.jetstream.get_stream(&fx.stream.name).await.unwrap();
    for seq in 1..=20u64 {
        let raw = stream.get_raw_message(seq).await.unwrap();
        let ping = <Ping as prost::Message>::decode(raw.payload.as_ref()).unwrap();
        assert_eq!(ping.amount_fen, seq as i64 - 1);
    }
}
