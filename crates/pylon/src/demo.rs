//! `pylon demo`: simulated drivers charging on the demo fleet, so `make run` shows orders
//! flowing through every state. It uses only the public REST APIs, as a driver's app and
//! an operator's console would: sets up (idempotently) a site, the fleet's DNY piles, a
//! tariff and a few drivers with topped-up wallets, then starts and stops orders forever.

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The REST base URL of the running platform.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// The operator's code and its administrator (password from PYLON_ADMIN_PASSWORD).
    #[arg(long, default_value = "demo")]
    tenant: String,
    #[arg(long, default_value = "admin@pylon.local")]
    email: String,
    /// The DNY piles of `pylon sim --dny N` (same N and --ports).
    #[arg(long, default_value_t = 5)]
    dny: u32,
    #[arg(long, default_value_t = 2)]
    ports: u8,
    /// Simulated drivers.
    #[arg(long, default_value_t = 3)]
    drivers: u32,
    /// Wall seconds a session charges before its driver stops it.
    #[arg(long, default_value_t = 40)]
    session_secs: u64,
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req
            .send()
            .await
            .with_context(|| format!("calling {path}"))?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (s, v) = self.call(method, path, token, body).await?;
        if s != 200 {
            bail!("{path}: HTTP {s}: {v}");
        }
        Ok(v["data"].clone())
    }

    async fn login(&self, tenant: &str, who: &str, password: &str) -> anyhow::Result<String> {
        let v = self
            .ok(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"tenant": tenant, "identifier": who, "password": password})),
            )
            .await?;
        v["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access token")
    }
}

const DRIVER_PASSWORD: &str = "Demo-driver-2026";

