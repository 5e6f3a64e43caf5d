use std::time::Duration;

use proto::pylon::charging::v1::charging_service_client::ChargingServiceClient;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::Env;

const ALL: [&str; 7] = [
    "analytics",
    "billing",
    "charging",
    "gateway",
    "identity",
    "notification",
    "payment",
];

#[tokio::test]
async fn run_all_serves_every_service_and_stops_cleanly_on_sigterm() {
    let env = Env::new().await;
    assert!(env.output(&["migrate"]).status.success());
    let mut pylon = env.spawn(&["run", "all"]);
    let ready = env.wait_ready().await;

    let services: Vec<&str> = ready["services"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(services, ALL);
    for s in ALL {
        assert_eq!(ready["services"][s]["ready"], true, "{s}: {ready}");
    }
    for d in ["nats", "postgres", "clickhouse"] {
        assert_eq!(ready["dependencies"][d]["ready"], true, "{d}: {ready}");
    }

    // REST of a service, and the gRPC API with health per service.
    let info: serde_json::Value = reqwest::get(format!("{}/api/v1/billing/info", env.base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["data"]["service"], "billing");
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", env.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    for s in ALL {
        let mut name = format!("pylon.{s}.v1.");
        name.push_str(&s[..1].to_uppercase());
        name.push_str(&s[1..]);
        name.push_str("Service");
        let status = health
            .check(HealthCheckRequest {
                service: name.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{name}");
    }
    let got = ChargingServiceClient::new(channel)
        .get_info(proto::common::GetInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.service, "charging");
    assert_eq!(
        got.instance,
        info["data"]["instance"].as_str().unwrap(),
        "one process, one instance id"
    );

    // The streams of DESIGN §4 exist in this namespace.
    let js = async_nats::jetstream::new(async_nats::connect(testkit::nats_url()).await.unwrap());
    for s in ["PYLON_DEVICE", "PYLON_CHARGING", "PYLON_DEADLETTER"] {
        let name = format!("{}_{s}", env.namespace.to_uppercase());
        js.get_stream(&name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    let (status, took, stderr) = pylon.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    for s in [
        "PYLON_DEVICE",
        "PYLON_IDENTITY",
        "PYLON_CHARGING",
        "PYLON_BILLING",
        "PYLON_PAYMENT",
        "PYLON_NOTIFICATION",
        "PYLON_RAW",
        "PYLON_DEADLETTER",
    ] {
        let _ = js
            .delete_stream(format!("{}_{s}", env.namespace.to_uppercase()))
            .await;
    }
}

#[tokio::test]
async fn run_gateway_alone_needs_only_nats() {
    let env = Env::new().await;
    // No migration, and a database URL that leads nowhere: the gateway must not care.
    let mut pylon = {
        let mut c = env.command(&["run", "gateway"]);
        c.env("PYLON_DATABASE__URL", "postgres://nobody@127.0.0.1:1/none")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        crate::Running::from(c.spawn().unwrap())
    };
    let ready = env.wait_ready().await;
    let services: Vec<&str> = ready["services"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(services, ["gateway"]);
    let deps: Vec<&str> = ready["dependencies"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(deps, ["nats"]);
    // Other services' routes are not served here.
    let res = reqwest::get(format!("{}/api/v1/billing/info", env.base()))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (status, _, stderr) = pylon.terminate();
    assert!(status.success(), "{stderr}");
    let js = async_nats::jetstream::new(async_nats::connect(testkit::nats_url()).await.unwrap());
    let prefix = format!("{}_", env.namespace.to_uppercase());
    for s in [
        "PYLON_DEVICE",
        "PYLON_IDENTITY",
        "PYLON_CHARGING",
        "PYLON_BILLING",
        "PYLON_PAYMENT",
        "PYLON_NOTIFICATION",
        "PYLON_RAW",
        "PYLON_DEADLETTER",
    ] {
        let _ = js.delete_stream(format!("{prefix}{s}")).await;
    }
}

#[tokio::test]
async fn readiness_reports_a_missing_database() {
    let env = Env::new().await;
    let mut c = env.command(&["run", "billing"]);
    c.env("PYLON_DATABASE__URL", "postgres://nobody@127.0.0.1:1/none")
        .env("PYLON_DATABASE__ACQUIRE_TIMEOUT_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let _pylon = crate::Running::from(c.spawn().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(format!("{}/readyz", env.base())).await {
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap();
            if body["data"]["dependencies"]["postgres"]["error"].is_string() {
                assert_eq!(status, 503);
                assert_eq!(body["code"], 1008);
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never reported postgres down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
