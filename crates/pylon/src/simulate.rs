//! `pylon sim`: runs simulated DNY piles and GN gateways (the `sim` crate) against a
//! gateway until SIGINT/SIGTERM, printing a one-line summary every few seconds.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use sim::{Fleet, FleetConfig, NetConfig, PowerCurve, Profile};

/// `pylon sim --dny N --gn M [--ports K] --target HOST:PORT [--profile …]`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// DNY piles to run.
    #[arg(long, default_value_t = 0)]
    dny: u32,
    /// GN gateways to run.
    #[arg(long, default_value_t = 0)]
    gn: u32,
    /// Ports per DNY pile (1–16).
    #[arg(long, default_value_t = 2)]
    ports: u8,
    /// Sockets behind each GN gateway (1–250), two ports each.
    #[arg(long, default_value_t = 2)]
    sockets: u8,
    /// The gateway's device port.
    #[arg(long, default_value = "127.0.0.1:7054")]
    target: String,
    /// Behaviour: `realistic` (protocol periods), `demo` (plus card swipes), `bench`
    /// (60 s heartbeats, no modem keepalive).
    #[arg(long, default_value = "realistic")]
    profile: String,
    /// Simulated seconds per wall second (3600: a 2-hour charge in 2 s).
    #[arg(long, default_value_t = 1)]
    speed: u32,
    /// Power curve: `constant:<W>` or `ramp:<peak W>,<ramp s>,<hold s>,<taper s>,<floor W>`.
    #[arg(long)]
    curve: Option<PowerCurve>,
    /// Index of the first pile of each protocol; ids derive from it.
    #[arg(long, default_value_t = 0)]
    first_index: u32,
    /// Source addresses to connect from, comma-separated (e.g. 127.0.0.1,127.0.0.2);
    /// one loopback address allows only ~28k connections.
    #[arg(long, value_delimiter = ',')]
    source: Vec<IpAddr>,
    /// Connects per second while the fleet starts (0: all at once).
    #[arg(long, default_value_t = 1000)]
    connect_rate: u32,
    /// SO_SNDBUF/SO_RCVBUF per connection in bytes (small values save kernel memory).
    #[arg(long)]
    socket_buffer: Option<u32>,
    /// Each pile swipes a card about this often (simulated seconds).
    #[arg(long)]
    swipe_every: Option<u64>,
    /// Precede every n-th frame with a malformed one.
    #[arg(long)]
    malformed_every: Option<u32>,
    /// Ignore the n-th server command of each pile, so the gateway must resend it.
    #[arg(long)]
    drop_command: Option<u32>,
    /// Seconds between summary lines.
    #[arg(long, default_value_t = 5)]
    summary_every: u64,
}

impl SimArgs {
    fn fleet_config(self) -> anyhow::Result<FleetConfig> {
        if self.dny == 0 && self.gn == 0 {
            anyhow::bail!("nothing to simulate: give --dny and/or --gn");
        }
        let mut profile = Profile::named(&self.profile)?;
        if let Some(curve) = self.curve {
            profile.curve = curve;
        }
        if let Some(s) = self.swipe_every {
            profile.swipe_every = Some(Duration::from_secs(s.max(1)));
        }
        profile.faults.malformed_every = self.malformed_every;
        profile.faults.drop_command = self.drop_command;
        profile.faults.drop_count = 1;
        let mut net = NetConfig::resolve(&self.target)?;
        net.source_addrs = self.source;
        net.socket_buffer = self.socket_buffer;
        let mut cfg = FleetConfig::new(self.dny, self.gn, net);
        cfg.dny_ports = self.ports;
        cfg.gn_sockets = self.sockets;
        cfg.first_index = self.first_index;
        cfg.profile = profile;
        cfg.speed = self.speed;
        cfg.connect_rate = self.connect_rate;
        Ok(cfg)
    }
}

pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let every = Duration::from_secs(args.summary_every.max(1));
    let (speed, profile, target) = (args.speed, args.profile.clone(), args.target.clone());
    let cfg = match args.fleet_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pylon: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    println!(
        "pylon sim: {} DNY piles ({} ports), {} GN gateways ({} sockets) -> {target}, profile {profile}, speed {speed}x",
        cfg.dny, cfg.dny_ports, cfg.gn, cfg.gn_sockets
    );
    let fleet = Fleet::start(cfg)?;
    let stop = runtime::app::stop_on_signals();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => println!("{}", fleet.summary()),
            () = stop.cancelled() => break,
        }
    }
    fleet.shutdown(Duration::from_secs(5)).await;
    println!("{}", fleet.summary());
    Ok(ExitCode::SUCCESS)
}
