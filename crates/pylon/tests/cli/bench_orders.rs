//! `pylon bench orders` with tiny numbers: the platform starts, every created order
//! reaches a final state and is billed right, and the report holds together. No timing
//! is asserted; the figures live in docs/benchmarks.md.

use crate::Env;

#[tokio::test]
async fn bench_orders_settles_every_order_and_reports_each_stage() {
    let env = Env::new().await;
    let r = env.json(&[
        "bench",
        "orders",
        "--rate",
        "4",
        "--seconds",
        "4",
        "--warmup",
        "1",
        "--drain",
        "60",
        "--ports",
        "40",
        "--drivers",
        "3",
        "--speed",
        "300",
        "--charge-secs",
        "600",
        "--history-months",
        "3",
        "--json",
    ]);

    assert_eq!(r["passed"], true, "{r}");
    assert_eq!(r["settings"]["piles"], 20);
    assert_eq!(r["settings"]["history_months"], 3);
    let created = r["created"].as_u64().unwrap();
    assert!(created >= 10, "about 16 arrivals: {r}");
    assert_eq!(r["arrivals"], created + r["refused"].as_u64().unwrap());
    assert_eq!(r["refused"], 0, "{r}");
    assert_eq!(r["no_free_port"], 0, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["amount_mismatches"], 0, "{r}");
    assert_eq!(r["final_states"]["settled"], created, "{r}");

    let stages: Vec<(&str, &str)> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["from"].as_str().unwrap(), s["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [
            ("created", "authorized"),
            ("authorized", "starting"),
            ("starting", "charging"),
            ("charging", "ended"),
            ("ended", "settled"),
        ]
    );
    for s in r["stages"].as_array().unwrap() {
        assert_eq!(s["latency"]["count"], created, "{s}");
        assert!(s["latency"]["p99_ms"].is_number(), "{s}");
    }
    assert_eq!(r["end_to_end"]["count"], created);

    let api: Vec<(&str, u64, u64)> = r["api"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["call"].as_str().unwrap(),
                a["latency"]["count"].as_u64().unwrap(),
                a["errors"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(api[0], ("create", created, 0));
    assert_eq!(api[1], ("get", created, 0), "one read per order");
    assert_eq!(api[2].0, "stop");
    assert!(api[2].1 > 0 && api[2].1 <= created, "{api:?}");
    assert_eq!(api[2].2, 0);
    assert!(r["api_all"]["p99_ms"].as_f64().unwrap() > 0.0);
    for k in [
        "platform_cores",
        "nats_server_cores",
        "postgres_cores",
        "bench_cores",
        "other_cores",
    ] {
        assert!(r["cpu"][k].is_number(), "{k}: {}", r["cpu"]);
    }
    assert!(r["settled_per_s"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn bench_orders_refuses_nonsense_options() {
    let env = Env::new().await;
    let out = env.output(&["bench", "orders", "--ports", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ports"));
    let out = env.output(&["bench", "orders", "--history-months", "121"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--history-months"));
}
