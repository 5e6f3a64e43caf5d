//! `pylon`: parse the command line, load the configuration, start telemetry, hand over to
//! the runtime. Everything else lives in libraries.

mod admin;
mod bench;
mod cli;
mod decode;
mod demo;
mod services;
mod simulate;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: the services allocate small, short-lived buffers
/// per frame and per request, where glibc spent about a fifth of the gateway's CPU
/// (docs/benchmarks.md, "Device gateway").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let config = match runtime::Config::load(cli.config_path().as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pylon: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pylon: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::execute(cli, config)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "pylon failed");
            eprintln!("pylon: {e:#}");
            ExitCode::FAILURE
        }
    }
}
