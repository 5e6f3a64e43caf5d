//! `pylon bench auth`: the cost of authentication as another service sees it, against
//! the real stack of the configuration (PostgreSQL, NATS).
//!
//! It creates a scratch database (and drops it afterwards) and a private NATS
//! namespace, starts identity and a probe service as two separate apps — the probe
//! verifies tokens from identity's JWKS over HTTP, like any other service — then:
//! 1. drives `GET /api/v1/bench/probe` (JWT from the cached JWKS + RBAC check on the
//!    site's path) open-loop at `--rate` requests/s, latency measured from each request's
//!    scheduled time (so a stall is not hidden), and
//! 2. measures login throughput with the configured argon2 parameters.

use crate::bench::stats::pct;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::extract::State;
use axum::routing::get;
use futures::future::BoxFuture;
use runtime::auth::{Auth, OrgPath};
use runtime::http::{ApiResult, ok};
use runtime::{GrpcRoutes, Service, ServiceContext};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::scratch::Scratch;

/// `pylon bench auth` options.
#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// Requests per second for the authenticated GET.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds to run the GET load (after a 2 s warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds to measure logins.
    #[arg(long, default_value_t = 5)]
    login_seconds: u64,
    /// Concurrent logins.
    #[arg(long, default_value_t = 4)]
    login_concurrency: usize,
}

runtime::permission!(DevicesRead = "devices:read");

/// A stand-in for "another service": one endpoint protected like every real one.
struct Probe;

/// The site the probed resource belongs to (set before the probe app starts).
#[derive(Clone)]
struct Site(Option<Arc<OrgPath>>);

impl Service for Probe {
    fn name(&self) -> &'static str {
        "bench"
    }
    fn http(&self, _: &ServiceContext) -> axum::Router {
        axum::Router::new()
            .route("/api/v1/bench/probe", get(probe))
            .with_state(Site(SITE.get().cloned().map(Arc::new)))
    }
    fn grpc(&self, _: &ServiceContext, _: &mut GrpcRoutes) {}
    fn run(&self, ctx: ServiceContext) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            ctx.mark_ready("started");
            ctx.shutdown.cancelled().await;
            Ok(())
        })
    }
}

static SITE: std::sync::OnceLock<OrgPath> = std::sync::OnceLock::new();

/// The resource "lives" on the site; the caller's grant must cover its path.
async fn probe(State(site): State<Site>, auth: Auth<DevicesRead>) -> ApiResult<&'static str> {
    let site = site
        .0
        .ok_or_else(|| runtime::http::ApiError::not_found("site"))?;
    auth.at(&site)?;
    Ok(ok("ok"))
}

pub async fn execute(args: AuthArgs, config: runtime::Config) -> anyhow::Result<ExitCode> {
    let AuthArgs {
        rate,
        seconds,
        login_seconds,
        login_concurrency,
    } = args;
    let scratch = Scratch::create(&config).await?;
    let result = run(
        &config,
        &scratch,
        rate,
        seconds,
        login_seconds,
        login_concurrency,
    )
    .await;
    scratch.drop_db().await;
    result
}

async fn start(
    config: runtime::Config,
    services: Vec<Arc<dyn Service>>,
    stop: CancellationToken,
) -> anyhow::Result<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Err(e) = runtime::app::run(config, services, stop, |b| {
            let _ = tx.send(b.http);
        })
        .await
        {
            eprintln!("bench app failed: {e:#}");
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .context("app did not start")??;
    Ok(format!("http://{addr}"))
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut r = c.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let v: Value = r.send().await?.json().await?;
    anyhow::ensure!(v["code"] == 0, "POST {url}: {v}");
    Ok(v["data"].clone())
}

