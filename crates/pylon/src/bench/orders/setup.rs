//! Set-up through the public APIs, as an operator's console and drivers' apps would:
//! the operator's administrator (bootstrapped), a flat tariff at the operator's root,
//! the piles in one CSV import, and drivers with topped-up wallets.

use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use serde_json::{Value, json};

/// Electricity 1.0 + service 0.5 yuan per kWh: an order costs round(Wh × 0.15) fen.
pub const MILLIFEN_PER_KWH: i64 = 150_000;
pub const TOP_UP_FEN: i64 = 100_000;
const DRIVER_PASSWORD: &str = "Bench-driver-2026";

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_default(),
            base,
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.with_context(|| format!("calling {path}"))?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (s, v) = self.call(method, path, token, body).await?;
        if s != 200 {
            bail!("{path}: HTTP {s}: {v}");
        }
        Ok(v["data"].clone())
    }

    pub async fn login(&self, tenant: &str, who: &str, password: &str) -> anyhow::Result<String> {
        let r: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"tenant": tenant, "identifier": who, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        r["data"]["access_token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("login of {who}: {r}"))
    }
}

/// The tariff, assigned at the operator's root node `/<tenant>/`.
pub async fn tariff(api: &Api, admin: &str, tenant_id: &str) -> anyhow::Result<()> {
    use reqwest::Method as M;
    let body = json!({"energy": {"flat": {
        "electricity_millifen_per_kwh": 100_000,
        "service_millifen_per_kwh": MILLIFEN_PER_KWH - 100_000,
    }}});
    let t = api
        .ok(
            M::POST,
            "/api/v1/billing/tariffs",
            admin,
            Some(json!({"name": "bench flat", "body": body})),
        )
        .await?;
    api.ok(
        M::POST,
        "/api/v1/billing/assignments",
        admin,
        Some(json!({"node_path": format!("/{tenant_id}/"), "tariff_id": t["id"]})),
    )
    .await?;
    Ok(())
}

/// Registers `devices` (two-port DNY piles) in imports of at most 5,000 rows.
pub async fn devices(api: &Api, admin: &str, devices: &[String]) -> anyhow::Result<()> {
    for chunk in devices.chunks(5_000) {
        let mut csv = String::from("device_id,protocol,port_count\n");
        for d in chunk {
            csv.push_str(d);
            csv.push_str(",dny,2\n");
        }
        let r: Value = api
            .http
            .post(format!("{}/api/v1/charging/devices/import", api.base))
            .bearer_auth(admin)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await?
            .json()
            .await?;
        if r["data"]["created"].as_u64() != Some(chunk.len() as u64) {
            bail!("importing devices: {r}");
        }
    }
    Ok(())
}

/// `n` drivers signed up and topped up (16 at a time); their tokens.
pub async fn drivers(api: &Api, tenant: &str, n: u32) -> anyhow::Result<Vec<String>> {
    futures::stream::iter(0..n)
        .map(|i| driver(api, tenant, i))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

async fn driver(api: &Api, tenant: &str, i: u32) -> anyhow::Result<String> {
    let email = format!("driver{i}@bench.pylon.local");
    let r: Value = api
        .http
        .post(format!("{}/api/v1/auth/register", api.base))
        .json(&json!({"tenant": tenant, "email": email, "password": DRIVER_PASSWORD, "display_name": format!("Bench driver {i}")}))
        .send()
        .await?
        .json()
        .await?;
    let token = r["data"]["access_token"]
        .as_str()
        .with_context(|| format!("registering {email}: {r}"))?
        .to_owned();
    let r = api
        .http
        .post(format!("{}/api/v1/payment/top-ups", api.base))
        .bearer_auth(&token)
        .header("Idempotency-Key", format!("bench-topup-{i}"))
        .json(&json!({"amount_fen": TOP_UP_FEN, "provider": "sandbox", "channel": "sandbox"}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("top-up of {email}: HTTP {}", r.status());
    }
    for _ in 0..200 {
        let w = api
            .ok(reqwest::Method::GET, "/api/v1/payment/wallet", &token, None)
            .await?;
        if w["balance_fen"].as_i64() == Some(TOP_UP_FEN) {
            return Ok(token);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the top-up of {email} was never credited")
}

/// `months` monthly partitions of `charging.orders` before this month (empty), as a
/// deployment that has run that long has: the platform's migration made this month and
/// the next ones.
pub async fn history(database_url: &str, months: u32) -> anyhow::Result<()> {
    use charging::orders::partitions::MonthPartition;
    let pool = sqlx::PgPool::connect(database_url).await?;
    let mut month = MonthPartition::containing(chrono::Utc::now(), 0).context("this month")?;
    for _ in 0..months {
        month = MonthPartition::containing(month.from() - chrono::Duration::days(1), 0)
            .context("a past month")?;
        charging::orders::store::partitions::create(&pool, &month).await?;
    }
    pool.close().await;
    Ok(())
}
