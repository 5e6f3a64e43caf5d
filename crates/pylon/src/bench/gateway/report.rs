//! The results: one structure, printed as Markdown tables (what `docs/benchmarks.md`
//! shows) or as JSON (`--json`, what the smoke test reads), with the goals
//! judged against it.

use serde::Serialize;

use super::baseline::BaselineResult;
use super::check::Consistency;
use super::commands::CommandsResult;
use super::connect::ConnectResult;
use super::ingest::IngestResult;
use super::latency::LatencyResult;
use super::paired::PairedResult;

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub mem_total_bytes: u64,
    /// RLIMIT_NOFILE after raising it (the gateway inherits it).
    pub nofile_limit: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub namespace: String,
    pub connect: Option<ConnectResult>,
    pub ingest: Vec<IngestResult>,
    pub latency: Option<LatencyResult>,
    pub baseline: Vec<BaselineResult>,
    /// Alternating ingest and plain-publish windows: what the ratio goal is judged on.
    pub paired: Option<PairedResult>,
    pub consistency: Option<Consistency>,
    pub commands: CommandsResult,
    pub goals: Vec<Goal>,
    /// Streams (and KV buckets) of the private namespace removed at the end.
    pub streams_deleted: usize,
}

/// One goal of issue 4; `met` is `None` when the run did not measure it.
#[derive(Clone, Debug, Serialize)]
pub struct Goal {
    pub name: &'static str,
    pub target: &'static str,
    pub measured: String,
    pub met: Option<bool>,
}

impl Report {
    /// The plain-publish baseline matching an ingest run's messages.
    pub fn baseline_for(&self, run: &IngestResult) -> Option<&BaselineResult> {
        let mode = if run.raw_frames {
            "events+raw"
        } else {
            "events"
        };
        self.baseline.iter().find(|b| b.mode == mode)
    }

    /// Ingest of `run` as a share of its baseline's rate.
    pub fn ratio(&self, run: &IngestResult) -> Option<f64> {
        self.baseline_for(run)
            .filter(|b| b.events_per_s > 0.0)
            .map(|b| run.events_per_s / b.events_per_s)
    }

    /// Judges the goals of issue 4 against what was measured.
    pub fn judge(&mut self) {
        let mut goals = Vec::new();
        goals.push(match &self.connect {
            Some(c) => Goal {
                name: "concurrent idle piles",
                target: ">= 50,000",
                measured: format!("{} of {}", c.connected_gateway, c.piles),
                met: Some(c.all_connected && c.connected_gateway >= 50_000),
            },
            None => unmeasured("concurrent idle piles", ">= 50,000"),
        });
        goals.push(match &self.connect {
            Some(c) => Goal {
                name: "gateway memory per idle connection",
                target: "<= 16 KiB",
                measured: format!("{:.1} KiB", c.gateway_bytes_per_connection / 1024.0),
                met: Some(c.gateway_bytes_per_connection <= 16.0 * 1024.0),
            },
            None => unmeasured("gateway memory per idle connection", "<= 16 KiB"),
        });
        let headline = self.ingest.first();
        goals.push(match headline {
            Some(i) => Goal {
                name: "sustained ingest into JetStream",
                target: ">= 20,000 frames/s",
                measured: format!("{:.0}/s (slowest second {:.0})", i.events_per_s, i.min_1s),
                met: Some(i.events_per_s >= 20_000.0),
            },
            None => unmeasured("sustained ingest into JetStream", ">= 20,000 frames/s"),
        });
        goals.push(self.ratio_goal());
        goals.push(match &self.latency {
            Some(l) => Goal {
                name: "frame-to-event latency p99",
                target: "< 50 ms",
                measured: if l.received == 0 {
                    format!("no event within 5 s for any of {} frames", l.sent)
                } else if l.lost > 0 {
                    format!(
                        "{:.1} ms; {} of {} frames had no event within 5 s",
                        l.p99_ms, l.lost, l.sent
                    )
                } else {
                    format!("{:.1} ms", l.p99_ms)
                },
                met: Some(l.received > 0 && l.lost == 0 && l.p99_ms < 50.0),
            },
            None => unmeasured("frame-to-event latency p99", "< 50 ms"),
        });
        let c = &self.commands;
        goals.push(Goal {
            name: "command round trip p99",
            target: "< 100 ms",
            measured: if c.measured {
                format!("{:.1} ms ({})", c.all.p99_ms, c.note)
            } else {
                c.note.clone()
            },
            met: c
                .measured
                .then(|| c.all.p99_ms < 100.0 && c.outcomes.get("OK").copied() == Some(c.calls)),
        });
        self.goals = goals;
    }

