//! The exception paths of issue 7 that flow.rs does not cover: no confirmation after the
//! protocol's resend, a settlement that never comes, a duplicate settlement, a busy or
//! faulted port. Each checks the order, the wallet and (where money moved) the ledger.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apptest::Driver;
use async_nats::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::{PileConfig, PortFault, PowerCurve, Protocol, SimEvent};

use crate::{World, world, world_with};

/// DNY 0x82: the server's start command.
const DNY_START: u16 = 0x82;

/// A 60x DNY pile drawing a constant 1.5 kW (below the pile's 2 kW overload limit) and
/// sampling its meter every simulated minute (one wall second), so energy and amounts
/// are predictable and non-trivial.
fn metered_pile(w: &World, index: u32) -> PileConfig {
    let mut c = PileConfig::new(Protocol::Dny, index, w.device_addr).with_speed(60);
    let p = c.profile_mut();
    p.curve = PowerCurve::constant_watts(1_500);
    p.dny_meter = Duration::from_secs(60);
    c
}

/// A metered pile (`index`), a driver with 3,000 fen and their order on `port` with
/// `limit` (`energy_wh` or `duration_secs` and its value) and a 1,000 fen hold.
async fn metered_order(
    w: &World,
    index: u32,
    key: &str,
    port: u32,
    limit: (&str, i64),
) -> (sim::PileHandle, sim::EventStream, Driver, String) {
    let (pile, sim, device) = w.pile_with(metered_pile(w, index)).await;
    let d = w.driver_with(3_000).await;
    let mut body = json!({"device_id": device, "port": port, "hold_fen": 1_000});
    body[limit.0] = json!(limit.1);
    let id = w.started(&d, key, body).await;
    (pile, sim, d, id)
}

/// Waits for the pile's own settlement; the energy it reported (Wh).
async fn pile_settlement(sim: &mut sim::EventStream) -> i64 {
    let Some(SimEvent::Settled { energy_wh, .. }) = sim
        .wait_for(Duration::from_secs(15), |e| {
            matches!(e, SimEvent::Settled { .. })
        })
        .await
    else {
        panic!("the pile never settled");
    };
    energy_wh as i64
}

async fn wallet(w: &World, d: &Driver) -> Value {
    w.app
        .ok(w.app.get("/api/v1/payment/wallet", &d.token).await)
}

