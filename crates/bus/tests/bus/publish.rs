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
