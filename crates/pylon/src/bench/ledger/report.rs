//! The results: one structure, printed as Markdown tables (what `docs/benchmarks.md`
//! shows) or as JSON (`--json`, what the smoke test reads).

use std::fmt::Write as _;

use serde::Serialize;

use super::books::Checks;
use super::load::Outcome;
use crate::bench::stats::Latency;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub pairs: u32,
    /// Pairs in flight at once, and the pool size.
    pub concurrency: u32,
    pub cores: usize,
    /// The private NATS namespace of the outbox rows' subjects.
    pub namespace: String,
    /// `/proc/loadavg` (1, 5, 15 min) before and after: other work on the same cores.
    pub load_average_before: Option<[f64; 3]>,
    pub load_average_after: Option<[f64; 3]>,
    /// `ANALYZE payment.accounts` ran after funding (not with `--no-analyze`).
    pub analyzed: bool,
    pub phases: Vec<PhaseReport>,
    /// Every call succeeded and every check passed.
    pub passed: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PhaseReport {
    pub phase: &'static str,
    pub wallets: usize,
    pub pairs: usize,
    /// Pairs whose hold and capture both succeeded.
    pub pairs_ok: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub seconds: f64,
    /// Completed pairs per second of the phase's wall-clock time.
    pub pairs_per_s: f64,
    pub hold: Latency,
    pub capture: Latency,
    pub checks: Checks,
}

impl PhaseReport {
    pub fn new(phase: &'static str, wallets: usize, outcome: &Outcome, checks: Checks) -> Self {
        let hold = Latency::of(outcome.pairs.iter().filter_map(|p| p.hold).collect());
        let capture = Latency::of(outcome.pairs.iter().filter_map(|p| p.capture).collect());
        let seconds = outcome.elapsed.as_secs_f64();
        let pairs_ok = capture.count;
        Self {
            phase,
            wallets,
            pairs: outcome.pairs.len(),
            pairs_ok,
            errors: outcome.errors,
            first_error: outcome.first_error.clone(),
            seconds,
            pairs_per_s: if seconds > 0.0 {
                pairs_ok as f64 / seconds
            } else {
                0.0
            },
            hold,
            capture,
            checks,
        }
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let load = |l: &Option<[f64; 3]>| {
            l.map_or("unknown".to_owned(), |[a, b, c]| {
                format!("{a:.2} / {b:.2} / {c:.2}")
            })
        };
        let _ = writeln!(s, "## pylon bench ledger\n");
        let _ = writeln!(
            s,
            "{} hold + capture pairs per phase, concurrency {} (pool {}), {} cores, planner statistics {}; load average before {}, after {}\n",
            self.pairs,
            self.concurrency,
            self.concurrency,
            self.cores,
            if self.analyzed { "on" } else { "off" },
            load(&self.load_average_before),
            load(&self.load_average_after),
        );
        let _ = writeln!(
            s,
            "| phase | wallets | pairs ok | errors | seconds | **pairs/s** | hold p50 | hold p99 | hold max | capture p50 | capture p99 | capture max | checks |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for p in &self.phases {
            let _ = writeln!(
                s,
                "| {} | {} | {} / {} | {} | {:.2} | **{:.0}** | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
                p.phase,
                p.wallets,
                p.pairs_ok,
                p.pairs,
                p.errors,
                p.seconds,
                p.pairs_per_s,
                p.hold.p50_ms,
                p.hold.p99_ms,
                p.hold.max_ms,
                p.capture.p50_ms,
                p.capture.p99_ms,
                p.capture.max_ms,
                if p.checks.passed { "passed" } else { "FAILED" },
            );
        }
        let _ = writeln!(s);
        for p in &self.phases {
            let c = &p.checks;
            let _ = writeln!(
                s,
                "- {}: wallets off {}, revenue exact {}, holds agree {}, entries counted {}, events counted {}, unbalanced entries {}, balance drift {}, sum of balances {} fen",
                p.phase,
                c.wallet_mismatches,
                c.revenue_exact,
                c.holds_agree,
                c.entries_counted,
                c.events_counted,
                c.unbalanced_entries,
                c.balance_drift,
                c.total_fen,
            );
            if let Some(e) = &p.first_error {
                let _ = writeln!(s, "  first error of {}: {e}", p.errors);
            }
        }
        let _ = writeln!(
            s,
            "\nresult: {}",
            if self.passed {
                "every call succeeded and the books balance"
            } else {
                "FAILED"
            }
        );
        s
    }
}
