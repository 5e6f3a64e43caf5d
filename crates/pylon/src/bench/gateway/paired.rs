//! The ingest-vs-plain-publish ratio in alternating windows: on a gateway of its own, the
//! load piles offer `--rate` for one window, then fall silent; once the gateway has
//! worked off its backlog the plain publish loop runs for a window of the same length;
//! then the piles speak again, and so on for `--rounds` rounds.
//!
//! Why: the two cores' speed drifts by a fifth and more from one minute to the next on a
//! shared machine (the same ingest command gave 16,757 and 27,875 events/s in runs
//! minutes apart), so one ingest window compared with one publish loop run minutes later
//! says as much about the drift as about the gateway. Adjacent windows see the same
//! machine; the median of the rounds' ratios is what the goal is judged on.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::baseline::{self, BaselineResult};
use super::child::GatewayProcess;
use super::ingest::{self, IngestResult, Load, RunInfo, Window};
use super::stack::Stack;

/// How the rounds run.
#[derive(Clone, Copy, Debug)]
pub struct PairedOptions {
    pub rounds: u32,
    /// Length of each ingest and each publish window.
    pub seconds: Duration,
    /// Before the first ingest window (connections and rates settle).
    pub warmup: Duration,
    pub concurrency: usize,
    pub raw_frames: bool,
}

/// One ingest window and the publish window right after it.
#[derive(Clone, Debug, Serialize)]
pub struct Round {
    pub ingest: IngestResult,
    pub plain: BaselineResult,
    /// Ingest events/s ÷ plain publish events/s.
    pub ratio: f64,
    /// Seconds the gateway took to work off its backlog once the piles fell silent.
    pub drain_seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PairedResult {
    pub raw_frames: bool,
    pub rounds: Vec<Round>,
    /// The median of the rounds' ratios (the mean of the middle two for an even count).
    pub median_ratio: f64,
}

/// Runs the rounds against `gateway`, whose load piles are `load` (speaking on entry).
pub async fn run(
    gateway: &GatewayProcess,
    stack: &Stack,
    load: &Load,
    opts: PairedOptions,
) -> anyhow::Result<PairedResult> {
    let gateways = std::slice::from_ref(gateway);
    let mut rounds = Vec::new();
    for round in 0..opts.rounds {
        let window = Window {
            // Later rounds only need the piles' first heartbeats to arrive again.
            warmup: if round == 0 {
                opts.warmup
            } else {
                Duration::from_secs(2)
            },
            seconds: opts.seconds,
        };
        let info = RunInfo {
            label: format!("round {}", round + 1),
            raw_frames: opts.raw_frames,
            idle_piles: 0,
        };
        let ingest = ingest::measure(gateways, stack, load, None, window, info).await?;
        load.pump.set_silent(true);
        let drain_seconds = drain(stack).await?;
        let plain = baseline::run(stack, opts.concurrency, opts.seconds, opts.raw_frames).await?;
        load.pump.set_silent(false);
        let ratio = if plain.events_per_s > 0.0 {
            ingest.events_per_s / plain.events_per_s
        } else {
            0.0
        };
        eprintln!(
            "bench: round {}: ingest {:.0}/s, plain publish {:.0}/s: {:.0} %",
            round + 1,
            ingest.events_per_s,
            plain.events_per_s,
            ratio * 100.0
        );
        rounds.push(Round {
            ingest,
            plain,
            ratio,
            drain_seconds,
        });
    }
    let median_ratio = median(rounds.iter().map(|r| r.ratio).collect());
    Ok(PairedResult {
        raw_frames: opts.raw_frames,
        rounds,
        median_ratio,
    })
}

/// Waits until the gateway has worked off its backlog — the device stream has not grown
/// for a second — at most 120 s; returns how long that took.
async fn drain(stack: &Stack) -> anyhow::Result<f64> {
    let started = Instant::now();
    let device = stack.device_stream();
    let mut last = stack.stored(&device).await?;
    let mut still = 0;
    while started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = stack.stored(&device).await?;
        still = if now == last { still + 1 } else { 0 };
        last = now;
        if still >= 4 {
            break;
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(vec![0.8, 0.5, 0.6]), 0.6);
        // Values exact in binary, so the mean of the middle two is too.
        assert_eq!(median(vec![1.0, 0.25, 0.75, 0.5]), 0.625);
        assert_eq!(median(vec![]), 0.0);
    }
}
