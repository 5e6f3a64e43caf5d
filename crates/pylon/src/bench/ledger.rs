//! `pylon bench ledger`: hold + capture throughput of the wallet ledger
//! (`payment::app::holds`) on one wallet and across many, with latency percentiles, and
//! a check afterwards that every balance is exactly what the operations imply and the
//! books balance. An inconsistent run exits 1.
//!
//! It uses the configured PostgreSQL: a scratch database (dropped afterwards) with the
//! payment schema migrated, a pool of `--concurrency` connections, and a private NATS
//! namespace for the subjects of the outbox rows the ledger writes (no relay runs, so
//! nothing is published). The calls are the library functions the payment service's
//! handlers call; HTTP and gRPC are not in the measurement.

mod books;
mod load;
mod report;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::ValueEnum;

use super::scratch::Scratch;
use load::Setup;
use report::{PhaseReport, Report};

/// `pylon bench ledger` options.
#[derive(Debug, clap::Args)]
pub struct LedgerArgs {
    /// Hold + capture pairs per phase.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pairs: u32,
    /// Pairs in flight at once; also the size of the connection pool.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1000))]
    concurrency: u32,
    /// Wallets of the "many" phase (pair i uses wallet i mod wallets).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    wallets: u32,
    /// Which phases to run.
    #[arg(long, value_enum, default_value_t = Phase::All)]
    phase: Phase,
    /// Measure without planner statistics (a fresh database, before autovacuum).
    #[arg(long)]
    no_analyze: bool,
    /// Print the report as JSON instead of Markdown tables.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// Every pair on one wallet: the wallet's row lock serialises them.
    One,
    /// Pairs spread round-robin over `--wallets` wallets of one tenant.
    Many,
    /// `one`, then `many`.
    All,
}

pub async fn execute(args: LedgerArgs, config: runtime::Config) -> anyhow::Result<ExitCode> {
    let scratch = Scratch::create(&config).await?;
    let result = run(&args, &config, &scratch).await;
    scratch.drop_db().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.markdown());
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn run(
    args: &LedgerArgs,
    base_config: &runtime::Config,
    scratch: &Scratch,
) -> anyhow::Result<Report> {
    let mut config = base_config.clone();
    config.database.url = runtime::Secret::new(scratch.url.clone());
    runtime::app::migrate(&config, &[Arc::new(payment::Payment::default())])
        .await
        .context("migrating the payment schema")?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(args.concurrency)
        .acquire_timeout(Duration::from_secs(60))
        .connect(&scratch.url)
        .await
        .context("connecting to the scratch database")?;
    let namespace = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let ns = bus::Namespace::new(&namespace)?;

    let load_before = crate::bench::procfs::load_average();
    let mut phases = Vec::new();
    let wanted: &[(&'static str, u32)] = match args.phase {
        Phase::One => &[("one", 1)],
        Phase::Many => &[("many", args.wallets)],
        Phase::All => &[("one", 1), ("many", args.wallets)],
    };
    for &(name, wallets) in wanted {
        let setup = Setup::new(pool.clone(), ns.clone(), wallets as usize);
        phases.push(phase(name, &setup, args).await?);
    }
    pool.close().await;
    let passed = phases.iter().all(|p| p.checks.passed && p.errors == 0);
    Ok(Report {
        pairs: args.pairs,
        concurrency: args.concurrency,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        namespace,
        load_average_before: load_before,
        load_average_after: crate::bench::procfs::load_average(),
        analyzed: !args.no_analyze,
        phases,
        passed,
    })
}

async fn phase(
    name: &'static str,
    setup: &Setup,
    args: &LedgerArgs,
) -> anyhow::Result<PhaseReport> {
    let pairs = args.pairs as usize;
    let concurrency = args.concurrency as usize;
    let funded = setup.fund(pairs, concurrency).await?;
    if !args.no_analyze {
        setup.analyze().await?;
    }
    let outcome = setup.drive(pairs, concurrency).await?;
    let checks = books::verify(setup, &funded, &outcome, concurrency).await?;
    Ok(PhaseReport::new(name, setup.owners.len(), &outcome, checks))
}