    /// Ingest vs plain publish: the median of the alternating rounds when they ran, else
    /// the headline ingest run against the publish loop run after it.
    fn ratio_goal(&self) -> Goal {
        let goal = |measured: String, met| Goal {
            name: "ingest vs plain JetStream publish",
            target: ">= 70 %",
            measured,
            met,
        };
        // A gateway that kept up with what was offered shows only a lower bound.
        let judged = |ratio: f64, measured: String, kept_up: bool| {
            if ratio >= 0.7 {
                goal(measured, Some(true))
            } else if kept_up {
                goal(
                    format!(
                        ">= {measured}: the gateway kept up with what was offered; offer more to find its limit"
                    ),
                    None,
                )
            } else {
                goal(measured, Some(false))
            }
        };
        if let Some(p) = &self.paired {
            let rounds: Vec<String> = p
                .rounds
                .iter()
                .map(|r| format!("{:.0} %", r.ratio * 100.0))
                .collect();
            let kept_up = p.rounds.iter().all(|r| kept_up(&r.ingest));
            let measured = format!(
                "{:.0} % (median of alternating rounds: {})",
                p.median_ratio * 100.0,
                rounds.join(", ")
            );
            return judged(p.median_ratio, measured, kept_up);
        }
        let headline = self.ingest.first();
        match headline.zip(headline.and_then(|i| self.ratio(i))) {
            Some((i, r)) => judged(r, format!("{:.0} %", r * 100.0), kept_up(i)),
            None => unmeasured("ingest vs plain JetStream publish", ">= 70 %"),
        }
    }

    /// Whether the run's own checks passed (not the goals).
    pub fn consistent(&self) -> bool {
        let connected = self.connect.as_ref().is_none_or(|c| c.all_connected);
        let checked = self
            .consistency
            .as_ref()
            .is_none_or(|c| c.connections_match && c.events_match);
        let latency = self.latency.as_ref().is_none_or(|l| l.lost == 0);
        connected && checked && latency
    }

    pub fn goals_met(&self) -> bool {
        self.goals.iter().all(|g| g.met != Some(false))
    }

