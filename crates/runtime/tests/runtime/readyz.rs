use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use runtime::config::HttpConfig;
use runtime::http::health::{Health, NatsProbe, Readiness};
use serde_json::Value;

async fn readyz(base: &str) -> (u16, Readiness) {
    let res = reqwest::get(format!("{base}/readyz")).await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (
        status,
        serde_json::from_value(body["data"].clone()).unwrap(),
    )
}

async fn wait_for(base: &str, want: u16) -> Readiness {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, r) = readyz(base).await;
        if s == want {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "readyz stayed {s}, wanted {want}: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn readyz_follows_nats_going_away_and_coming_back() {
    let mut nats = testkit::PrivateNats::start().await;
    let client = async_nats::ConnectOptions::new()
        .max_reconnects(None)
        .reconnect_delay_callback(|_| Duration::from_millis(100))
        .connect(nats.url())
        .await
        .unwrap();
    let health = Health::default();
    health.add_dependency("nats", Arc::new(NatsProbe(client)));
    health.add_service("gateway");
    health
        .component("gateway", "started")
        .store(true, Ordering::Relaxed);
    let base = crate::serve(runtime::http::server::app(
        Router::new(),
        &health,
        &HttpConfig::default(),
    ))
    .await;

    let r = wait_for(&base, 200).await;
    assert!(r.ready && r.dependencies["nats"].ready && r.services["gateway"].ready);

    nats.stop();
    let r = wait_for(&base, 503).await;
    assert!(!r.ready);
    assert!(!r.dependencies["nats"].ready, "{r:?}");
    assert!(r.dependencies["nats"].error.is_some());

    nats.restart().await;
    let r = wait_for(&base, 200).await;
    assert!(r.dependencies["nats"].ready);
}

#[tokio::test]
async fn a_component_that_stops_makes_its_service_unready() {
    let health = Health::default();
    health.add_service("charging");
    let relay = health.component("charging", "outbox");
    let base = crate::serve(runtime::http::server::app(
        Router::new(),
        &health,
        &HttpConfig::default(),
    ))
    .await;
    let (s, r) = readyz(&base).await;
    assert_eq!(s, 503, "a component not yet running is not ready");
    assert!(!r.services["charging"].components["outbox"]);
    relay.store(true, Ordering::Relaxed);
    assert_eq!(readyz(&base).await.0, 200);
    relay.store(false, Ordering::Relaxed);
    assert_eq!(readyz(&base).await.0, 503);
    // Liveness does not depend on readiness.
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
