//! History: orders partitioned by month and found by every filter within the caller's
//! scope, the CSV export, a settled order's receipt and transitions.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::{PileConfig, Protocol, SimEvent, spawn_pile};
use sqlx::PgPool;
use uuid::Uuid;

use charging::orders::partitions::{self, MonthPartition};
use charging::orders::store;

use crate::world;

/// An order written straight into the table, as if made at `created_at`.
struct Seed {
    id: Uuid,
    user: String,
    device: &'static str,
    port: i32,
    node_path: String,
    state: &'static str,
    amount_fen: Option<i64>,
    created_at: DateTime<Utc>,
}

async fn seed(pool: &PgPool, tenant: &str, s: &Seed) {
    sqlx::query(
        "INSERT INTO charging.orders (id, tenant_id, user_id, device_id, port, node_path, protocol, \
         state, limit_kind, limit_value, hold_fen, idempotency_key, amount_fen, energy_wh, created_at) \
         VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, 'dny', $7, 'duration', 600, 1000, $8, $9, $10, $11)",
    )
    .bind(s.id)
    .bind(tenant)
    .bind(&s.user)
    .bind(s.device)
    .bind(s.port)
    .bind(&s.node_path)
    .bind(s.state)
    .bind(format!("seed-{}", s.id))
    .bind(s.amount_fen)
    .bind(s.amount_fen.map(|a| a * 10))
    .bind(s.created_at)
    .execute(pool)
    .await
    .unwrap();
}

/// One order on `device` port `port` for a new driver of the world's operator, at a
/// new site (`region`), in `state`, created `at` (amount unset), written straight in.
async fn one_order(
    w: &crate::World,
    region: &str,
    device: &'static str,
    port: i32,
    state: &'static str,
    at: DateTime<Utc>,
) -> (PgPool, Seed) {
    let pool = w.app.db.pool().await;
    let site = w.app.region_and_site(&w.t, region).await;
    let driver = w.app.driver(&w.t).await;
    let s = Seed {
        id: Uuid::now_v7(),
        user: driver.id.clone(),
        device,
        port,
        node_path: site.site_path.clone(),
        state,
        amount_fen: None,
        created_at: at,
    };
    seed(&pool, &w.t.id, &s).await;
    (pool, s)
}