    /// Markdown tables.
    pub fn print(&self) {
        let m = &self.machine;
        println!("## pylon bench gateway\n");
        println!(
            "machine: {} cores, {:.1} GiB; RLIMIT_NOFILE {}; NATS namespace {} (removed: {} streams)\n",
            m.cores,
            gib(m.mem_total_bytes),
            m.nofile_limit,
            self.namespace,
            self.streams_deleted
        );
        if let Some(c) = &self.connect {
            print_connect(c);
        }
        if !self.ingest.is_empty() {
            println!("### Ingest (events stored in PYLON_DEVICE)\n");
            println!(
                "| run | raw frames | idle piles | load piles × speed | offered / written/s | stored/s | slowest–fastest second | raw stored/s | backlog growth | vs plain publish | CPU µs per event gateway / NATS | CPU cores gateway / NATS / bench / other, machine busy | gateway RSS at the end |"
            );
            println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            for i in &self.ingest {
                println!(
                    "| {} | {} | {} | {} × {} | {:.0} / {:.0} | **{:.0}** | {:.0}–{:.0} | {:.0} | {} | {} | {:.0} / {:.0} | {} | {:.0} MiB |",
                    i.label,
                    on_off(i.raw_frames),
                    i.idle_piles,
                    i.load_piles,
                    i.speed,
                    i.offered_per_s,
                    i.frames_sent_per_s,
                    i.events_per_s,
                    i.min_1s,
                    i.max_1s,
                    i.raw_per_s,
                    i.backlog_growth,
                    self.ratio(i)
                        .map_or("–".into(), |r| format!("{:.0} %", r * 100.0)),
                    i.gateway_us_per_event,
                    i.nats_us_per_event,
                    cpu(&i.cpu),
                    i.gateway_rss_end_bytes as f64 / 1_048_576.0,
                );
            }
            println!();
        }
        if !self.baseline.is_empty() {
            println!(
                "### Plain async-nats JetStream publish loop (same streams, sizes, headers)\n"
            );
            println!(
                "| mode | concurrency | events/s (acked) | raw/s | event bytes | raw bytes | errors | CPU µs per event NATS / client | CPU cores gateway / NATS / bench / other, machine busy |"
            );
            println!("|---|---|---|---|---|---|---|---|---|");
            for b in &self.baseline {
                println!(
                    "| {} | {} | **{:.0}** | {:.0} | {} | {} | {} | {:.0} / {:.0} | {} |",
                    b.mode,
                    b.concurrency,
                    b.events_per_s,
                    b.raw_per_s,
                    b.event_bytes,
                    b.raw_bytes,
                    b.errors,
                    b.nats_us_per_event,
                    b.client_us_per_event,
                    cpu(&b.cpu)
                );
            }
            println!();
        }
        if let Some(p) = &self.paired {
            print_paired(p);
        }
        if let Some(l) = &self.latency {
            println!(
                "### Frame-to-event latency (write to the socket → event received from JetStream)\n"
            );
            println!(
                "| probes × frames/s | background offered/s | idle piles | sent | received | lost | p50 | p90 | p99 | p99.9 | max | CPU cores gateway / NATS / bench / other, machine busy |"
            );
            println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
            let t = |v: f64| {
                if l.received == 0 {
                    "–".to_owned()
                } else {
                    format!("{v:.2} ms")
                }
            };
            println!(
                "| {} × {} | {:.0} | {} | {} | {} | {} | {} | {} | **{}** | {} | {} | {} |\n",
                l.probes,
                l.rate_per_probe,
                l.background_offered_per_s,
                l.idle_piles,
                l.sent,
                l.received,
                l.lost,
                t(l.p50_ms),
                t(l.p90_ms),
                t(l.p99_ms),
                t(l.p999_ms),
                t(l.max_ms),
                cpu(&l.cpu)
            );
            if let Some(raw) = &l.raw {
                println!(
                    "The same frames' raw frames from core NATS (into NATS as the events, not stored by JetStream): {} received, {}\n",
                    raw.count,
                    raw.brief()
                );
            }
            let s = &l.stages;
            println!(
                "Where the events' time went (the machine's clock; the gateway's decode time, JetStream's store time): write → decoded by the gateway {}; decoded → stored {}; stored → received {}\n",
                s.to_gateway.brief(),
                s.to_stored.brief(),
                s.to_consumer.brief()
            );
        }
        if self.commands.measured {
            print_commands(&self.commands);
        }
        if let Some(c) = &self.consistency {
            println!(
                "consistency: connections sim {} / gateway {} ({}); events stored {} vs gateway {} + connection disconnects {}: difference {} ({}, {})\n",
                c.connections_sim,
                c.connections_gateway,
                ok(c.connections_match),
                c.events_stored,
                c.events_gateway,
                c.connection_disconnects,
                c.difference,
                ok(c.events_match),
                if c.quiet {
                    "quiet"
                } else {
                    "still moving: within events in flight"
                }
            );
        }
        println!("### Goals (issue 4)\n");
        println!("| goal | target | measured | met |");
        println!("|---|---|---|---|");
        for g in &self.goals {
            let met = match g.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            };
            println!("| {} | {} | {} | {met} |", g.name, g.target, g.measured);
        }
    }
}

