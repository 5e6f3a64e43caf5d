//! `pylon bench …`: benchmarks against the real stack of the configuration. Results and
//! how to reproduce them are in `docs/benchmarks.md`.

mod auth;
mod gateway;
mod ledger;
mod orders;
mod process;
mod procfs;
mod scratch;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Authenticated GET on another service at a fixed rate, and login throughput.
    Auth(auth::AuthArgs),
    /// The device gateway as a separate process: idle connections and memory, ingest
    /// rate into JetStream (against a plain publish loop), frame-to-event latency.
    Gateway(gateway::GatewayArgs),
    /// The wallet ledger: hold + capture throughput on one wallet and across many
    /// wallets, with p99, and a check that the books still balance.
    Ledger(ledger::LedgerArgs),
    /// Charging orders end to end on simulated piles at accelerated time: settled orders
    /// per second, p50/p99 per stage, the drivers' API p99, CPU per process.
    Orders(orders::OrdersArgs),
}

/// Runs a benchmark. `config_path` is the file this process was started with, so a
/// process the benchmark starts reads the same configuration.
pub async fn execute(
    command: BenchCommand,
    config: runtime::Config,
    config_path: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Auth(args) => auth::execute(args, config).await,
        BenchCommand::Gateway(args) => gateway::execute(args, config, config_path).await,
        BenchCommand::Ledger(args) => ledger::execute(args, config).await,
        BenchCommand::Orders(args) => orders::execute(args, config, config_path).await,
    }
}
