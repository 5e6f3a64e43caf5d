//! OTA campaigns over simulated DNY piles: staged rollout with progress from the
//! gateway's FirmwareProgress events, pause / resume / abort, and refused campaigns.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim::Protocol;

use crate::{World, message, world};

/// A small image: 400 bytes = two 200-byte packets.
fn image() -> Vec<u8> {
    (0..400u32).map(|i| (i % 251) as u8).collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

async fn piles(w: &World, from: u32, n: u32) -> Vec<(sim::PileHandle, String)> {
    let mut out = Vec::new();
    for i in from..from + n {
        let (p, _, id) = w.pile(Protocol::Dny, i).await;
        out.push((p, id));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

async fn campaign(w: &World, id: &str) -> Value {
    w.app.ok(w
        .app
        .get(&format!("/api/v1/charging/ota/campaigns/{id}"), &w.t.admin)
        .await)
}

/// Polls the campaign until `done` holds (within `secs`).
async fn until(w: &World, id: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..secs * 5 {
        last = campaign(w, id).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("campaign never got there: {last}");
}

async fn act(w: &World, id: &str, action: &str) -> (StatusCode, Value) {
    w.app
        .post(
            &format!("/api/v1/charging/ota/campaigns/{id}/{action}"),
            &w.t.admin,
            json!({}),
        )
        .await
}

async fn devices(w: &World, id: &str) -> Vec<Value> {
    let page = w.app.ok(w
        .app
        .get(
            &format!("/api/v1/charging/ota/campaigns/{id}/devices"),
            &w.t.admin,
        )
        .await);
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_staged_campaign_upgrades_half_then_the_rest_on_advance() {
    let w = world().await;
    let piles = piles(&w, 41, 4).await;
    let ids: Vec<&str> = piles.iter().map(|(_, id)| id.as_str()).collect();
    let mut before = Vec::new();
    for (p, _) in &piles {
        before.push(p.state().await.unwrap().firmware);
    }
    // The image is uploaded once as the raw body, then named by id.
    let up = w
        .app
        .http
        .post(w.app.url("/api/v1/charging/ota/firmware?name=v2"))
        .bearer_auth(&w.t.admin)
        .header("content-type", "application/octet-stream")
        .body(image())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::OK);
    let fw: Value = up.json().await.unwrap();
    assert_eq!(fw["data"]["size_bytes"], 400, "{fw}");
    let c = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/ota/campaigns",
            &w.t.admin,
            json!({
                "name": "v2 rollout",
                "firmware": {"protocol": "dny", "firmware_id": fw["data"]["id"]},
                "targets": {"device_ids": ids},
                "stages": [50, 100],
                "concurrency": 4,
            }),
        )
        .await);
    let cid = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["state"], "running");
    assert_eq!(c["devices"]["total"], 4);
    assert_eq!(c["stages"][0]["devices"]["total"], 2, "{c}");

    // Stage 1: two piles upgraded; progress and the ends came from FirmwareProgress.
    let c = until(&w, &cid, 30, |c| c["devices"]["succeeded"] == 2).await;
    assert_eq!(c["devices"]["pending"], 2, "{c}");
    let ds = devices(&w, &cid).await;
    for d in &ds[..2] {
        assert_eq!(d["state"], "succeeded", "{d}");
        assert_eq!(
            (d["packets_done"].as_i64(), d["packets_total"].as_i64()),
            (Some(2), Some(2)),
            "{d}"
        );
    }
    for d in &ds[2..] {
        assert_eq!(
            (d["state"].as_str(), d["stage"].as_i64()),
            (Some("pending"), Some(2)),
            "{d}"
        );
    }
    // No automatic advance: the rest wait for the operator.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let c = campaign(&w, &cid).await;
    assert_eq!(
        (
            c["devices"]["pending"].as_i64(),
            c["current_stage"].as_i64()
        ),
        (Some(2), Some(1)),
        "{c}"
    );
    for (i, (p, _)) in piles.iter().enumerate() {
        let now = p.state().await.unwrap().firmware;
        let upgraded = i < 2;
        assert_eq!(
            now != before[i],
            upgraded,
            "pile {i}: {} → {now}",
            before[i]
        );
    }

    // Advance: the rest are upgraded and the campaign completes.
    let a = w.app.ok(act(&w, &cid, "advance").await);
    assert_eq!(a["current_stage"], 2);
    let c = until(&w, &cid, 30, |c| c["state"] == "completed").await;
    assert_eq!(c["devices"]["succeeded"], 4, "{c}");
    assert!(c["finished_at"].is_string());
    let r = act(&w, &cid, "pause").await;
    assert_eq!(
        (r.0, r.1["code"].as_i64()),
        (StatusCode::CONFLICT, Some(12004)),
        "{}",
        r.1
    );

    // Every change and every upgrade is in the audit.
    let log = w.app.ok(w
        .app
        .get(
            &format!("/api/v1/charging/operations?campaign_id={cid}&limit=50"),
            &w.t.admin,
        )
        .await);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["action"].as_str().unwrap())
        .collect();
    for a in ["campaign_create", "campaign_advance", "campaign_complete"] {
        assert_eq!(
            actions.iter().filter(|x| **x == a).count(),
            1,
            "{actions:?}"
        );
    }
    let upgrades: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] == "upgrade")
        .collect();
    assert_eq!(upgrades.len(), 4);
    for u in upgrades {
        assert_eq!(
            (u["status"].as_str(), u["outcome"].as_str()),
            (Some("done"), Some("completed")),
            "{u}"
        );
        assert_eq!(u["actor"]["kind"], "campaign");
    }
    for (p, _) in piles {
        let _ = p.shutdown().await;
    }
}

