//! Orders at scale: 1,000 orders on 1,000 simulated ports (500 two-port DNY piles)
//! started at once all settle; each order's energy, duration and amount are what its
//! pile reported priced by the tariff, and the ledger balances.

use std::collections::HashMap;
use std::time::Duration;

use apptest::Driver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::{EndReason, FleetConfig, NetConfig, PowerCurve, Profile, SimEvent};

use crate::world_with;

const PILES: u32 = 500;
const ORDERS: usize = 1_000;
/// One driver (one wallet) holds 50 orders at once: the API allows a driver several
/// live orders on different ports, and 20 sign-ups cost far less than 1,000 (each is
/// an argon2 hash and a sandbox top-up).
const DRIVERS: usize = 20;
const TOP_UP_FEN: i64 = 100_000;
const HOLD_FEN: i64 = 1_500;
/// Simulated time runs 120x: a 10-minute charge takes 5 s.
const SPEED: u32 = 120;

fn profile() -> Profile {
    let mut p = Profile::realistic();
    // Constant 1.5 kW (under the pile's 2 kW overload limit), so energy follows from
    // the ordered time alone.
    p.curve = PowerCurve::constant_watts(1_500);
    // Heartbeats every simulated hour (30 s wall): the piles' background chatter stays
    // small next to the orders' own events.
    p.dny_heartbeat = Duration::from_secs(3_600);
    p.dny_link_idle = None;
    p
}

