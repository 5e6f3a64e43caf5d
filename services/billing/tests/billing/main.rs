//! Billing against the real stack: each test boots identity and billing in-process on
//! port 0 with their own database and NATS namespace (`apptest`), creates an operator
//! with a region and a site, and talks to billing over REST (as staff and drivers do)
//! and gRPC (as charging does).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod invoices;
mod permissions;
mod quotes;
mod rating;
mod resolution;
mod tariffs;

use std::sync::Arc;

use apptest::{Site, Tenant, TestApp};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use proto::pylon::billing::v1 as pb;
use proto::pylon::billing::v1::billing_service_client::BillingServiceClient;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::transport::Channel;

/// An operator "acme" with region North and its site, and a finance user on the
/// operator node (tariffs:*, bills:read, invoices:*).
pub struct World {
    pub app: TestApp,
    pub t: Tenant,
    pub site: Site,
    pub finance: String,
}

pub async fn world() -> World {
    let app = apptest::spawn(vec![Arc::new(billing::Billing)]).await;
    let t = app.tenant("acme").await;
    let site = app.region_and_site(&t, "North").await;
    let (_, finance) = app.user_with_role(&t, "finance", &t.id, &t.id).await;
    World {
        app,
        t,
        site,
        finance,
    }
}

/// How many `bill.issued` events the stream holds, once the relay has emptied the
/// outbox (it deletes what the stream stored).
pub async fn bills_issued(app: &TestApp) -> u64 {
    let pool = app.db.pool().await;
    for _ in 0..100 {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ns = &app.bus.namespace;
    let stream = app
        .bus
        .jetstream
        .get_stream(ns.name("PYLON_BILLING"))
        .await
        .unwrap();
    let mut consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: ns.subject(&["billing", "*", "bill", "issued"]),
            ..Default::default()
        })
        .await
        .unwrap();
    consumer.info().await.unwrap().num_pending
}

/// A flat energy tariff, prices in milli-fen per kWh.
pub fn flat(electricity: i64, service: i64) -> Value {
    json!({"energy": {"flat": {
        "electricity_millifen_per_kwh": electricity,
        "service_millifen_per_kwh": service,
    }}})
}

/// A time-of-use tariff (valley 23–07, flat 07–10 and 15–18, peak 10–15 and 18–23)
/// with a minimum charge and an idle fee.
pub fn time_of_use() -> Value {
    let price =
        |e: i64, s: i64| json!({"electricity_millifen_per_kwh": e, "service_millifen_per_kwh": s});
    json!({
        "energy": {"time_of_use": {"periods": [
            {"kind": "valley", "start": "23:00", "end": "07:00", "price": price(31_230, 40_000)},
            {"kind": "flat", "start": "07:00", "end": "10:00", "price": price(65_320, 60_000)},
            {"kind": "peak", "start": "10:00", "end": "15:00", "price": price(98_870, 80_000)},
            {"kind": "flat", "start": "15:00", "end": "18:00", "price": price(65_320, 60_000)},
            {"kind": "peak", "start": "18:00", "end": "23:00", "price": price(98_870, 80_000)},
        ]}},
        "idle": {"grace_minutes": 10, "price_millifen": 50_000, "per_minutes": 60},
        "minimum_fen": 100,
    })
}

/// 06:00 in Shanghai the day after tomorrow (22:00 UTC the day before): sessions from
/// here cross the valley/flat boundary at 07:00, and tariffs created now are in effect.
pub fn morning() -> DateTime<Utc> {
    let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
    let day = (Utc::now().with_timezone(&shanghai) + Duration::days(2)).date_naive();
    shanghai
        .from_local_datetime(&day.and_hms_opt(6, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Session facts with the total energy only.
pub fn total_facts(start: DateTime<Utc>, minutes: i64, wh: i64) -> Value {
    json!({
        "start": start,
        "end": start + Duration::minutes(minutes),
        "time_zone": "Asia/Shanghai",
        "energy": {"total": wh},
    })
}

/// Two hours from 06:00 local with a reading every half hour and 20 idle minutes.
pub fn sampled_facts() -> Value {
    let s = morning();
    let at = |m: i64| s + Duration::minutes(m);
    json!({
        "start": s,
        "end": at(120),
        "time_zone": "Asia/Shanghai",
        "energy": {"samples": [
            {"at": at(0), "wh": 100_000},
            {"at": at(30), "wh": 103_400},
            {"at": at(60), "wh": 106_900},
            {"at": at(90), "wh": 110_200},
            {"at": at(120), "wh": 113_100},
        ]},
        "max_power": 70_000,
        "unplugged_at": at(150),
    })
}

impl World {
    pub fn path(&self) -> String {
        self.t.path()
    }

    /// Creates a tariff as finance (owned by the tenant root unless `node_path` says
    /// otherwise); the tariff as returned.
    pub async fn tariff(&self, name: &str, body: Value) -> Value {
        self.app.ok(self
            .app
            .post(
                "/api/v1/billing/tariffs",
                &self.finance,
                json!({"name": name, "body": body}),
            )
            .await)
    }

    pub async fn assign(&self, node_path: &str, tariff_id: &str) -> Value {
        self.app.ok(self
            .app
            .post(
                "/api/v1/billing/assignments",
                &self.finance,
                json!({"node_path": node_path, "tariff_id": tariff_id}),
            )
            .await)
    }

    /// `GET /tariffs/resolve` as finance: (status, body).
    pub async fn resolve(&self, node_path: &str, at: Option<DateTime<Utc>>) -> (StatusCode, Value) {
        let mut q = format!("node_path={}", urlencode(node_path));
        if let Some(at) = at {
            q.push_str(&format!("&at={}", urlencode(&at.to_rfc3339())));
        }
        self.app
            .get(
                &format!("/api/v1/billing/tariffs/resolve?{q}"),
                &self.finance,
            )
            .await
    }

    pub async fn grpc(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.app.grpc_channel().await)
    }

    /// `RateSession` as charging calls it.
    pub async fn rate(
        &self,
        order_ref: &str,
        tariff_id: &str,
        version: u32,
        facts: &Value,
        device_reported_fen: Option<i64>,
        payer_id: &str,
    ) -> Result<pb::Bill, tonic::Status> {
        self.grpc()
            .await
            .rate_session(pb::RateSessionRequest {
                tenant_id: self.t.id.clone(),
                order_ref: order_ref.into(),
                tariff_id: tariff_id.into(),
                tariff_version: version,
                facts_json: facts.to_string(),
                device_reported_fen,
                node_path: self.site.site_path.clone(),
                payer_id: payer_id.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

/// Enough percent-encoding for paths and RFC 3339 instants in a query string.
pub fn urlencode(s: &str) -> String {
    s.replace('%', "%25")
        .replace('/', "%2F")
        .replace('+', "%2B")
        .replace(':', "%3A")
}

/// Asserts an error envelope: status, business code, and words in the message.
pub fn assert_error(r: &(StatusCode, Value), status: StatusCode, code: u64, words: &[&str]) {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["code"].as_u64(), Some(code), "{}", r.1);
    let msg = r.1["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(msg.contains(w), "{msg:?} lacks {w:?}");
    }
}