#[tokio::test]
async fn pause_stops_new_devices_and_abort_leaves_the_rest_aborted() {
    let w = world().await;
    let piles = piles(&w, 51, 4).await;
    let ids: Vec<&str> = piles.iter().map(|(_, id)| id.as_str()).collect();
    let c = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/ota/campaigns",
            &w.t.admin,
            json!({
                "name": "one at a time",
                "firmware": {"protocol": "dny", "image_base64": base64(&image())},
                "targets": {"device_ids": ids},
                "stages": [100],
                "concurrency": 1,
            }),
        )
        .await);
    let cid = c["id"].as_str().unwrap().to_owned();
    let p = w.app.ok(act(&w, &cid, "pause").await);
    assert_eq!(p["state"], "paused");
    // At most the one in flight finishes; then nothing new starts.
    let c = until(&w, &cid, 30, |c| c["devices"]["sending"] == 0).await;
    let done = c["devices"]["succeeded"].as_i64().unwrap();
    assert!(done <= 1, "{c}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let c = campaign(&w, &cid).await;
    assert_eq!(c["devices"]["succeeded"], done, "{c}");
    assert_eq!(c["devices"]["pending"], 4 - done, "{c}");

    // Resume: the next one goes.
    assert_eq!(w.app.ok(act(&w, &cid, "resume").await)["state"], "running");
    until(&w, &cid, 30, |c| {
        c["devices"]["succeeded"].as_i64() > Some(done)
    })
    .await;
    w.app.ok(act(&w, &cid, "pause").await);
    let c = until(&w, &cid, 30, |c| c["devices"]["sending"] == 0).await;
    let pending = c["devices"]["pending"].as_i64().unwrap();
    assert!(pending >= 1, "{c}");

    // Abort: the pending devices end aborted, nothing else moves.
    let a = w.app.ok(act(&w, &cid, "abort").await);
    assert_eq!(a["state"], "aborted");
    assert_eq!(a["devices"]["aborted"], pending, "{a}");
    assert_eq!(a["devices"]["pending"], 0);
    let r = act(&w, &cid, "resume").await;
    assert_eq!(r.0, StatusCode::CONFLICT, "{}", r.1);
    assert!(message(&r).contains("aborted"), "{}", r.1);
    let aborted: Vec<Value> = devices(&w, &cid)
        .await
        .into_iter()
        .filter(|d| d["state"] == "aborted")
        .collect();
    assert_eq!(aborted.len() as i64, pending);
    assert!(aborted.iter().all(|d| d["attempts"] == 0), "{aborted:?}");
    let log = w.app.ok(w
        .app
        .get(
            &format!("/api/v1/charging/operations?campaign_id={cid}&action=campaign_pause"),
            &w.t.admin,
        )
        .await);
    assert_eq!(log["total"], 2);
    for (p, _) in piles {
        let _ = p.shutdown().await;
    }
}

#[tokio::test]
async fn invalid_campaigns_are_refused_naming_the_field() {
    let w = world().await;
    let dny = sim::ids::dny_physical_id(61, 2).unwrap().to_string();
    w.register(&dny, "dny").await;
    let gw = sim::ids::gn_gateway_id(62).to_string();
    w.register(&gw, "gn").await;
    let create = |body: Value| {
        let w = &w;
        async move {
            w.app
                .post("/api/v1/charging/ota/campaigns", &w.t.admin, body)
                .await
        }
    };
    let dny_fw = json!({"protocol": "dny", "image_base64": base64(&image())});
    let cases = [
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {}, "stages": [100]}),
            "targets",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [gw]}, "stages": [100]}),
            "targets.device_ids",
        ),
        (
            json!({"name": "x", "firmware": {"protocol": "gn", "ftp_host": "ftp.example.com", "file_name": "gn.bin"},
                   "targets": {"device_ids": [dny]}, "stages": [100]}),
            "targets.device_ids",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": ["04cefffe"]}, "stages": [100]}),
            "targets.device_ids",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [dny]}, "stages": [50, 40, 100]}),
            "stages[1]",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [dny]}, "stages": [50]}),
            "stages",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [dny]}, "stages": [0, 100]}),
            "stages[0]",
        ),
        (
            json!({"name": "x", "firmware": {"protocol": "dny"}, "targets": {"device_ids": [dny]}, "stages": [100]}),
            "firmware",
        ),
        (
            json!({"name": "x", "firmware": {"protocol": "dny", "image_base64": "!!"}, "targets": {"device_ids": [dny]}, "stages": [100]}),
            "firmware.image_base64",
        ),
        (
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [dny]}, "stages": [100], "concurrency": 0}),
            "concurrency",
        ),
    ];
    for (body, field) in cases {
        let r = create(body.clone()).await;
        assert_eq!(r.0, StatusCode::BAD_REQUEST, "{body}: {}", r.1);
        assert!(
            message(&r).starts_with(&format!("{field}:")),
            "{body}: expected {field}, got {}",
            r.1
        );
    }
    // An empty upload, and a driver: refused too.
    let r = w
        .app
        .http
        .post(w.app.url("/api/v1/charging/ota/firmware?name=empty"))
        .bearer_auth(&w.t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let driver = w.app.driver(&w.t).await;
    let r = w
        .app
        .post(
            "/api/v1/charging/ota/campaigns",
            &driver.token,
            json!({"name": "x", "firmware": dny_fw, "targets": {"device_ids": [dny]}, "stages": [100]}),
        )
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // Nothing was created.
    let list = w.app.ok(w
        .app
        .get("/api/v1/charging/ota/campaigns", &w.t.admin)
        .await);
    assert_eq!(list["total"], 0, "{list}");
    let log = w
        .app
        .ok(w.app.get("/api/v1/charging/operations", &w.t.admin).await);
    assert_eq!(log["total"], 0, "{log}");
}