async fn run(
    base_config: &runtime::Config,
    scratch: &Scratch,
    rate: u32,
    seconds: u64,
    login_seconds: u64,
    login_concurrency: usize,
) -> anyhow::Result<ExitCode> {
    let mut config = base_config.clone();
    config.database.url = runtime::Secret::new(scratch.url.clone());
    config.database.migrate_on_start = true;
    config.nats.namespace = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    config.http.listen = "127.0.0.1:0".parse()?;
    config.grpc.listen = "127.0.0.1:0".parse()?;
    config.identity.login_rate_per_minute = 10_000;
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let identity_url = start(
        config.clone(),
        vec![Arc::new(identity::Identity)],
        stop.clone(),
    )
    .await?;

    let password = "bench-Passw0rd";
    let boot = identity::bootstrap::run(
        &config,
        identity::bootstrap::Bootstrap {
            tenant_code: "bench".into(),
            tenant_name: "Bench Operator".into(),
            email: Some("admin@bench.local".into()),
            phone: None,
            display_name: "Bench Admin".into(),
            password: Some(password.into()),
        },
    )
    .await?;
    let c = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    let login = |who: &'static str| {
        let c = c.clone();
        let url = format!("{identity_url}/api/v1/auth/login");
        async move {
            post(
                &c,
                &url,
                None,
                json!({"tenant": "bench", "identifier": who, "password": password}),
            )
            .await
            .map(|d| d["access_token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let admin = login("admin@bench.local").await?;
    let region = post(
        &c,
        &format!("{identity_url}/api/v1/organizations"),
        Some(&admin),
        json!({"kind": "region", "name": "North", "parent_id": boot.tenant_id}),
    )
    .await?;
    let site = post(
        &c,
        &format!("{identity_url}/api/v1/organizations"),
        Some(&admin),
        json!({"kind": "site", "name": "Depot 1", "parent_id": region["id"]}),
    )
    .await?;
    let user = post(&c, &format!("{identity_url}/api/v1/users"), Some(&admin),
        json!({"node_id": site["id"], "display_name": "Site Manager", "email": "sm@bench.local", "password": password})).await?;
    post(
        &c,
        &format!(
            "{identity_url}/api/v1/users/{}/grants",
            user["id"].as_str().unwrap_or_default()
        ),
        Some(&admin),
        json!({"role": "site_manager", "node_id": site["id"]}),
    )
    .await?;
    let token = login("sm@bench.local").await?;
    let _ = SITE.set(OrgPath::parse(site["path"].as_str().unwrap_or_default())?);

    let mut probe_config = config.clone();
    probe_config.auth.jwks_url = format!("{identity_url}/.well-known/jwks.json");
    probe_config.database.migrate_on_start = false;
    let probe_url = format!(
        "{}/api/v1/bench/probe",
        start(probe_config, vec![Arc::new(Probe)], stop.clone()).await?
    );

    // Warm-up: connections, JWKS fetch.
    let _ = drive(&c, &probe_url, &token, rate, 2).await;
    let (lat, errors) = drive(&c, &probe_url, &token, rate, seconds).await;
    let logins = login_throughput(
        &c,
        &identity_url,
        password,
        login_seconds,
        login_concurrency,
    )
    .await;

    let id = &config.identity;
    println!("## pylon bench auth\n");
    println!(
        "authenticated GET on another service (JWT from cached JWKS + RBAC check), open loop:\n"
    );
    println!("| rate (req/s) | seconds | requests | errors | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {rate} | {seconds} | {} | {errors} | {} | {} | {} | {} |",
        lat.len() + errors,
        ms(pct(&lat, 50.0)),
        ms(pct(&lat, 90.0)),
        ms(pct(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    println!(
        "\nlogin (argon2id m={} KiB, t={}, p={}), {login_concurrency} concurrent, {login_seconds} s: {} logins, {:.1}/s\n",
        id.argon2_memory_kib,
        id.argon2_iterations,
        id.argon2_parallelism,
        logins,
        logins as f64 / login_seconds as f64
    );
    let pass = pct(&lat, 99.0) < Duration::from_millis(5) && errors == 0;
    println!(
        "target p99 < 5 ms with no errors: {}",
        if pass { "met" } else { "NOT met" }
    );
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sends `rate` requests per second for `seconds`; returns sorted latencies (from each
/// request's scheduled start) and the error count.
async fn drive(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    rate: u32,
    seconds: u64,
) -> (Vec<Duration>, usize) {
    let total = u64::from(rate) * seconds;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let (c, url, token) = (c.clone(), url.to_owned(), token.to_owned());
        tasks.spawn(async move {
            let res = c.get(&url).bearer_auth(&token).send().await;
            let ok = matches!(&res, Ok(r) if r.status().is_success());
            (due.elapsed(), ok)
        });
    }
    let mut lat = Vec::with_capacity(total as usize);
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok((d, true)) => lat.push(d),
            _ => errors += 1,
        }
    }
    lat.sort();
    (lat, errors)
}

async fn login_throughput(
    c: &reqwest::Client,
    base: &str,
    password: &str,
    seconds: u64,
    concurrency: usize,
) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (c, url, pw) = (
            c.clone(),
            format!("{base}/api/v1/auth/login"),
            password.to_owned(),
        );
        tasks.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body =
                    json!({"tenant": "bench", "identifier": "sm@bench.local", "password": pw});
                if post(&c, &url, None, body).await.is_ok() {
                    n += 1;
                }
            }
            n
        });
    }
    let mut n = 0;
    while let Some(r) = tasks.join_next().await {
        n += r.unwrap_or(0);
    }
    n
}
