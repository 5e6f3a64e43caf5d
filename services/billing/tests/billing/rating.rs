//! Rating ended sessions over gRPC: one bill per order, equal to the engine's own
//! answer, compared with the pile's amount, announced on JetStream.

use chrono::Duration;
use prost::Message as _;
use proto::pylon::billing::v1 as pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{World, flat, morning, sampled_facts, time_of_use, total_facts, world};

fn expected(tariff: &Value, facts: &Value) -> pricing::Bill {
    let tariff: pricing::Tariff = serde_json::from_value(tariff.clone()).unwrap();
    let facts: pricing::SessionFacts = serde_json::from_value(facts.clone()).unwrap();
    pricing::rate(&tariff, &facts).unwrap()
}

async fn bill_by_order(w: &World, order: &str) -> Value {
    let page = w.app.ok(w
        .app
        .get(
            &format!("/api/v1/billing/bills?order_ref={order}"),
            &w.finance,
        )
        .await);
    assert_eq!(page["total"], 1, "{page}");
    page["items"][0].clone()
}

#[tokio::test]
async fn rating_is_idempotent_and_equals_the_engine() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Time of use", time_of_use()).await;
    let id = t["id"].as_str().unwrap();
    let facts = sampled_facts();
    let want = expected(&time_of_use(), &facts);
    assert!(
        want.items.len() >= 4,
        "valley and flat, electricity and service, idle: {want:?}"
    );

    let first = w.rate("order-1", id, 1, &facts, None, "").await.unwrap();
    assert_eq!(first.total_fen, want.total_fen.get());
    assert_eq!(first.items.len(), want.items.len());
    for (got, item) in first.items.iter().zip(&want.items) {
        assert_eq!(got.amount_fen, item.amount_fen.get());
        assert_eq!(got.component, serde_json::to_value(item.component).unwrap());
        let period = item.period.map(|p| serde_json::to_value(p).unwrap());
        assert_eq!(
            got.period,
            period
                .and_then(|p| p.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
        assert_eq!(
            got.quantity.as_ref().map(|q| q.value),
            item.quantity.map(|q| q.value)
        );
    }
    assert_eq!((first.tariff_id.as_str(), first.tariff_version), (id, 1));
    assert_eq!(first.node_path, w.site.site_path);
    assert_eq!(first.currency, "CNY");

    // The same order again, even with other facts: the stored bill, unchanged.
    let other = total_facts(morning(), 30, 1);
    let second = w.rate("order-1", id, 1, &other, Some(0), "").await.unwrap();
    assert_eq!(second, first);

    // Over REST the items are the engine's own JSON: exactly the engine's bill.
    let shown = bill_by_order(&w, "order-1").await;
    let items: Vec<pricing::LineItem> = serde_json::from_value(shown["items"].clone()).unwrap();
    assert_eq!(items, want.items);
    assert_eq!(shown["total_fen"], want.total_fen.get());
    assert_eq!(shown["id"], first.bill_id.as_str());
    let by_id = app.ok(app
        .get(
            &format!("/api/v1/billing/bills/{}", first.bill_id),
            &w.finance,
        )
        .await);
    assert_eq!(by_id, shown);
    let got = w
        .grpc()
        .await
        .get_bill(pb::GetBillRequest {
            tenant_id: w.t.id.clone(),
            key: Some(pb::get_bill_request::Key::OrderRef("order-1".into())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, first);

    let pool = app.db.pool().await;
    let bills: i64 = sqlx::query_scalar("SELECT count(*) FROM billing.bills")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (bills, crate::bills_issued(app).await),
        (1, 1),
        "one bill, one event"
    );
}

#[tokio::test]
async fn concurrent_ratings_of_one_order_issue_one_bill() {
    let w = world().await;
    let t = w.tariff("Flat", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    let facts = total_facts(morning(), 60, 7_000);
    let calls = (0..8).map(|_| w.rate("order-race", id, 1, &facts, None, ""));
    let bills = futures::future::join_all(calls).await;
    let first = bills[0].as_ref().unwrap();
    for b in &bills {
        assert_eq!(b.as_ref().unwrap(), first);
    }
    assert_eq!(
        crate::bills_issued(&w.app).await,
        1,
        "one bill.issued event"
    );
}

#[tokio::test]
async fn an_order_keeps_the_tariff_version_it_started_with() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Flat", flat(100_000, 0)).await;
    let id = t["id"].as_str().unwrap();
    app.ok(app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &w.finance,
            json!({"body": flat(200_000, 0)}),
        )
        .await);
    // 10 kWh at 1 yuan/kWh (version 1), though version 2 is in effect now.
    let facts = total_facts(morning(), 60, 10_000);
    let b = w.rate("order-v1", id, 1, &facts, None, "").await.unwrap();
    assert_eq!((b.tariff_version, b.total_fen), (1, 1_000));
    let b = w.rate("order-v2", id, 2, &facts, None, "").await.unwrap();
    assert_eq!((b.tariff_version, b.total_fen), (2, 2_000));
    let e = w
        .rate("order-v9", id, 9, &facts, None, "")
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn device_amounts_are_compared_and_flagged_beyond_the_tolerance() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Flat", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    // 7 kWh: electricity 457.24 → 457 fen, service 420 fen; 2 items, total 877 fen.
    let facts = total_facts(morning(), 60, 7_000);
    let exact = w
        .rate("o-exact", id, 1, &facts, Some(877), "")
        .await
        .unwrap();
    assert_eq!(exact.total_fen, 877);
    assert_eq!(
        (exact.difference_fen, exact.tolerance_fen, exact.flagged),
        (0, 9, false)
    );
    // The pile truncated each line: a few fen are rounding.
    let close = w
        .rate("o-close", id, 1, &facts, Some(870), "")
        .await
        .unwrap();
    assert_eq!((close.difference_fen, close.flagged), (7, false));
    assert_eq!(close.device_reported_fen, Some(870));
    // A pile on an old tariff: flagged for review.
    let off = w.rate("o-off", id, 1, &facts, Some(800), "").await.unwrap();
    assert_eq!((off.difference_fen, off.flagged), (77, true));
    let over = w
        .rate("o-over", id, 1, &facts, Some(900), "")
        .await
        .unwrap();
    assert_eq!((over.difference_fen, over.flagged), (-23, true));
    let none = w.rate("o-none", id, 1, &facts, None, "").await.unwrap();
    assert_eq!((none.device_reported_fen, none.flagged), (None, false));

    let flagged = app.ok(app
        .get("/api/v1/billing/bills?flagged=true", &w.finance)
        .await);
    let mut orders: Vec<&str> = flagged["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["order_ref"].as_str().unwrap())
        .collect();
    orders.sort_unstable();
    assert_eq!(orders, ["o-off", "o-over"]);
    assert_eq!(flagged["items"][0]["tolerance_fen"], 9);
    let all = app.ok(app.get("/api/v1/billing/bills?limit=2", &w.finance).await);
    assert_eq!(
        (
            all["total"].as_u64(),
            all["items"].as_array().unwrap().len()
        ),
        (Some(5), 2)
    );

    let bad = w
        .rate("o-neg", id, 1, &facts, Some(-1), "")
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(
        bad.message().starts_with("device_reported_fen"),
        "{}",
        bad.message()
    );
}

#[tokio::test]
async fn bad_facts_are_refused_naming_the_field() {
    let w = world().await;
    let t = w.tariff("Flat", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    let mut backwards = total_facts(morning(), 60, 1_000);
    backwards["end"] = json!(morning() - Duration::minutes(1));
    let e = w.rate("o1", id, 1, &backwards, None, "").await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(
        e.message().contains("end: is before start"),
        "{}",
        e.message()
    );
    assert_eq!(
        e.metadata().get("pylon-code").unwrap().to_str().unwrap(),
        billing::code::INVALID_FACTS.to_string()
    );
    let mut unknown = total_facts(morning(), 60, 1_000);
    unknown["colour"] = json!("red");
    let e = w.rate("o2", id, 1, &unknown, None, "").await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(
        e.message()
            .starts_with("facts_json: unknown field `colour`"),
        "{}",
        e.message()
    );
    let e = w
        .rate("", id, 1, &total_facts(morning(), 60, 1_000), None, "")
        .await
        .unwrap_err();
    assert!(e.message().starts_with("order_ref:"), "{}", e.message());
    // Nothing was stored.
    let page = w
        .app
        .ok(w.app.get("/api/v1/billing/bills", &w.finance).await);
    assert_eq!(page["total"], 0);
    let (st, _) = w.app.get("/api/v1/billing/bills?limit=0", &w.finance).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bill_issued_is_published_on_jetstream() {
    let w = world().await;
    let t = w.tariff("Flat", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    let mut sub = w
        .app
        .subscribe("billing", &format!("{}.bill.issued", w.t.id))
        .await;
    let b = w
        .rate(
            "order-ev",
            id,
            1,
            &total_facts(morning(), 60, 7_000),
            Some(800),
            "driver-1",
        )
        .await
        .unwrap();

    let msg = apptest::next_event(&mut sub).await;
    let headers = msg.headers.clone().unwrap();
    assert_eq!(
        headers.get("ce-type").unwrap().as_str(),
        "pylon.billing.bill.issued.v1"
    );
    assert_eq!(headers.get("ce-tenant").unwrap().as_str(), w.t.id);
    assert_eq!(headers.get("ce-source").unwrap().as_str(), "pylon/billing");
    let ev = proto::events::BillIssued::decode(msg.payload.clone()).unwrap();
    assert_eq!(ev.bill_id, b.bill_id);
    assert_eq!((ev.order_ref.as_str(), ev.total_fen), ("order-ev", 877));
    assert_eq!((ev.tariff_id.as_str(), ev.tariff_version), (id, 1));
    assert_eq!(
        (ev.device_reported_fen, ev.difference_fen, ev.flagged),
        (Some(800), 77, true)
    );
    assert_eq!(
        (ev.node_path.as_str(), ev.payer_id.as_str()),
        (w.site.site_path.as_str(), "driver-1")
    );
    let parts: Vec<(&str, i64, i64)> = ev
        .items
        .iter()
        .map(|i| (i.component.as_str(), i.quantity, i.amount_fen))
        .collect();
    assert_eq!(
        parts,
        [("electricity", 7_000, 457), ("service", 7_000, 420)]
    );

    // It is in the stream, not only on the wire.
    let stream = w
        .app
        .bus
        .jetstream
        .get_stream(w.app.bus.namespace.name("PYLON_BILLING"))
        .await
        .unwrap();
    let stored = stream
        .get_last_raw_message_by_subject(msg.subject.as_str())
        .await
        .unwrap();
    assert_eq!(stored.payload, msg.payload);
    // A repeated rating publishes nothing more.
    w.rate(
        "order-ev",
        id,
        1,
        &total_facts(morning(), 60, 7_000),
        Some(800),
        "driver-1",
    )
    .await
    .unwrap();
    let more = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        use futures::StreamExt;
        sub.next().await
    })
    .await;
    assert!(more.is_err(), "no second bill.issued");
}
