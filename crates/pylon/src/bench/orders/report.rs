//! The results: one structure, printed as Markdown (what `docs/benchmarks.md` shows) or
//! JSON (`--json`, what the CLI test reads).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cpu::CpuUse;
use super::drive::{Call, FINAL, Outcome};
use super::watch::Tracks;
use crate::bench::stats::Latency;

/// The stages of an order, in order; `created` is when the driver sent the request.
pub const STAGES: [&str; 6] = [
    "created",
    "authorized",
    "starting",
    "charging",
    "ended",
    "settled",
];

#[derive(Clone, Debug, Serialize)]
pub struct Stage {
    pub from: &'static str,
    pub to: &'static str,
    pub latency: Latency,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApiCall {
    pub call: &'static str,
    pub errors: usize,
    pub latency: Latency,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub rate: f64,
    pub seconds: u64,
    pub warmup: u64,
    pub drain_secs: u64,
    pub ports: u32,
    pub piles: u32,
    pub drivers: u32,
    pub speed: u32,
    pub charge_secs: u32,
    pub stop_percent: u8,
    /// Past months of (empty) order partitions the database was given.
    pub history_months: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub settings: Settings,
    pub cores: usize,
    pub load_average_before: Option<[f64; 3]>,
    /// Arrivals, orders the API created, creates refused, arrivals without a free port.
    pub arrivals: usize,
    pub created: usize,
    pub refused: usize,
    pub first_refusal: Option<String>,
    pub no_free_port: u64,
    /// Created orders by the final state they reached within the drain.
    pub final_states: BTreeMap<String, usize>,
    /// Created orders that reached no final state: the run fails.
    pub lost: usize,
    /// Settled orders whose amount is not round(energy × tariff).
    pub amount_mismatches: usize,
    pub created_per_s: f64,
    /// Orders reaching `settled` per second between `warmup` and the end of the arrivals.
    pub settled_per_s: f64,
    pub stages: Vec<Stage>,
    /// created → settled.
    pub end_to_end: Latency,
    pub api: Vec<ApiCall>,
    pub api_all: Latency,
    pub cpu: CpuUse,
    pub passed: bool,
}

fn ms(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_microseconds().unwrap_or(0) as f64 / 1000.0
}

pub fn build(
    settings: Settings,
    outcome: &Outcome,
    tracks: &Tracks,
    cpu: CpuUse,
    load_average_before: Option<[f64; 3]>,
    millifen_per_kwh: i64,
    hold_fen: i64,
) -> Report {
    let created: Vec<_> = outcome.orders.iter().filter(|o| o.id.is_some()).collect();
    let mut final_states = BTreeMap::new();
    for o in &created {
        if let Some(s) = &o.final_state {
            *final_states.entry(s.clone()).or_insert(0) += 1;
        }
    }
    let lost = created.iter().filter(|o| o.final_state.is_none()).count();
    let amount_mismatches = created
        .iter()
        .filter(|o| o.final_state.as_deref() == Some("settled"))
        .filter(|o| {
            let want = o
                .energy_wh
                .map(|wh| ((wh * millifen_per_kwh / 1000 + 500) / 1000).min(hold_fen));
            want.is_none() || want != o.amount_fen
        })
        .count();
    // Per stage: the time from reaching one state to reaching the next.
    let mut per_stage: Vec<Vec<f64>> = vec![Vec::new(); STAGES.len() - 1];
    let mut total = Vec::new();
    let window_from = outcome.started_at + chrono::Duration::seconds(settings.warmup as i64);
    let mut settled_in_window = 0usize;
    tracks.with(|map| {
        for o in &created {
            let Some(t) = o.id.as_ref().and_then(|id| map.get(id)) else {
                continue;
            };
            let times: Vec<Option<DateTime<Utc>>> = STAGES
                .iter()
                .map(|s| {
                    if *s == "created" {
                        Some(o.sent_at)
                    } else {
                        t.at(s)
                    }
                })
                .collect();
            for (i, w) in times.windows(2).enumerate() {
                if let ([Some(a), Some(b)], Some(v)) = (w, per_stage.get_mut(i)) {
                    v.push(ms(*a, *b));
                }
            }
            if let Some(s) = t.at("settled") {
                total.push(ms(o.sent_at, s));
                if s >= window_from && s <= outcome.ended_at {
                    settled_in_window += 1;
                }
            }
        }
    });
    let stages = per_stage
        .into_iter()
        .enumerate()
        .map(|(i, v)| Stage {
            from: STAGES[i],
            to: STAGES[i + 1],
            latency: Latency::of_ms(v),
        })
        .collect();
    let api_of = |c: Option<Call>, name: &'static str| {
        let calls: Vec<_> = outcome
            .calls
            .iter()
            .filter(|t| c.is_none_or(|c| t.call == c))
            .collect();
        ApiCall {
            call: name,
            errors: calls.iter().filter(|t| !t.ok).count(),
            latency: Latency::of_ms(
                calls
                    .iter()
                    .map(|t| t.took.as_secs_f64() * 1000.0)
                    .collect(),
            ),
        }
    };
    let api = vec![
        api_of(Some(Call::Create), "create"),
        api_of(Some(Call::Get), "get"),
        api_of(Some(Call::Stop), "stop"),
    ];
    let api_all = api_of(None, "all").latency;
    let arrivals_secs = (outcome.ended_at - outcome.started_at).num_milliseconds() as f64 / 1000.0;
    let window = Duration::from_secs(settings.seconds.saturating_sub(settings.warmup).max(1));
    let refused: Vec<_> = outcome
        .orders
        .iter()
        .filter(|o| o.refused.is_some())
        .collect();
    Report {
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average_before,
        arrivals: outcome.orders.len(),
        created: created.len(),
        refused: refused.len(),
        first_refusal: refused.first().and_then(|o| o.refused.clone()),
        no_free_port: outcome.no_free_port,
        final_states,
        lost,
        amount_mismatches,
        created_per_s: created.len() as f64 / arrivals_secs.max(1e-3),
        settled_per_s: settled_in_window as f64 / window.as_secs_f64(),
        stages,
        end_to_end: Latency::of_ms(total),
        api,
        api_all,
        cpu,
        passed: lost == 0 && amount_mismatches == 0,
        settings,
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let c = &self.settings;
        let _ = writeln!(s, "## pylon bench orders\n");
        let _ = writeln!(
            s,
            "{} orders/s offered for {} s (steady window from {} s), {} ports on {} DNY piles at {}x, {} drivers, {} s charges ({}% stopped by the driver), {} past months of order partitions, drain {} s, {} cores, load average before {}\n",
            c.rate,
            c.seconds,
            c.warmup,
            c.ports,
            c.piles,
            c.speed,
            c.drivers,
            c.charge_secs,
            c.stop_percent,
            c.history_months,
            c.drain_secs,
            self.cores,
            self.load_average_before
                .map_or("unknown".into(), |[a, b, c]| format!(
                    "{a:.2} / {b:.2} / {c:.2}"
                )),
        );
        let _ = writeln!(
            s,
            "| arrivals | created | refused | no free port | lost | created/s | **settled/s (steady)** | end-to-end p50 | end-to-end p99 | API p99 |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.1} | **{:.1}** | {:.0} ms | {:.0} ms | {:.1} ms |\n",
            self.arrivals,
            self.created,
            self.refused,
            self.no_free_port,
            self.lost,
            self.created_per_s,
            self.settled_per_s,
            self.end_to_end.p50_ms,
            self.end_to_end.p99_ms,
            self.api_all.p99_ms,
        );
        let _ = writeln!(s, "| stage | count | p50 | p99 | max |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for st in &self.stages {
            let l = &st.latency;
            let _ = writeln!(
                s,
                "| {} → {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
                st.from, st.to, l.count, l.p50_ms, l.p99_ms, l.max_ms
            );
        }
        let _ = writeln!(s, "\n| API call | count | errors | p50 | p99 | max |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for a in &self.api {
            let l = &a.latency;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
                a.call, l.count, a.errors, l.p50_ms, l.p99_ms, l.max_ms
            );
        }
        let u = &self.cpu;
        let _ = writeln!(
            s,
            "\nCPU (cores) during the arrivals: platform {:.2}, nats-server {:.2}, postgres {:.2}, bench (piles + drivers) {:.2}, other {:.2}; machine busy {:.0} %",
            u.platform_cores,
            u.nats_server_cores,
            u.postgres_cores,
            u.bench_cores,
            u.other_cores,
            u.machine_busy_pct
        );
        let states: Vec<String> = FINAL
            .iter()
            .map(|f| format!("{f} {}", self.final_states.get(*f).copied().unwrap_or(0)))
            .collect();
        let _ = writeln!(
            s,
            "final states: {}; amount mismatches {}",
            states.join(", "),
            self.amount_mismatches
        );
        if let Some(r) = &self.first_refusal {
            let _ = writeln!(s, "first refusal of {}: {r}", self.refused);
        }
        let _ = writeln!(
            s,
            "\nresult: {}",
            if self.passed {
                "every created order reached a final state"
            } else {
                "FAILED (orders lost or amounts wrong)"
            }
        );
        s
    }
}
