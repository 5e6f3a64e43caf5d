//! The drivers: orders at a fixed rate, open loop (a slow platform does not slow the
//! arrivals), each on a free port. A driver creates the order, stops it itself once it
//! charges (a share of them; the others end at their ordered time), waits for a final
//! state and reads the order once more, as the app shows the bill. Every API call is
//! timed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::setup::Api;
use super::watch::Tracks;

/// States an order does not leave by itself.
pub const FINAL: [&str; 4] = ["settled", "start_failed", "cancelled", "needs_review"];

#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub rate: f64,
    pub seconds: u64,
    /// Percent of orders the driver stops once charging.
    pub stop_percent: u8,
    /// The ordered duration (simulated seconds) and how long it takes in wall time.
    pub charge_secs: u32,
    pub charge_wall: Duration,
    pub hold_fen: i64,
    /// After the last arrival, how long orders may take to reach a final state.
    pub drain: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Create,
    Get,
    Stop,
}

#[derive(Clone, Copy, Debug)]
pub struct Timed {
    pub call: Call,
    pub took: Duration,
    pub ok: bool,
}

/// One arrival.
#[derive(Clone, Debug)]
pub struct OrderRecord {
    pub sent_at: DateTime<Utc>,
    pub id: Option<String>,
    /// Why the create failed (status and body), if it did.
    pub refused: Option<String>,
    /// The final state reached before the drain ended.
    pub final_state: Option<String>,
    /// From the last read: energy and amount.
    pub energy_wh: Option<i64>,
    pub amount_fen: Option<i64>,
}

pub struct Outcome {
    pub orders: Vec<OrderRecord>,
    pub calls: Vec<Timed>,
    /// Arrivals that found every port taken.
    pub no_free_port: u64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

type Ports = Arc<Mutex<VecDeque<(String, u32)>>>;
type Calls = Arc<Mutex<Vec<Timed>>>;

struct Shared {
    api: Api,
    tracks: Tracks,
    ports: Ports,
    calls: Calls,
    opts: LoadOptions,
    deadline: Instant,
}

fn note(calls: &Calls, call: Call, took: Duration, ok: bool) {
    calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Timed { call, took, ok });
}

pub async fn run(
    api: &Api,
    tracks: &Tracks,
    ports: Vec<(String, u32)>,
    drivers: &[String],
    opts: &LoadOptions,
) -> Outcome {
    let load = Duration::from_secs(opts.seconds);
    let start = Instant::now();
    let shared = Arc::new(Shared {
        api: api.clone(),
        tracks: tracks.clone(),
        ports: Arc::new(Mutex::new(ports.into())),
        calls: Arc::default(),
        opts: opts.clone(),
        deadline: start + load + opts.drain,
    });
    let started_at = Utc::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / opts.rate.max(0.001)));
    let mut tasks = tokio::task::JoinSet::new();
    let (mut n, mut no_free_port) = (0u64, 0u64);
    while start.elapsed() < load {
        tick.tick().await;
        let port = shared
            .ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let Some(port) = port else {
            no_free_port += 1;
            continue;
        };
        let driver = drivers
            .get(n as usize % drivers.len().max(1))
            .cloned()
            .unwrap_or_default();
        // 37 is coprime with 100: every hundred arrivals stop exactly `stop_percent`,
        // spread through the run rather than the first ones.
        let stop = (n * 37) % 100 < u64::from(opts.stop_percent);
        tasks.spawn(order(shared.clone(), port, driver, n, stop));
        n += 1;
    }
    let ended_at = Utc::now();
    let mut orders = Vec::with_capacity(n as usize);
    while let Some(r) = tasks.join_next().await {
        if let Ok(r) = r {
            orders.push(r);
        }
    }
    let calls = std::mem::take(&mut *shared.calls.lock().unwrap_or_else(|e| e.into_inner()));
    Outcome {
        orders,
        calls,
        no_free_port,
        started_at,
        ended_at,
    }
}

/// Waits until the order's state satisfies `pred`, at most until `deadline`.
async fn until(
    rx: &mut watch::Receiver<String>,
    deadline: Instant,
    pred: impl Fn(&str) -> bool,
) -> bool {
    tokio::time::timeout_at(deadline, rx.wait_for(|s| pred(s)))
        .await
        .is_ok_and(|r| r.is_ok())
}

async fn order(
    s: Arc<Shared>,
    port: (String, u32),
    driver: String,
    n: u64,
    stop: bool,
) -> OrderRecord {
    let mut rec = OrderRecord {
        sent_at: Utc::now(),
        id: None,
        refused: None,
        final_state: None,
        energy_wh: None,
        amount_fen: None,
    };
    let body = json!({"device_id": port.0, "port": port.1, "duration_secs": s.opts.charge_secs, "hold_fen": s.opts.hold_fen});
    let t = Instant::now();
    let r = s
        .api
        .http
        .post(format!("{}/api/v1/charging/orders", s.api.base))
        .bearer_auth(&driver)
        .header("Idempotency-Key", format!("bench-{n}"))
        .json(&body)
        .send()
        .await;
    let (status, v) = match r {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
        Err(e) => (0, Value::String(e.to_string())),
    };
    note(&s.calls, Call::Create, t.elapsed(), status == 200);
    let Some(id) = v["data"]["id"]
        .as_str()
        .filter(|_| status == 200)
        .map(str::to_owned)
    else {
        rec.refused = Some(format!("HTTP {status}: {v}"));
        // Nothing was created: the port is free again.
        s.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(port);
        return rec;
    };
    rec.id = Some(id.clone());
    let mut rx = s.tracks.follow(&id);
    if stop
        && until(&mut rx, s.deadline, |st| {
            st == "charging" || FINAL.contains(&st)
        })
        .await
        && rx.borrow().as_str() == "charging"
    {
        tokio::time::sleep(s.opts.charge_wall / 2).await;
        let t = Instant::now();
        let r = s
            .api
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/charging/orders/{id}/stop"),
                &driver,
                Some(json!({})),
            )
            .await;
        // A stop racing the pile's own end is refused as a transition: not an API failure.
        let ok = r.is_ok_and(|(st, _)| st == 200 || st == 409);
        note(&s.calls, Call::Stop, t.elapsed(), ok);
    }
    if until(&mut rx, s.deadline, |st| FINAL.contains(&st)).await {
        rec.final_state = Some(rx.borrow().clone());
    }
    let t = Instant::now();
    let r = s
        .api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/charging/orders/{id}"),
            &driver,
            None,
        )
        .await;
    note(
        &s.calls,
        Call::Get,
        t.elapsed(),
        r.as_ref().is_ok_and(|(st, _)| *st == 200),
    );
    if let Ok((200, v)) = r {
        rec.energy_wh = v["data"]["energy_wh"].as_i64();
        rec.amount_fen = v["data"]["amount_fen"].as_i64();
    }
    if rec.final_state.is_some() {
        s.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(port);
    }
    rec
}