pub async fn execute(args: DemoArgs) -> anyhow::Result<()> {
    let password =
        std::env::var("PYLON_ADMIN_PASSWORD").context("PYLON_ADMIN_PASSWORD is not set")?;
    let api = Api {
        http: reqwest::Client::new(),
        base: args.base_url.trim_end_matches('/').to_owned(),
    };
    let admin = api.login(&args.tenant, &args.email, &password).await?;
    let devices = setup(&api, &admin, &args).await?;
    let mut drivers = Vec::new();
    for i in 0..args.drivers {
        drivers.push(driver(&api, &args.tenant, i).await?);
    }
    println!(
        "pylon demo: {} drivers charging on {} piles (Ctrl-C stops)",
        drivers.len(),
        devices.len()
    );
    let mut tasks = Vec::new();
    for (i, token) in drivers.into_iter().enumerate() {
        let api = Api {
            http: api.http.clone(),
            base: api.base.clone(),
        };
        let devices = devices.clone();
        let (ports, session) = (args.ports, args.session_secs);
        tasks.push(tokio::spawn(async move {
            drive(&api, &token, &devices, ports, session, i).await
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Site, devices and tariff, created unless they exist; the piles' ids.
async fn setup(api: &Api, admin: &str, args: &DemoArgs) -> anyhow::Result<Vec<String>> {
    use reqwest::Method as M;
    let nodes = api
        .ok(M::GET, "/api/v1/organizations?limit=200", Some(admin), None)
        .await?;
    let items = nodes["items"].as_array().cloned().unwrap_or_default();
    let operator = items
        .iter()
        .find(|n| n["kind"] == "operator")
        .context("no operator node")?;
    let site_node = match items
        .iter()
        .find(|n| n["kind"] == "site" && n["name"] == "演示站 Demo site")
    {
        Some(s) => s.clone(),
        None => {
            let region = api
                .ok(M::POST, "/api/v1/organizations", Some(admin), Some(json!({"kind": "region", "name": "演示区 Demo region", "parent_id": operator["id"]})))
                .await?;
            api.ok(
                M::POST,
                "/api/v1/organizations",
                Some(admin),
                Some(
                    json!({"kind": "site", "name": "演示站 Demo site", "parent_id": region["id"]}),
                ),
            )
            .await?
        }
    };
    let site_path = site_node["path"].as_str().context("site path")?.to_owned();
    let (s, site) = api
        .call(M::POST, "/api/v1/charging/sites", Some(admin), Some(json!({"node_path": site_path, "name": "演示站 Demo site", "address": "上海市黄浦区人民广场", "lat": 31.2304, "lng": 121.4737})))
        .await?;
    let site_id = if s == 200 {
        site["data"]["id"].clone()
    } else {
        let list = api
            .ok(
                M::GET,
                "/api/v1/charging/sites?limit=200",
                Some(admin),
                None,
            )
            .await?;
        list["items"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["node_path"] == site_path.as_str()))
            .map(|x| x["id"].clone())
            .context("the demo site")?
    };
    let mut devices = Vec::new();
    for i in 0..args.dny {
        let id = sim::ids::dny_physical_id(i, args.ports)?.to_string();
        let (s, v) = api
            .call(M::POST, "/api/v1/charging/devices", Some(admin), Some(json!({"protocol": "dny", "device_id": id, "port_count": args.ports, "site_id": site_id})))
            .await?;
        if s != 200 && s != 409 {
            bail!("registering {id}: HTTP {s}: {v}");
        }
        devices.push(id);
    }
    let resolved = api
        .call(
            M::GET,
            &format!(
                "/api/v1/billing/tariffs/resolve?node_path={}",
                urlencode(&site_path)
            ),
            Some(admin),
            None,
        )
        .await?;
    if resolved.0 != 200 {
        let body = json!({"energy": {"flat": {"electricity_millifen_per_kwh": 80_000, "service_millifen_per_kwh": 40_000}}});
        let t = api
            .ok(
                M::POST,
                "/api/v1/billing/tariffs",
                Some(admin),
                Some(json!({"name": "演示资费 Demo tariff", "body": body})),
            )
            .await?;
        api.ok(
            M::POST,
            "/api/v1/billing/assignments",
            Some(admin),
            Some(json!({"node_path": site_path, "tariff_id": t["id"]})),
        )
        .await?;
    }
    Ok(devices)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A demo driver, signed up once, with at least ¥50 in the wallet.
async fn driver(api: &Api, tenant: &str, i: u32) -> anyhow::Result<String> {
    use reqwest::Method as M;
    let email = format!("driver{i}@demo.pylon.local");
    let token = match api.login(tenant, &email, DRIVER_PASSWORD).await {
        Ok(t) => t,
        Err(_) => {
            let v = api
                .ok(M::POST, "/api/v1/auth/register", None, Some(json!({"tenant": tenant, "email": email, "password": DRIVER_PASSWORD, "display_name": format!("演示司机 Demo driver {i}")})))
                .await?;
            v["access_token"].as_str().context("no token")?.to_owned()
        }
    };
    top_up(api, &token).await?;
    Ok(token)
}

/// The driver's spendable balance.
async fn balance(api: &Api, token: &str) -> anyhow::Result<i64> {
    let w = api
        .ok(
            reqwest::Method::GET,
            "/api/v1/payment/wallet",
            Some(token),
            None,
        )
        .await?;
    Ok(w["balance_fen"].as_i64().unwrap_or(0))
}

async fn top_up(api: &Api, token: &str) -> anyhow::Result<()> {
    if balance(api, token).await? >= 5_000 {
        return Ok(());
    }
    let r = api
        .http
        .post(format!("{}/api/v1/payment/top-ups", api.base))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"amount_fen": 20_000, "provider": "sandbox", "channel": "sandbox"}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("top-up: HTTP {}", r.status());
    }
    // The payment provider confirms a moment later: charge only once the money is there
    // (an order placed before would be refused for want of funds).
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if balance(api, token).await? >= 5_000 {
            return Ok(());
        }
    }
    bail!("top-up: the wallet was not credited within 10 s")
}

/// One driver forever: pick a port, charge for a while, stop, wait for the settlement.
async fn drive(
    api: &Api,
    token: &str,
    devices: &[String],
    ports: u8,
    session_secs: u64,
    seed: usize,
) -> anyhow::Result<()> {
    use reqwest::Method as M;
    let mut n = seed;
    loop {
        n = n.wrapping_mul(31).wrapping_add(7);
        let device = &devices[n % devices.len().max(1)];
        let port = (n / devices.len().max(1)) % usize::from(ports.max(1)) + 1;
        top_up(api, token).await.ok();
        let r = api
            .http
            .post(format!("{}/api/v1/charging/orders", api.base))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"device_id": device, "port": port, "duration_secs": 3600, "hold_fen": 3_000}))
            .send()
            .await?;
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status != 200 {
            // A busy port or an offline pile: try another in a moment.
            tokio::time::sleep(Duration::from_secs(3)).await;
            continue;
        }
        let id = v["data"]["id"].as_str().unwrap_or_default().to_owned();
        tokio::time::sleep(Duration::from_secs(session_secs)).await;
        let _ = api
            .call(
                M::POST,
                &format!("/api/v1/charging/orders/{id}/stop"),
                Some(token),
                Some(json!({})),
            )
            .await;
        for _ in 0..60 {
            let o = api
                .ok(
                    M::GET,
                    &format!("/api/v1/charging/orders/{id}"),
                    Some(token),
                    None,
                )
                .await?;
            let state = o["state"].as_str().unwrap_or_default();
            if matches!(
                state,
                "settled" | "start_failed" | "cancelled" | "needs_review" | "abnormal_end"
            ) {
                println!(
                    "pylon demo: order {id} on {device}#{port}: {state}, {} Wh, {} fen",
                    o["energy_wh"], o["amount_fen"]
                );
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
