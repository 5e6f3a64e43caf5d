//! `pylon bench orders`: charging orders end to end (issue 7). Drivers create orders at
//! a fixed rate, open loop, on simulated DNY piles charging at accelerated time; each
//! order goes created → authorized → starting → charging → ended → settled through the
//! real services, and the run reports settled orders per second, p50/p99 per stage,
//! the drivers' API latency and who used the CPU.
//!
//! The platform is one `pylon run gateway identity charging billing payment` process
//! (`platform.rs`) on a scratch database and a private NATS namespace, both removed at
//! the end; the piles and drivers run in this process. Everything is set up through the
//! public APIs (`setup.rs`). Stage times come from the charging service's own
//! `order.state_changed` events (`watch.rs`). Every created order must reach a final
//! state by the end of the drain, and every settled amount must be its energy priced
//! by the tariff, or the run exits 1.

mod cpu;
mod drive;
mod platform;
mod report;
mod setup;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use futures::TryStreamExt as _;

use super::scratch::Scratch;
use platform::Platform;

/// `pylon bench orders` options; the defaults are issue 7's goal (≥ 200 orders/s).
#[derive(Debug, clap::Args)]
pub struct OrdersArgs {
    /// Orders per second the drivers create (open loop).
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Seconds of arrivals.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds at the start of the arrivals not counted in the steady settled rate (the
    /// pipeline fills: the first settlements come one charge after the first order).
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Seconds after the arrivals for every order to reach a final state.
    #[arg(long, default_value_t = 60)]
    drain: u64,
    /// Ports to charge on (two-port DNY piles: half as many piles).
    #[arg(long, default_value_t = 2000)]
    ports: u32,
    /// Drivers (wallets); orders go to them round-robin.
    #[arg(long, default_value_t = 200)]
    drivers: u32,
    /// How much faster than real time the piles' clocks run.
    #[arg(long, default_value_t = 300)]
    speed: u32,
    /// The ordered duration of each charge, in the piles' (simulated) seconds.
    #[arg(long, default_value_t = 600)]
    charge_secs: u32,
    /// Percent of orders the driver stops once charging (the rest end at their time).
    #[arg(long, default_value_t = 50)]
    stop_percent: u8,
    /// Past months of order history to give the database (empty monthly partitions
    /// before this one, as a deployment running that long has): what a lookup costs
    /// with more partitions.
    #[arg(long, default_value_t = 0)]
    history_months: u32,
    /// Print the report as JSON instead of Markdown tables.
    #[arg(long)]
    json: bool,
}

const HOLD_FEN: i64 = 2_000;

impl OrdersArgs {
    fn validate(&self) -> Result<(), String> {
        if !(self.rate > 0.0 && self.rate <= 10_000.0) {
            return Err("--rate must be in (0, 10000]".into());
        }
        if self.seconds == 0 || self.warmup >= self.seconds {
            return Err("--seconds must be > 0 and above --warmup".into());
        }
        if self.ports < 2 || !self.ports.is_multiple_of(2) || self.ports > 200_000 {
            return Err("--ports must be even, 2..=200000 (two-port piles)".into());
        }
        if self.drivers == 0 || self.drivers > 10_000 {
            return Err("--drivers must be 1..=10000".into());
        }
        if !(1..=3600).contains(&self.speed) {
            return Err("--speed must be 1..=3600".into());
        }
        if !(60..=86_400).contains(&self.charge_secs) {
            return Err("--charge-secs must be 60..=86400 (what an order may ask)".into());
        }
        if self.stop_percent > 100 {
            return Err("--stop-percent must be 0..=100".into());
        }
        if self.history_months > 120 {
            return Err("--history-months must be 0..=120".into());
        }
        Ok(())
    }

    fn charge_wall(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.charge_secs) / f64::from(self.speed))
    }
}

/// The piles' behaviour: constant 1.5 kW (under a DNY pile's 2 kW overload limit) so an
/// order's energy follows from its time; heartbeats every simulated hour and no modem
/// keepalive, so the background chatter stays small next to the orders' own frames;
/// meter samples every 5 simulated minutes as real piles send them.
fn profile() -> sim::Profile {
    let mut p = sim::Profile::realistic();
    p.curve = sim::PowerCurve::constant_watts(1_500);
    p.dny_heartbeat = Duration::from_secs(3_600);
    p.dny_link_idle = None;
    p
}

pub async fn execute(
    args: OrdersArgs,
    config: runtime::Config,
    config_path: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    if let Err(e) = args.validate() {
        eprintln!("pylon: {e}");
        return Ok(ExitCode::from(2));
    }
    let scratch = Scratch::create(&config).await?;
    let mut cfg = config.clone();
    cfg.database.url = runtime::Secret::new(scratch.url.clone());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let id = id.get(..8).unwrap_or_default();
    cfg.nats.namespace = if config.nats.namespace.is_empty() {
        format!("ordbench{id}")
    } else {
        format!("{}_ordbench{id}", config.nats.namespace)
    };
    let result = run(&args, &cfg, config_path.as_ref(), &scratch.url).await;
    cleanup_streams(&cfg).await;
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
        eprintln!("bench: orders were lost or billed wrongly (see lost, amount_mismatches)");
        ExitCode::FAILURE
    })
}

