//! CSV import with a bad row, and the export that re-imports.

use serde_json::{Value, json};

use crate::{app, site};

#[tokio::test]
async fn a_bad_row_is_reported_and_the_others_are_imported() {
    let app = app().await;
    let t = app.tenant("csv").await;
    let s = app.region_and_site(&t, "harbour").await;
    let site = site(&app, &t.admin, &s.site_path).await;
    let sid = site["id"].as_str().unwrap();
    let csv = format!(
        "device_id,protocol,site_id,mac,uid,port_count\n\
         82231214002700,gn,,,,\n\
         82231214002700-1,gn,{sid},zz,U1,\n\
         82231214002700-2,gn,,854100000702,U2,\n\
         04ab373b,dny,{sid},,,10\n\
         04ab373b,dny,,,,10\n"
    );
    let res = app
        .http
        .post(app.url("/api/v1/charging/devices/import"))
        .bearer_auth(&t.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let r = &body["data"];
    assert_eq!(r["created"], 3, "{body}");
    assert_eq!(
        r["errors"],
        json!([
            {"row": 3, "field": "mac", "message": "\"zz\" is not a MAC address (12 hex digits)"},
            {"row": 6, "field": "device_id", "message": "04ab373b is already registered"},
        ])
    );
    let pile = app.ok(app.get("/api/v1/charging/devices/04ab373b", &t.admin).await);
    assert_eq!(pile["port_count"], 10);
    assert_eq!(pile["site_id"], site["id"]);

    let export = app
        .http
        .get(app.url("/api/v1/charging/devices/export"))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(
        lines[0],
        "device_id,protocol,model,site_id,uid,mac,status,port_count"
    );
    assert_eq!(lines.len(), 4, "{export}");
    assert_eq!(lines[1], format!("04ab373b,dny,,{sid},,,active,10"));
    assert_eq!(lines[3], "82231214002700-2,gn,,,U2,854100000702,active,2");
}