/// 1.5 yuan per kWh, round half up (the flat tariff of `World::tariff`).
fn tariff_fen(energy_wh: i64) -> i64 {
    (energy_wh * 150 + 500) / 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_on_a_thousand_ports_started_at_once_all_settle() {
    let w = world_with(|c| {
        // 1,000 requests arrive together: more connections than the harness's 10 and
        // a patient acquire, so queueing for a connection is not mistaken for failure.
        c.database.max_connections = 30;
        c.database.acquire_timeout_secs = 60;
        // 1,000 starts queue in the gateway (0.5 s pacing between a pile's two ports)
        // and in the effects: a 1 s command timeout and a 10 s start deadline would
        // measure the debug build's queueing, not the protocol.
        c.gateway.command_timeout_ms = 5_000;
        c.charging.start_timeout_secs = 60;
        // All 1,000 creates are in flight together; the last ones wait for the first on
        // two shared cores, longer than the default 30 s request timeout in a debug build.
        c.http.request_timeout_secs = 120;
    })
    .await;
    w.tariff().await;

    // 500 piles in one CSV import, then the fleet connects.
    let devices: Vec<String> = (0..PILES)
        .map(|i| sim::ids::dny_physical_id(i, 2).unwrap().to_string())
        .collect();
    let mut csv = String::from("device_id,protocol,port_count\n");
    for d in &devices {
        csv.push_str(&format!("{d},dny,2\n"));
    }
    let r: Value = w
        .app
        .http
        .post(w.app.url("/api/v1/charging/devices/import"))
        .bearer_auth(&w.t.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["created"], PILES, "{r}");

    let (tx, mut rx) = tokio::sync::mpsc::channel(100_000);
    let mut fc = FleetConfig::new(PILES, 0, NetConfig::new(w.device_addr));
    fc.profile = profile();
    fc.speed = SPEED;
    fc.connect_rate = 1_000;
    fc.events = Some(tx);
    let fleet = sim::Fleet::start(fc).unwrap();
    let settled_events = tokio::spawn(async move {
        // (device, port) → (energy, duration, reason) of the pile's settlement.
        let mut settled = HashMap::new();
        while let Some(e) = rx.recv().await {
            if let SimEvent::Settled {
                port,
                energy_wh,
                duration_s,
                reason,
                ..
            } = e.event
            {
                settled.insert(
                    (port.device, i32::from(port.number)),
                    (energy_wh as i64, i64::from(duration_s), reason),
                );
                if settled.len() == ORDERS {
                    break;
                }
            }
        }
        settled
    });
    for _ in 0..300 {
        if fleet.summary().counters.registered == u64::from(PILES) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fleet.summary().counters.registered,
        u64::from(PILES),
        "every pile registered"
    );

    let t0 = std::time::Instant::now();
    let drivers: Vec<Driver> =
        futures::future::join_all((0..DRIVERS).map(|_| w.driver_with(TOP_UP_FEN))).await;
    eprintln!("scale: {DRIVERS} drivers topped up in {:?}", t0.elapsed());

    // Every port gets one order, all at once; 50 per driver, durations 10 to 13 min.
    let started = std::time::Instant::now();
    let starts = (0..ORDERS).map(|i| {
        let device = &devices[i / 2];
        let body = json!({
            "device_id": device,
            "port": i % 2 + 1,
            "duration_secs": 600 + (i % 4) * 60,
            "hold_fen": HOLD_FEN,
        });
        let (w, d) = (&w, &drivers[i % DRIVERS]);
        async move { w.start(d, &format!("scale-{i}"), body).await }
    });
    let results = futures::future::join_all(starts).await;
    let refused: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s != StatusCode::OK)
        .take(3)
        .collect();
    assert!(refused.is_empty(), "refused starts: {refused:?}");
    eprintln!("scale: 1,000 orders created in {:?}", started.elapsed());

    let settled = tokio::time::timeout(Duration::from_secs(90), settled_events)
        .await
        .expect("every pile settled within 90 s")
        .unwrap();
    let pool = w.app.db.pool().await;
    let mut done = 0;
    // The orders consumer handles the piles' events one at a time (docs/benchmarks.md,
    // "Charging orders"): on two busy cores in a debug build the last settlements come
    // well after the piles sent them.
    for _ in 0..1_800 {
        done = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM charging.orders WHERE state = 'settled'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if done == ORDERS as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("scale: {done} settled after {:?}", started.elapsed());
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, count(*) FROM charging.orders GROUP BY state ORDER BY state")
            .fetch_all(&pool)
            .await
            .unwrap();
    if states != [("settled".to_owned(), ORDERS as i64)] {
        // What the stragglers say, for the failure message.
        let stuck: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id::text, state, failure, updated_at::text FROM charging.orders \
             WHERE state <> 'settled' LIMIT 5",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        panic!("not all settled: {states:?}; e.g. {stuck:?}");
    }

    // Each order is exactly what its pile reported, priced by the tariff.
    type Row = (
        String,
        i32,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT device_id, port, user_id::text, energy_wh, duration_secs, amount_fen, failure \
         FROM charging.orders",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut spent: HashMap<String, i64> = HashMap::new();
    let mut revenue = 0;
    for (device, port, user, energy, duration, amount, failure) in &rows {
        let (want_wh, want_s, reason) = settled
            .get(&(device.clone(), *port))
            .unwrap_or_else(|| panic!("no settlement from {device}#{port}"));
        assert_eq!(*reason, EndReason::Time, "{device}#{port}");
        assert_eq!(*energy, Some(*want_wh), "{device}#{port}");
        assert_eq!(*duration, Some(*want_s), "{device}#{port}");
        assert!(*want_wh >= 250, "{device}#{port}: {want_wh} Wh");
        assert_eq!(*amount, Some(tariff_fen(*want_wh)), "{device}#{port}");
        assert_eq!(*failure, None, "{device}#{port}");
        *spent.entry(user.clone()).or_default() += tariff_fen(*want_wh);
        revenue += tariff_fen(*want_wh);
    }

    // The ledger: every hold captured with its order's amount, revenue is their sum,
    // every wallet is its top-up minus its orders, nothing held, every entry balanced.
    let (holds, captured, captured_fen): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'captured'), \
         COALESCE(sum(captured_fen), 0)::bigint FROM payment.holds WHERE tenant_id = $1::uuid",
    )
    .bind(&w.t.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (holds, captured, captured_fen),
        (ORDERS as i64, ORDERS as i64, revenue)
    );
    let booked: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(balance_fen), 0)::bigint FROM payment.accounts \
         WHERE tenant_id = $1::uuid AND kind = 'revenue'",
    )
    .bind(&w.t.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(booked, revenue);
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT entry_id FROM payment.postings GROUP BY entry_id \
         HAVING sum(amount_fen) <> 0) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);
    for d in &drivers {
        let v = w
            .app
            .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
        let want = TOP_UP_FEN - spent.get(&d.id).copied().unwrap_or(0);
        assert_eq!(v["balance_fen"], want, "{}: {v}", d.id);
        assert_eq!(v["held_fen"], 0, "{}: {v}", d.id);
    }
    eprintln!("scale: checked after {:?}", started.elapsed());
    fleet.shutdown(Duration::from_secs(5)).await;
}