fn print_connect(c: &ConnectResult) {
    println!("### Idle connections\n");
    println!(
        "| piles (DNY / GN) | gateways | sources | connected sim / gateway | connect time | gateway RSS before → after (peak) | **per connection** | kernel TCP per connection (both ends) | simulator per pile | idle CPU cores gateway / NATS / sim |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} ({} / {}) | {} | {} | {} / {} | {:.1} s at {}/s | {:.1} → {:.1} MiB ({:.1}) | **{:.1} KiB** | {:.1} KiB | {:.1} KiB | {:.3} / {:.3} / {:.3} over {:.0} s |\n",
        c.piles,
        c.dny,
        c.gn,
        c.gateways,
        c.sources,
        c.connected_sim,
        c.connected_gateway,
        c.seconds_to_connect,
        c.connect_rate,
        mib(c.gateway_rss_before_bytes),
        mib(c.gateway_rss_after_bytes),
        mib(c.gateway_peak_rss_bytes),
        c.gateway_bytes_per_connection / 1024.0,
        c.kernel_tcp_bytes_per_connection / 1024.0,
        c.sim_bytes_per_pile / 1024.0,
        c.idle_cpu.gateway_cores,
        c.idle_cpu.nats_server_cores,
        c.idle_cpu.bench_cores,
        c.idle_seconds,
    );
}

fn print_paired(p: &PairedResult) {
    println!(
        "### Ingest vs plain publish in alternating windows (raw frames {}; a gateway of its own, no idle piles)\n",
        on_off(p.raw_frames)
    );
    println!(
        "| round | ingest stored/s | slowest second | plain publish events/s | **ratio** | CPU µs per event gateway / NATS (ingest) | NATS / client (plain) | drain before plain | CPU cores gateway / NATS / bench / other, machine busy (ingest; plain) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &p.rounds {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | **{:.0} %** | {:.0} / {:.0} | {:.0} / {:.0} | {:.1} s | {}; {} |",
            r.ingest.label,
            r.ingest.events_per_s,
            r.ingest.min_1s,
            r.plain.events_per_s,
            r.ratio * 100.0,
            r.ingest.gateway_us_per_event,
            r.ingest.nats_us_per_event,
            r.plain.nats_us_per_event,
            r.plain.client_us_per_event,
            r.drain_seconds,
            cpu(&r.ingest.cpu),
            cpu(&r.plain.cpu),
        );
    }
    println!("\nmedian ratio: **{:.0} %**\n", p.median_ratio * 100.0);
}

/// Stored at least 95 % of what was offered: the run did not reach the gateway's limit.
fn kept_up(i: &IngestResult) -> bool {
    i.events_per_s >= 0.95 * i.offered_per_s
}

fn unmeasured(name: &'static str, target: &'static str) -> Goal {
    Goal {
        name,
        target,
        measured: "not run".into(),
        met: None,
    }
}

fn cpu(c: &super::procfs::CpuUse) -> String {
    format!(
        "{:.2} / {:.2} / {:.2} / {:.2}, {:.0} %",
        c.gateway_cores, c.nats_server_cores, c.bench_cores, c.other_cores, c.machine_busy_pct
    )
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn ok(b: bool) -> &'static str {
    if b { "match" } else { "MISMATCH" }
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn gib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0 * 1024.0)
}

fn print_commands(c: &super::commands::CommandsResult) {
    println!(
        "### Commands (DeviceControl round trip; each device's next command ≥ 0.6 s after its last, so DNY pacing never applies)\n"
    );
    println!(
        "{} DNY piles + {} GN gateways, {} callers: {} calls in {:.1} s ({:.0}/s); outcomes {:?}\n",
        c.dny_piles, c.gn_gateways, c.concurrency, c.calls, c.seconds, c.calls_per_s, c.outcomes
    );
    println!("| command | calls | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, p: &super::commands::Percentiles| {
        println!(
            "| {name} | {} | {:.1} ms | {:.1} ms | **{:.1} ms** | {:.1} ms |",
            p.calls, p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms
        );
    };
    for (k, p) in &c.by_kind {
        row(k, p);
    }
    row("all", &c.all);
    println!();
}
