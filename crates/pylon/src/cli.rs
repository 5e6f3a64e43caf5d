//! The command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pylon",
    version,
    about = "Pylon — an open-source charging platform"
)]
pub struct Cli {
    /// Configuration file (TOML). Also `PYLON_CONFIG`. Environment `PYLON_<SECTION>__<KEY>`
    /// overrides the file.
    #[arg(long, global = true, env = runtime::config::CONFIG_PATH_ENV)]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run services: `all`, or any of gateway identity charging billing payment
    /// notification analytics.
    Run {
        #[arg(required = true, value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Apply database migrations (PostgreSQL schemas, ClickHouse) and declare the
    /// JetStream streams, for all services or the ones named.
    Migrate {
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Decode device frames (hex, with or without spaces; one argument per frame or a
    /// whole captured stream) and print one JSON object per frame.
    Decode {
        #[arg(long, value_enum, default_value = "auto")]
        protocol: crate::decode::ProtocolArg,
        #[arg(long, value_enum, default_value = "auto")]
        direction: crate::decode::DirectionArg,
        #[arg(required = true, value_name = "HEX")]
        hex: Vec<String>,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Administration: `pylon admin bootstrap` creates the first operator and admin.
    Admin {
        #[command(subcommand)]
        command: crate::admin::AdminCommand,
    },
    /// Run simulated piles against a gateway until Ctrl-C:
    /// `pylon sim --dny N --gn M [--ports K] --target HOST:PORT [--profile …]`.
    Sim(crate::simulate::SimArgs),
    /// Simulated drivers charging on the demo fleet through the REST APIs (`make run`).
    Demo(crate::demo::DemoArgs),
    /// Benchmarks against the configured stack: `pylon bench auth`, `pylon bench gateway`,
    /// `pylon bench ledger`, `pylon bench orders`.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration as TOML, secrets masked.
    Print,
}

impl Cli {
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone()
    }
}

pub async fn execute(cli: Cli, config: runtime::Config) -> anyhow::Result<ExitCode> {
    let config_path = cli.config_path();
    match cli.command {
        Command::Decode {
            protocol,
            direction,
            hex,
        } => Ok(crate::decode::run(protocol, direction, &hex)),
        Command::Config {
            command: ConfigCommand::Print,
        } => {
            print!("{}", config.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { services } => {
            let _telemetry = runtime::telemetry::init(&config.telemetry)?;
            let names = if services.is_empty() {
                vec!["all".to_owned()]
            } else {
                services
            };
            let selected = match crate::services::select(&names) {
                Ok(s) => s,
                Err(e) => return usage_error(&e),
            };
            runtime::app::migrate(&config, &selected).await?;
            let bus = runtime::app::connect_nats(&config).await?;
            runtime::app::declare_streams(&config, &bus).await?;
            tracing::info!("migrations applied, streams declared");
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command } => {
            let _telemetry = runtime::telemetry::init(&config.telemetry)?;
            crate::admin::execute(command, config).await
        }
        Command::Sim(args) => {
            let _telemetry = runtime::telemetry::init(&config.telemetry)?;
            crate::simulate::run(args).await
        }
        Command::Demo(args) => {
            let _telemetry = runtime::telemetry::init(&config.telemetry)?;
            crate::demo::execute(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { command } => {
            let _telemetry = runtime::telemetry::init(&config.telemetry)?;
            crate::bench::execute(command, config, config_path).await
        }
        Command::Run { services } => {
            let selected = match crate::services::select(&services) {
                Ok(s) => s,
                Err(e) => return usage_error(&e),
            };
            let telemetry = runtime::telemetry::init(&config.telemetry)?;
            let stop = runtime::app::stop_on_signals();
            let result = runtime::app::run(config, selected, stop, |_| {}).await;
            telemetry.shutdown().await;
            result.map(|()| ExitCode::SUCCESS)
        }
    }
}

fn usage_error(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("pylon: {message}");
    Ok(ExitCode::from(2))
}