async fn partition_of(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT tableoid::regclass::text FROM charging.orders WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The ids of a list answer, in order.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn q(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn orders_of_two_months_are_partitioned_filtered_scoped_and_exported() {
    let w = world().await;
    let pool = w.app.db.pool().await;
    let north = w.app.region_and_site(&w.t, "north").await;
    let south = w.app.region_and_site(&w.t, "south").await;
    let mut site_ids = Vec::new();
    for (s, name) in [(&north, "A"), (&south, "B")] {
        let site = w.app.ok(w
            .app
            .post(
                "/api/v1/charging/sites",
                &w.t.admin,
                json!({"node_path": s.site_path, "name": name}),
            )
            .await);
        site_ids.push(site["id"].as_str().unwrap().to_owned());
    }
    let d1 = w.app.driver(&w.t).await;
    let d2 = w.app.driver(&w.t).await;

    let now = Utc::now();
    let this_month = MonthPartition::containing(now, 0).unwrap();
    let last_month_at = this_month.from() - chrono::Duration::days(5);
    let last_month = MonthPartition::containing(last_month_at, 0).unwrap();
    let secs = chrono::Duration::seconds;
    let order = |user: &str, device, port, path: &str, state, amount, at| Seed {
        id: Uuid::now_v7(),
        user: user.to_owned(),
        device,
        port,
        node_path: path.to_owned(),
        state,
        amount_fen: amount,
        created_at: at,
    };
    let (a, b) = (&north.site_path, &south.site_path);
    let seeds = [
        order(
            &d1.id,
            "h1dev001",
            1,
            a,
            "settled",
            Some(150),
            last_month_at,
        ),
        order(
            &d2.id,
            "h1dev002",
            1,
            b,
            "cancelled",
            None,
            last_month_at - secs(86_400),
        ),
        order(&d1.id, "h1dev001", 1, a, "charging", None, now - secs(3)),
        order(
            &d2.id,
            "h1dev002",
            1,
            b,
            "settled",
            Some(420),
            now - secs(2),
        ),
        order(
            &d1.id,
            "h1dev002",
            2,
            b,
            "needs_review",
            Some(90),
            now - secs(1),
        ),
    ];
    for s in &seeds {
        seed(&pool, &w.t.id, s).await;
    }
    let id = |i: usize| seeds[i].id.to_string();
    let set = |list: &[usize]| list.iter().map(|i| id(*i)).collect::<Vec<_>>();

    // This month has its partition (created ahead); last month's rows waited in the
    // default partition until maintenance gave the month its own, moving them in.
    assert_eq!(
        partition_of(&pool, seeds[2].id).await,
        format!("charging.{}", this_month.name())
    );
    assert_eq!(
        partition_of(&pool, seeds[0].id).await,
        "charging.orders_default"
    );
    let created = partitions::ensure(&pool, Utc::now()).await.unwrap();
    assert_eq!(created, vec![last_month.name()]);
    for i in [0, 1] {
        assert_eq!(
            partition_of(&pool, seeds[i].id).await,
            format!("charging.{}", last_month.name())
        );
    }
    let names: Vec<String> = store::partitions::list(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for ahead in 0..=partitions::AHEAD_MONTHS {
        let p = MonthPartition::containing(now, ahead).unwrap();
        assert!(names.contains(&p.name()), "{names:?}");
    }
    assert!(names.contains(&"orders_default".to_owned()));
    // Every partition, made by the migration or by maintenance, leaves room on its pages
    // for the versions a live order's meter samples write (HOT updates).
    let options: Vec<(String, Option<Vec<String>>)> = sqlx::query_as(
        "SELECT c.relname::text, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'charging.orders'::regclass",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(options.len(), names.len());
    let room = format!("fillfactor={}", store::partitions::FILLFACTOR);
    for (name, opts) in &options {
        assert!(
            opts.as_ref().is_some_and(|o| o.contains(&room)),
            "{name}: {opts:?}"
        );
    }
    // The moved rows are still found by id and by key; the live one still holds its port.
    assert_eq!(
        store::get(&pool, seeds[0].id).await.unwrap().unwrap().state,
        "settled"
    );
    let live = store::live_on_port(&pool, "h1dev001", 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.id, seeds[2].id);
    let second_live = order(&d2.id, "h1dev001", 1, a, "created", None, now);
    let busy = sqlx::query(
        "INSERT INTO charging.orders (id, tenant_id, user_id, device_id, port, node_path, protocol, \
         state, limit_kind, hold_fen, idempotency_key) VALUES ($1, $2::uuid, $3::uuid, $4, 1, $5, 'dny', 'created', 'full', 100, 'x')",
    )
    .bind(second_live.id)
    .bind(&w.t.id)
    .bind(&second_live.user)
    .bind(second_live.device)
    .bind(&second_live.node_path)
    .execute(&pool)
    .await
    .unwrap_err();
    assert_eq!(
        busy.as_database_error().unwrap().constraint(),
        Some(store::PORT_TAKEN),
        "one live order per port across partitions"
    );

    // Every filter, newest first.
    let list = |query: String, token: String| {
        let app = &w.app;
        async move {
            app.ok(app
                .get(&format!("/api/v1/charging/orders?{query}"), &token)
                .await)
        }
    };
    let admin = w.t.admin.clone();
    let all = list(String::new(), admin.clone()).await;
    assert_eq!(ids(&all), set(&[4, 3, 2, 0, 1]), "{all}");
    assert_eq!(all["total"], 5);
    let cases = [
        (format!("user_id={}", d1.id), vec![4, 2, 0]),
        ("device_id=h1dev002".to_owned(), vec![4, 3, 1]),
        (format!("site_id={}", site_ids[0]), vec![2, 0]),
        ("state=settled,needs_review".to_owned(), vec![4, 3, 0]),
        ("state=settled&state=cancelled".to_owned(), vec![3, 0, 1]),
        (format!("from={}", q(this_month.from())), vec![4, 3, 2]),
        (format!("to={}", q(this_month.from())), vec![0, 1]),
        (
            format!(
                "user_id={}&from={}&state=settled",
                d1.id,
                q(last_month.from())
            ),
            vec![0],
        ),
    ];
    for (query, want) in &cases {
        let page = list(query.clone(), admin.clone()).await;
        assert_eq!(ids(&page), set(want), "{query}: {page}");
        assert_eq!(page["total"], want.len(), "{query}");
    }
    // Pages neither skip nor repeat.
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        paged.extend(ids(&list(
            format!("limit=2&offset={offset}"),
            admin.clone(),
        )
        .await));
    }
    assert_eq!(paged, ids(&all));
    // Bad filters are 400 naming the parameter.
    for (query, field) in [
        ("user_id=nope", "user_id"),
        ("state=done", "state"),
        ("from=yesterday", "from"),
        ("site_id=0195b5a8-4f1e-7000-8000-000000000001", "site_id"),
        ("colour=red", "colour"),
        ("limit=0", "limit"),
    ] {
        let (s, e) = w
            .app
            .get(&format!("/api/v1/charging/orders?{query}"), &admin)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(field),
            "{query}: {e}"
        );
    }

    // Scope: a manager of site B sees B's orders only; another operator sees none; a
    // driver may not list.
    let (_, manager) = w
        .app
        .user_with_role(&w.t, "site_manager", &south.site_id, &south.site_id)
        .await;
    assert_eq!(
        ids(&list(String::new(), manager.clone()).await),
        set(&[4, 3, 1])
    );
    assert_eq!(
        ids(&list(format!("user_id={}", d1.id), manager.clone()).await),
        set(&[4])
    );
    let (s, _) = w
        .app
        .get(&format!("/api/v1/charging/orders/{}", id(0)), &manager)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "site A's order is out of reach");
    let other = w.app.tenant("h1other").await;
    assert_eq!(list(String::new(), other.admin.clone()).await["total"], 0);
    let (s, _) = w.app.get("/api/v1/charging/orders", &d1.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A driver's own history: stable pages, state and time filters.
    let mine = |query: &str| {
        let (app, token, query) = (&w.app, d1.token.clone(), query.to_owned());
        async move {
            app.ok(app
                .get(&format!("/api/v1/charging/me/orders?{query}"), &token)
                .await)
        }
    };
    assert_eq!(ids(&mine("").await), set(&[4, 2, 0]));
    let mut paged = Vec::new();
    for offset in 0..3 {
        paged.extend(ids(&mine(&format!("limit=1&offset={offset}")).await));
    }
    assert_eq!(paged, set(&[4, 2, 0]));
    assert_eq!(ids(&mine("state=settled").await), set(&[0]));
    assert_eq!(
        ids(&mine(&format!("to={}", q(this_month.from()))).await),
        set(&[0])
    );
    let (s, e) = w
        .app
        .get(
            &format!("/api/v1/charging/me/orders?user_id={}", d2.id),
            &d1.token,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a driver cannot ask for others: {e}"
    );

    // The CSV export: the same orders as the list, in the same order.
    let export = |query: String, token: String| {
        let app = &w.app;
        async move {
            let r = app
                .http
                .get(app.url(&format!("/api/v1/charging/orders/export.csv?{query}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.text().await.unwrap())
        }
    };
    let range = format!("from={}&to={}", q(last_month.from()), q(now + secs(60)));
    let (s, text) = export(range.clone(), admin.clone()).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(!text.contains('"'), "nothing here needs quoting: {text}");
    let mut lines = text.lines().map(|l| l.split(',').collect::<Vec<_>>());
    let header = lines.next().unwrap();
    assert_eq!(header, charging::orders::history::csv::COLUMNS);
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.collect();
    let items = all["items"].as_array().unwrap();
    assert_eq!(rows.len(), items.len(), "{text}");
    for (row, item) in rows.iter().zip(items) {
        assert_eq!(row[col("order_id")], item["id"].as_str().unwrap());
        assert_eq!(row[col("state")], item["state"].as_str().unwrap());
        let amount = item["amount_fen"]
            .as_i64()
            .map(|a| a.to_string())
            .unwrap_or_default();
        assert_eq!(row[col("amount_fen")], amount);
        let created: DateTime<Utc> = item["created_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(row[col("created_at")], q(created), "UTC to the second");
    }
    assert_eq!(rows[0][col("site_name")], "B");
    assert_eq!(rows[3][col("site_name")], "A");
    // Filters and scope apply to the export too; the range is capped.
    let (_, text) = export(format!("{range}&state=settled"), manager.clone()).await;
    assert_eq!(
        text.lines().count(),
        2,
        "header + B's settled order: {text}"
    );
    assert!(text.contains(&id(3)));
    let (s, text) = export(
        format!("from={}&to={}", q(now - secs(400 * 86_400)), q(now)),
        admin.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("366 days"), "{text}");
}

#[tokio::test]
async fn a_settled_orders_receipt_matches_the_order_and_its_bill() {
    let w = world().await;
    w.tariff().await;
    let place = w.app.region_and_site(&w.t, "east").await;
    let site = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/sites",
            &w.t.admin,
            json!({"node_path": place.site_path, "name": "东区充电站"}),
        )
        .await);
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 61, w.device_addr).with_speed(60)).unwrap();
    let device = pile.id().to_owned();
    w.app.ok(w
        .app
        .post(
            "/api/v1/charging/devices",
            &w.t.admin,
            json!({"protocol": "dny", "device_id": device, "port_count": 2, "site_id": site["id"]}),
        )
        .await);
    sim.wait_for(Duration::from_secs(10), |e| {
        matches!(e, SimEvent::Registered)
    })
    .await
    .expect("the pile registered");
    let d = w.driver_with(5_000).await;
    let id = w
        .started(
            &d,
            "receipt",
            json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 2_000}),
        )
        .await;
    let receipt_path = format!("/api/v1/charging/me/orders/{id}/receipt");
    w.until(&d, &id, "charging", 15).await;

    // Not settled yet: 409, said in both languages.
    let (s, e) = w.app.get(&receipt_path, &d.token).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], charging::error::code::INVALID_TRANSITION);
    let m = e["message"].as_str().unwrap();
    assert!(m.contains("尚未结算") && m.contains("not settled"), "{m}");

    // Charge until the pile has metered some energy, so the bill has items.
    for _ in 0..150 {
        let o = w.app.ok(w
            .app
            .get(&format!("/api/v1/charging/orders/{id}"), &d.token)
            .await);
        if o["energy_wh"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.stop(&d, &id).await;
    let order = w.until(&d, &id, "settled", 30).await;

    let r = w.app.ok(w.app.get(&receipt_path, &d.token).await);
    assert_eq!(r["order_id"], id.as_str());
    assert_eq!(r["site"]["name"], "东区充电站");
    assert_eq!(r["site"]["id"], site["id"]);
    assert_eq!(
        (r["device_id"].as_str(), r["port"].as_i64()),
        (Some(device.as_str()), Some(1))
    );
    for field in [
        "started_at",
        "ended_at",
        "energy_wh",
        "duration_secs",
        "amount_fen",
    ] {
        assert_eq!(r[field], order[field], "{field}: {r}");
    }
    assert_eq!(r["source"], "bill");
    assert!(r["note"].is_null());
    let bill = &r["bill"];
    assert_eq!(bill["bill_id"], order["bill_id"]);
    assert_eq!(
        bill["total_fen"], order["amount_fen"],
        "below the hold: all captured"
    );
    let items = bill["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{r}");
    let sum: i64 = items
        .iter()
        .map(|i| i["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, bill["total_fen"].as_i64().unwrap(), "{r}");
    let electricity = items
        .iter()
        .find(|i| i["component"] == "electricity")
        .unwrap();
    assert_eq!(electricity["quantity"], order["energy_wh"], "{r}");
    assert_eq!(electricity["unit"], "wh");

    // Someone else's order is 404, for another driver and for staff alike (it is /me).
    let other = w.app.driver(&w.t).await;
    assert_eq!(
        w.app.get(&receipt_path, &other.token).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.app.get(&receipt_path, &w.t.admin).await.0,
        StatusCode::NOT_FOUND
    );

    // The history of the order: every transition from created to settled.
    let path = format!("/api/v1/charging/orders/{id}/transitions");
    let to = w.states(&d.token, &id).await;
    assert_eq!(to.first().map(String::as_str), Some("authorized"), "{to:?}");
    assert_eq!(to.last().map(String::as_str), Some("settled"), "{to:?}");
    assert!(
        to.iter().any(|s| s == "charging") && to.iter().any(|s| s == "ended"),
        "{to:?}"
    );
    assert_eq!(
        w.states(&w.t.admin, &id).await,
        to,
        "staff with orders:read"
    );
    assert_eq!(
        w.app.get(&path, &other.token).await.0,
        StatusCode::NOT_FOUND
    );

    // Billing cannot find the bill: the receipt still comes, from the order, and says so.
    let pool = w.app.db.pool().await;
    sqlx::query("UPDATE charging.orders SET bill_id = $2 WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .bind(Uuid::now_v7().to_string())
        .execute(&pool)
        .await
        .unwrap();
    let r = w.app.ok(w.app.get(&receipt_path, &d.token).await);
    assert_eq!(r["source"], "order");
    assert!(r["bill"].is_null());
    assert_eq!(r["amount_fen"], order["amount_fen"]);
    let note = r["note"].as_str().unwrap();
    assert!(
        note.contains("账单") && note.contains("itemised bill is unavailable"),
        "{note}"
    );
    let _ = pile.shutdown().await;
}

/// An order is looked up by id in its month's partition only, through the window its
/// UUIDv7 id gives (`store::BY_ID_NEAR`); one created outside that window (here a month
/// before its id) is still found, by id, by lock and by the pile's reference.
#[tokio::test]
async fn orders_are_found_by_id_whether_or_not_created_near_their_ids_time() {
    let w = world().await;
    let pool = w.app.db.pool().await;
    let site = w.app.region_and_site(&w.t, "west").await;
    let driver = w.app.driver(&w.t).await;
    let now = Utc::now();
    let seeds = [now, now - chrono::Duration::days(40)].map(|at| Seed {
        id: Uuid::now_v7(),
        user: driver.id.clone(),
        device: "h2dev001",
        port: 1,
        node_path: site.site_path.clone(),
        state: "settled",
        amount_fen: Some(100),
        created_at: at,
    });
    for s in &seeds {
        seed(&pool, &w.t.id, s).await;
        sqlx::query("UPDATE charging.orders SET device_order_ref = $2 WHERE id = $1")
            .bind(s.id)
            .bind(s.id.simple().to_string())
            .execute(&pool)
            .await
            .unwrap();
    }
    for s in &seeds {
        let got = store::get(&pool, s.id).await.unwrap().expect("found by id");
        assert_eq!(
            (got.id, got.created_at.timestamp_micros()),
            (s.id, s.created_at.timestamp_micros())
        );
        let mut tx = pool.begin().await.unwrap();
        let locked = store::lock(&mut tx, s.id).await.unwrap().expect("locked");
        assert_eq!(locked.id, s.id);
        tx.rollback().await.unwrap();
        let by_ref = store::by_device_ref(&pool, "h2dev001", &s.id.simple().to_string())
            .await
            .unwrap()
            .expect("found by the pile's reference");
        assert_eq!(by_ref.id, s.id);
        // Another device's reference never finds it.
        let other = store::by_device_ref(&pool, "h2dev002", &s.id.simple().to_string())
            .await
            .unwrap();
        assert!(other.is_none());
    }
    assert!(store::get(&pool, Uuid::now_v7()).await.unwrap().is_none());
}

/// A meter sample naming its order by id (as a DNY pile does) updates that order in its
/// month's partition without the port's live-order row; one with a reference of another
/// kind goes through that row (here removed, so nothing changes).
#[tokio::test]
async fn a_meter_sample_naming_its_order_by_id_finds_it_without_the_ports_row() {
    let w = world().await;
    let (pool, s) = one_order(&w, "east", "h3dev001", 2, "charging", Utc::now()).await;
    sqlx::query("DELETE FROM charging.port_live_orders WHERE order_id = $1")
        .bind(s.id)
        .execute(&pool)
        .await
        .unwrap();
    let reference = s.id.simple().to_string();
    let sample = |order_ref, energy_wh| store::Meter {
        device_id: "h3dev001",
        port: 2,
        order_ref,
        energy_wh,
        at: Utc::now(),
        power_dw: 15_000,
    };
    store::record_meter(&pool, &sample("4711", 100))
        .await
        .unwrap();
    let o = store::get(&pool, s.id).await.unwrap().unwrap();
    assert_eq!(
        o.last_meter_wh, None,
        "no live row, no order by that reference"
    );
    store::record_meter(&pool, &sample(&reference, 250))
        .await
        .unwrap();
    let o = store::get(&pool, s.id).await.unwrap().unwrap();
    assert_eq!(
        (o.last_meter_wh, o.last_power_dw),
        (Some(250), Some(15_000))
    );
}

/// A transition writes the partition its order was read from; when maintenance has
/// moved the row out of the default partition meanwhile, the write finds nothing and
/// says so (the caller reads again), and the row read again is written where it now is.
#[tokio::test]
async fn a_transition_on_a_row_moved_to_its_months_partition_writes_nothing_until_read_again() {
    let w = world().await;
    // A month with no partition yet: its rows wait in the default partition.
    let at = MonthPartition::containing(Utc::now(), 0).unwrap().from() - chrono::Duration::days(70);
    let (pool, s) = one_order(&w, "south-west", "h4dev001", 1, "charging", at).await;
    let stale = store::get(&pool, s.id).await.unwrap().unwrap();
    assert_eq!(stale.partition, "charging.orders_default");
    let month = MonthPartition::containing(at, 0).unwrap();
    assert!(store::partitions::create(&pool, &month).await.unwrap());

    let ns = bus::Namespace::new("historytest").unwrap();
    let step = |o: &store::OrderRow| store::Step {
        from: "charging",
        to: "stopping",
        reason: "test",
        event: charging::events::outgoing(
            &ns,
            &o.tenant_id.to_string(),
            ("order", "state_changed"),
            Utc::now(),
            &proto::events::OrderStateChanged::default(),
        )
        .unwrap(),
    };
    let moved = |o: &store::OrderRow| store::OrderRow {
        state: "stopping".into(),
        version: o.version + 1,
        ..o.clone()
    };
    let written = store::record_transition(&pool, &stale, &moved(&stale), &[step(&stale)])
        .await
        .unwrap();
    assert!(!written, "the row is no longer in the default partition");
    let fresh = store::get(&pool, s.id).await.unwrap().unwrap();
    assert_eq!(fresh.partition, format!("charging.{}", month.name()));
    assert_eq!(fresh.state, "charging");
    assert!(
        store::record_transition(&pool, &fresh, &moved(&fresh), &[step(&fresh)])
            .await
            .unwrap()
    );
    let after = store::get(&pool, s.id).await.unwrap().unwrap();
    assert_eq!(
        (after.state.as_str(), after.version),
        ("stopping", fresh.version + 1)
    );
}
