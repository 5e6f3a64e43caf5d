//! `pylon bench gateway` with tiny numbers: every phase runs and the report holds
//! together. No timing is asserted; the figures live in docs/benchmarks.md.

use crate::Env;

#[tokio::test]
async fn bench_gateway_runs_every_phase_and_its_counts_agree() {
    let env = Env::new().await;
    let r = env.json(&[
        "bench",
        "gateway",
        "--piles",
        "50",
        "--sources",
        "2",
        "--seconds",
        "3",
        "--warmup",
        "1",
        "--idle-seconds",
        "1",
        "--rate",
        "200",
        "--load-piles",
        "20",
        "--probes",
        "2",
        "--baseline-seconds",
        "1",
        "--baseline-concurrency",
        "8",
        "--rounds",
        "2",
        "--ratio-rate",
        "400",
        "--json",
    ]);

    // Idle connections: every pile held, as both sides count them.
    let c = &r["connect"];
    assert_eq!(c["piles"], 50);
    assert_eq!(c["connected_sim"], 50, "{c}");
    assert_eq!(c["connected_gateway"], 50, "{c}");
    assert_eq!(c["all_connected"], true);
    assert!(c["gateway_rss_after_bytes"].as_u64().unwrap() > 0);
    assert!(c["gateway_bytes_per_connection"].is_number());

    // Ingest: the main run plus the raw-frames comparison (on, off).
    let ingest = r["ingest"].as_array().unwrap();
    assert_eq!(ingest.len(), 3, "{ingest:?}");
    let raw: Vec<bool> = ingest
        .iter()
        .map(|i| i["raw_frames"].as_bool().unwrap())
        .collect();
    assert_eq!(raw, [true, true, false]);
    for i in ingest {
        assert_eq!(i["offered_per_s"], 200.0, "{i}");
        assert!(i["events_per_s"].as_f64().unwrap() > 0.0, "{i}");
        assert!(i["frames_sent_per_s"].as_f64().unwrap() > 0.0, "{i}");
        assert!(i["gateway_rss_end_bytes"].as_u64().unwrap() > 0, "{i}");
    }
    assert!(ingest[0]["raw_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(
        ingest[2]["raw_per_s"].as_f64().unwrap(),
        0.0,
        "raw frames off"
    );

    // Latency: every probe frame's event came back.
    let l = &r["latency"];
    assert!(l["sent"].as_u64().unwrap() > 0, "{l}");
    assert_eq!(l["received"], l["sent"], "{l}");
    assert_eq!(l["lost"], 0);
    assert!(l["p99_ms"].as_f64().unwrap() > 0.0);
    // Raw frames are on in the main run: each probe frame's raw frame came too.
    assert_eq!(l["raw"]["count"], l["sent"], "{l}");
    // Every event's time was split at the gateway's decode and JetStream's store, and
    // the stretches fit inside the whole (the same clock; the whole measured last).
    for stretch in ["to_gateway", "to_stored", "to_consumer"] {
        let part = &l["stages"][stretch];
        assert_eq!(part["count"], l["received"], "{stretch}: {l}");
        assert!(
            part["max_ms"].as_f64().unwrap() <= l["max_ms"].as_f64().unwrap() + 1.0,
            "{stretch}: {l}"
        );
    }

    // The plain publish loops, one per message mix.
    let modes: Vec<&str> = r["baseline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["events+raw", "events"]);
    for b in r["baseline"].as_array().unwrap() {
        assert!(b["events_per_s"].as_f64().unwrap() > 0.0, "{b}");
    }

    // Connections and events agree between the piles, the gateway and the stream.
    // Alternating windows: the second round's ingest shows the silenced piles spoke
    // again, and each round's plain loop ran after the gateway's backlog was gone.
    let p = &r["paired"];
    let rounds = p["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "{p}");
    for round in rounds {
        assert!(
            round["ingest"]["events_per_s"].as_f64().unwrap() > 0.0,
            "{round}"
        );
        assert!(
            round["plain"]["events_per_s"].as_f64().unwrap() > 0.0,
            "{round}"
        );
        assert_eq!(round["plain"]["mode"], "events+raw");
        // The rounds offer --ratio-rate, the other runs --rate.
        assert_eq!(round["ingest"]["offered_per_s"], 400.0, "{round}");
        assert!(round["ratio"].as_f64().unwrap() > 0.0, "{round}");
    }
    assert!(p["median_ratio"].as_f64().unwrap() > 0.0);

    let k = &r["consistency"];
    assert_eq!(k["connections_match"], true, "{k}");
    assert_eq!(k["events_match"], true, "{k}");
    assert!(k["events_stored"].as_u64().unwrap() > 0);
    assert_eq!(k["connections_sim"], k["connections_gateway"], "{k}");

    // Goals are judged, commands run only with --commands, NATS is left clean.
    let goals = r["goals"].as_array().unwrap();
    assert_eq!(goals.len(), 6);
    assert_eq!(r["commands"]["measured"], false);
    assert!(r["streams_deleted"].as_u64().unwrap() >= 2);
    let js = async_nats::jetstream::new(async_nats::connect(testkit::nats_url()).await.unwrap());
    let ns = r["namespace"].as_str().unwrap().to_uppercase();
    assert!(js.get_stream(format!("{ns}_PYLON_DEVICE")).await.is_err());
}