async fn run(
    args: &OrdersArgs,
    cfg: &runtime::Config,
    config_path: Option<&PathBuf>,
    database_url: &str,
) -> anyhow::Result<report::Report> {
    let platform = Platform::start(config_path, cfg, database_url).await?;
    eprintln!(
        "bench: platform pid {} on {}",
        platform.pid,
        platform.base()
    );
    if args.history_months > 0 {
        setup::history(database_url, args.history_months).await?;
        eprintln!("bench: {} past months of partitions", args.history_months);
    }
    let boot = identity::bootstrap::run(
        cfg,
        identity::bootstrap::Bootstrap {
            tenant_code: "bench".into(),
            tenant_name: "Bench Operator".into(),
            email: Some("admin@bench.pylon.local".into()),
            phone: None,
            display_name: "Bench Admin".into(),
            password: None,
        },
    )
    .await
    .context("bootstrapping the operator")?;
    let password = boot.password.context("the bootstrap made no password")?;
    let api = setup::Api::new(platform.base());
    let admin = api.login("bench", &boot.login, &password).await?;
    let tenant = boot.tenant_id.to_string();
    setup::tariff(&api, &admin, &tenant).await?;
    let piles = args.ports / 2;
    let devices = (0..piles)
        .map(|i| sim::ids::dny_physical_id(i, 2).map(|p| p.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    setup::devices(&api, &admin, &devices).await?;
    let drivers = setup::drivers(&api, "bench", args.drivers).await?;
    eprintln!(
        "bench: {piles} piles registered, {} drivers topped up",
        drivers.len()
    );

    let bus = runtime::app::connect_nats(cfg)
        .await
        .context("connecting to NATS")?;
    let tracks = watch::start(&bus).await?;
    let mut fc = sim::FleetConfig::new(piles, 0, sim::NetConfig::new(platform.device));
    fc.profile = profile();
    fc.speed = args.speed;
    fc.connect_rate = 2_000;
    let fleet = sim::Fleet::start(fc)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60 + u64::from(piles) / 500);
    while fleet.summary().counters.registered < u64::from(piles) {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "only {} of {piles} piles registered: {}",
            fleet.summary().counters.registered,
            platform.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "bench: {piles} piles connected at {}x; driving {} orders/s for {} s",
        args.speed, args.rate, args.seconds
    );

    let ports: Vec<(String, u32)> = devices
        .iter()
        .flat_map(|d| [(d.clone(), 1), (d.clone(), 2)])
        .collect();
    let opts = drive::LoadOptions {
        rate: args.rate,
        seconds: args.seconds,
        stop_percent: args.stop_percent,
        charge_secs: args.charge_secs,
        charge_wall: args.charge_wall(),
        hold_fen: HOLD_FEN,
        drain: Duration::from_secs(args.drain),
    };
    let load_average_before = crate::bench::procfs::load_average();
    let before = cpu::Sample::take(platform.pid);
    let (seconds, pid) = (args.seconds, platform.pid);
    let after = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        cpu::Sample::take(pid)
    });
    let outcome = drive::run(&api, &tracks, ports, &drivers, &opts).await;
    let cpu = before.until(&after.await?);
    fleet.shutdown(Duration::from_secs(5)).await;
    platform.stop();
    let settings = report::Settings {
        rate: args.rate,
        seconds: args.seconds,
        warmup: args.warmup,
        drain_secs: args.drain,
        ports: args.ports,
        piles,
        drivers: args.drivers,
        speed: args.speed,
        charge_secs: args.charge_secs,
        stop_percent: args.stop_percent,
        history_months: args.history_months,
    };
    Ok(report::build(
        settings,
        &outcome,
        &tracks,
        cpu,
        load_average_before,
        setup::MILLIFEN_PER_KWH,
        HOLD_FEN,
    ))
}

/// Deletes every stream (and KV bucket) of the private namespace. Best effort: the
/// results are in hand already.
async fn cleanup_streams(cfg: &runtime::Config) {
    let Ok(bus) = runtime::app::connect_nats(cfg).await else {
        return;
    };
    let prefix = bus.namespace.name("");
    if prefix.is_empty() {
        return;
    }
    let kv = format!("KV_{prefix}");
    let names: Vec<String> = bus
        .jetstream
        .stream_names()
        .try_collect()
        .await
        .unwrap_or_default();
    for name in names
        .into_iter()
        .filter(|n| n.starts_with(&prefix) || n.starts_with(&kv))
    {
        if let Err(e) = bus.jetstream.delete_stream(&name).await {
            eprintln!("bench: stream {name} not deleted: {e}");
        }
    }
}