/// Waits until nothing is held any more; the wallet then.
async fn released(w: &World, d: &Driver) -> Value {
    for _ in 0..100 {
        let v = wallet(w, d).await;
        if v["held_fen"] == 0 {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the hold was never settled: {}", wallet(w, d).await);
}

/// 1.5 yuan per kWh, round half up (the flat tariff of `World::tariff`).
fn tariff_fen(energy_wh: i64) -> i64 {
    (energy_wh * 150 + 500) / 1000
}

/// The ledger's view of one order: (hold rows, their status, captured fen, capture
/// entries). Read from the payment schema as payment's own tests do.
async fn ledger_of(w: &World, order: &str) -> (i64, String, i64, i64) {
    let pool = w.app.db.pool().await;
    let (rows, status, captured): (i64, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT count(*), max(status), sum(captured_fen)::bigint FROM payment.holds WHERE order_ref = $1",
    )
    .bind(order)
    .fetch_one(&pool)
    .await
    .unwrap();
    let captures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payment.journal_entries WHERE idempotency_key = $1",
    )
    .bind(format!("order:{order}:capture"))
    .fetch_one(&pool)
    .await
    .unwrap();
    (
        rows,
        status.unwrap_or_default(),
        captured.unwrap_or(0),
        captures,
    )
}

async fn revenue(w: &World) -> i64 {
    let pool = w.app.db.pool().await;
    sqlx::query_scalar(
        "SELECT COALESCE(sum(balance_fen), 0)::bigint FROM payment.accounts \
         WHERE tenant_id = $1::uuid AND kind = 'revenue'",
    )
    .bind(&w.t.id)
    .fetch_one(&pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn no_confirmation_after_the_resend_fails_the_start_and_releases_the_hold() {
    let w = world().await;
    w.tariff().await;
    let (pile, mut sim, device) = w.registered_pile(51).await;
    let d = w.driver_with(3_000).await;
    // The pile ignores the start and its one resend (same message id): the gateway's
    // command ends without an answer.
    pile.drop_commands(2).await.unwrap();
    let id = w
        .started(
            &d,
            "silent-start",
            json!({"device_id": device, "port": 1, "duration_secs": 3600, "hold_fen": 1_000}),
        )
        .await;
    let o = w.until(&d, &id, "start_failed", 15).await;
    assert!(o["failure"].as_str().is_some_and(|f| !f.is_empty()), "{o}");
    // Both transmissions reached the pile and were ignored, with one message id.
    let mut starts = Vec::new();
    while let Some(e) = sim.next_within(Duration::from_millis(200)).await {
        if let SimEvent::CommandReceived {
            command: DNY_START,
            id,
            dropped,
            ..
        } = e
        {
            starts.push((id, dropped));
        }
    }
    assert_eq!(starts.len(), 2, "start and one resend: {starts:?}");
    assert!(starts.iter().all(|(_, dropped)| *dropped), "{starts:?}");
    assert_eq!(starts[0].0, starts[1].0, "the resend keeps the message id");
    let v = released(&w, &d).await;
    assert_eq!(v["balance_fen"], 3_000, "nothing charged: {v}");
    let (rows, status, captured, captures) = ledger_of(&w, &id).await;
    assert_eq!(
        (rows, status.as_str(), captured, captures),
        (1, "released", 0, 0)
    );
    let state = pile.state().await.unwrap();
    assert!(state.ports.iter().all(|p| p.order.is_none()), "{state:?}");
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn a_settlement_that_never_comes_closes_the_order_from_its_last_meter_sample() {
    // Seconds instead of the default ten minutes, so the sweeper acts within the test.
    let w = world_with(|c| c.charging.settlement_timeout_secs = 2).await;
    w.tariff().await;
    let (pile, mut sim, d, id) =
        metered_order(&w, 52, "lost-end", 1, ("duration_secs", 7200)).await;
    w.until(&d, &id, "charging", 15).await;
    // A few meter samples reach the order; then the pile goes silent for good (its
    // settlement would only be sent once it speaks again).
    let mut sampled = Vec::new();
    while sampled.len() < 3 {
        match sim.next_within(Duration::from_secs(5)).await {
            Some(SimEvent::Meter { energy_wh, .. }) => sampled.push(energy_wh as i64),
            Some(_) => {}
            None => panic!("no meter samples: {sampled:?}"),
        }
    }
    pile.set_silent(true).await.unwrap();
    let path = format!("/api/v1/charging/orders/{id}");
    // Every sample the pile sent before it fell silent, and the newest of them: the
    // order must have stored that one before the stop (samples travel through the
    // event stream, so the order may lag behind the pile).
    sampled.extend(sim.drain().iter().filter_map(|e| match e {
        SimEvent::Meter { energy_wh, .. } => Some(*energy_wh as i64),
        _ => None,
    }));
    let last = sampled.iter().copied().max().unwrap_or(0);
    let mut stored = -1;
    for _ in 0..40 {
        let o = w.app.ok(w.app.get(&path, &d.token).await);
        stored = o["energy_wh"].as_i64().unwrap_or(-1);
        if stored == last {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        stored, last,
        "the order stored the pile's last sample: {sampled:?}"
    );
    assert!(last > 0, "a sample was stored");
    w.stop(&d, &id).await;
    w.until(&d, &id, "needs_review", 20).await;
    // The amount comes from the last sample the order had, and the session closes there.
    let want = tariff_fen(last);
    let v = released(&w, &d).await;
    let o = w.billed(&d, &id).await;
    assert_eq!(o["energy_wh"], last, "{o}");
    assert_eq!(o["amount_fen"], want, "{o}");
    assert!(o["duration_secs"].as_i64().unwrap() > 0, "{o}");
    assert!(!o["ended_at"].is_null(), "{o}");
    assert!(
        sim.drain()
            .iter()
            .all(|e| !matches!(e, SimEvent::SettlementAcked { .. })),
        "no settlement reached the platform"
    );
    assert_eq!(v["balance_fen"], 3_000 - want, "{v}");
    let (rows, status, captured, captures) = ledger_of(&w, &id).await;
    assert_eq!(
        (rows, status.as_str(), captured, captures),
        (1, "captured", want, 1)
    );
    assert_eq!(revenue(&w).await, want);
    let _ = pile.shutdown().await;
}

/// Publishes a copy of the device's last `kind` event under a new event id, as the
/// gateway does when a pile sends the same report again (its acknowledgement was lost).
async fn republish(w: &World, device: &str, kind: &str) {
    let bus = &w.app.bus.bus;
    let stream = bus
        .jetstream
        .get_stream(bus.namespace.name("PYLON_DEVICE"))
        .await
        .unwrap();
    // The pile may have identified itself before the registry's mirror named its
    // operator: its events then carry the unassigned token.
    let mut found = None;
    for tenant in [w.t.id.as_str(), "_"] {
        let subject = bus.namespace.subject(&["device", tenant, device, kind]);
        if let Ok(raw) = stream.get_last_raw_message_by_subject(&subject).await {
            found = Some((subject, raw));
            break;
        }
    }
    let (subject, raw) = found.expect("the device's event is in the stream");
    let id = uuid::Uuid::now_v7().to_string();
    let mut headers = HeaderMap::new();
    for (name, values) in raw.headers.iter() {
        let name = name.to_string();
        if name.eq_ignore_ascii_case(bus::event::headers::ID)
            || name.eq_ignore_ascii_case(bus::event::headers::MSG_ID)
        {
            continue;
        }
        for v in values {
            headers.append(name.as_str(), v.as_str());
        }
    }
    headers.insert(bus::event::headers::ID, id.as_str());
    headers.insert(bus::event::headers::MSG_ID, id.as_str());
    bus.jetstream
        .publish_with_headers(subject, headers, raw.payload.clone())
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Waits until the orders consumer has handled everything in the stream.
async fn orders_consumer_idle(w: &World) {
    let bus = &w.app.bus.bus;
    let stream = bus
        .jetstream
        .get_stream(bus.namespace.name("PYLON_DEVICE"))
        .await
        .unwrap();
    for _ in 0..100 {
        let mut c: async_nats::jetstream::consumer::PullConsumer = stream
            .get_consumer(charging::orders::consumer::CONSUMER)
            .await
            .unwrap();
        let info = c.info().await.unwrap();
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the orders consumer did not catch up");
}

#[tokio::test]
async fn a_duplicate_settlement_is_billed_and_captured_once() {
    let w = world().await;
    w.tariff().await;
    // 100 Wh at 1.5 kW: the pile ends the charge by itself after 4 minutes of its time.
    let (pile, mut sim, d, id) = metered_order(&w, 53, "twice", 2, ("energy_wh", 100)).await;
    let device = pile.id().to_owned();
    let want = tariff_fen(pile_settlement(&mut sim).await);
    let o = w.until(&d, &id, "settled", 20).await;
    assert_eq!(o["amount_fen"], want, "{o}");
    let v = released(&w, &d).await;
    assert_eq!(v["balance_fen"], 3_000 - want);

    // The same end report arrives twice more (two resends whose acks were lost).
    republish(&w, &device, "charging_ended").await;
    republish(&w, &device, "charging_ended").await;
    orders_consumer_idle(&w).await;

    let o = w.app.ok(w
        .app
        .get(&format!("/api/v1/charging/orders/{id}"), &d.token)
        .await);
    assert_eq!(o["state"], "settled", "{o}");
    assert_eq!(o["amount_fen"], want, "{o}");
    assert_eq!(wallet(&w, &d).await["balance_fen"], 3_000 - want);
    let (rows, status, captured, captures) = ledger_of(&w, &id).await;
    assert_eq!(
        (rows, status.as_str(), captured, captures),
        (1, "captured", want, 1)
    );
    assert_eq!(revenue(&w).await, want, "revenue counts the order once");
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn a_busy_or_faulted_port_is_refused_and_nothing_is_held() {
    let w = world().await;
    w.tariff().await;
    let (pile, _sim, device) = w.registered_pile(54).await;
    let first = w.driver_with(3_000).await;
    let second = w.driver_with(3_000).await;

    // Busy: another driver's order is live on port 1.
    let id = w
        .started(
            &first,
            "busy-1",
            json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 1_000}),
        )
        .await;
    w.until(&first, &id, "charging", 15).await;
    let (s, e) = w
        .start(
            &second,
            "busy-2",
            json!({"device_id": device, "port": 1, "duration_secs": 600, "hold_fen": 500}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], charging::error::code::PORT_BUSY);
    assert!(e["message"].as_str().unwrap().contains("in use"), "{e}");

    // Faulted: the pile reports port 2 broken (bad contact); the platform sees it in
    // the pile's next status report. (The platform administrator looks: the pile may
    // have connected before the registry's mirror named its operator.)
    pile.fault(1, PortFault::Broken).await.unwrap();
    let live = format!("/api/v1/charging/live/devices/{device}");
    let mut state = Value::Null;
    for _ in 0..100 {
        let v = w.app.ok(w.app.get(&live, &w.app.root.admin).await);
        state = v["ports"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["port"] == 2).cloned())
            .unwrap_or(Value::Null);
        if state["state"] == "fault" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["state"], "fault", "{state}");
    let (s, e) = w
        .start(
            &second,
            "fault-2",
            json!({"device_id": device, "port": 2, "duration_secs": 600, "hold_fen": 500}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], charging::error::code::PORT_FAULT);
    assert!(e["message"].as_str().unwrap().contains("fault"), "{e}");

    // Neither refusal held money or made an order for the second driver.
    let v = wallet(&w, &second).await;
    assert_eq!(
        (v["balance_fen"].clone(), v["held_fen"].clone()),
        (json!(3_000), json!(0))
    );
    let mine = w
        .app
        .ok(w.app.get("/api/v1/charging/me/orders", &second.token).await);
    assert_eq!(mine["total"], 0, "{mine}");
    assert_eq!(wallet(&w, &first).await["held_fen"], 1_000);

    // Cleared, the port takes orders again.
    pile.clear_fault(1).await.unwrap();
    for _ in 0..100 {
        let (s, o) = w
            .start(
                &second,
                "fault-cleared",
                json!({"device_id": device, "port": 2, "duration_secs": 600, "hold_fen": 500}),
            )
            .await;
        if s == StatusCode::OK {
            let _ = pile.shutdown().await;
            return;
        }
        assert_eq!(o["code"], charging::error::code::PORT_FAULT, "{o}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the cleared port never took an order");
}

/// A TCP forwarder to a service that can be switched off: then it refuses new
/// connections and cuts the open ones, as a crashed or partitioned service would.
struct Switch {
    addr: std::net::SocketAddr,
    upstream: Arc<Mutex<Option<std::net::SocketAddr>>>,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Switch {
    async fn new() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let switch = Switch {
            addr: listener.local_addr().unwrap(),
            upstream: Arc::default(),
            up: Arc::new(AtomicBool::new(true)),
            open: Arc::default(),
        };
        let (upstream, up, open) = (
            switch.upstream.clone(),
            switch.up.clone(),
            switch.open.clone(),
        );
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = *upstream.lock().unwrap();
                let (Some(target), true) = (target, up.load(Ordering::SeqCst)) else {
                    continue; // dropped: the connection is refused
                };
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                open.lock().unwrap().push(task);
            }
        });
        switch
    }

    fn off(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn on(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_settlement_that_cannot_be_billed_for_a_while_is_billed_when_billing_is_back() {
    let billing = Switch::new().await;
    let (upstream, via) = (billing.upstream.clone(), billing.addr);
    let w = world_with(move |c| {
        *upstream.lock().unwrap() = Some(c.grpc.listen);
        c.charging.billing_grpc_url = format!("http://{via}");
    })
    .await;
    w.tariff().await;
    // 100 Wh at 1.5 kW: the pile ends the charge by itself after 4 minutes of its time.
    let (pile, mut sim, d, id) = metered_order(&w, 54, "outage", 1, ("energy_wh", 100)).await;
    w.until(&d, &id, "charging", 10).await;
    billing.off();
    let energy_wh = pile_settlement(&mut sim).await;
    w.until(&d, &id, "ended", 10).await;
    // Longer than the settlement effect's own retries (about 18 s): the device event is
    // given back rather than acknowledged, and the order waits `ended`.
    tokio::time::sleep(Duration::from_secs(22)).await;
    let o = w.app.ok(w
        .app
        .get(&format!("/api/v1/charging/orders/{id}"), &d.token)
        .await);
    assert_eq!(
        o["state"], "ended",
        "nothing billed while billing is away: {o}"
    );
    assert_eq!(
        wallet(&w, &d).await["held_fen"],
        1_000,
        "the hold still waits"
    );

    billing.on();
    let want = tariff_fen(energy_wh);
    let o = w.until(&d, &id, "settled", 60).await;
    assert_eq!(o["amount_fen"], want, "{o}");
    let v = released(&w, &d).await;
    assert_eq!(v["balance_fen"], 3_000 - want);
    let (rows, status, captured, captures) = ledger_of(&w, &id).await;
    assert_eq!(
        (rows, status.as_str(), captured, captures),
        (1, "captured", want, 1)
    );
    let _ = pile.shutdown().await;
}
