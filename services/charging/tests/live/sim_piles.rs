//! A simulated DNY pile through the real gateway: the live state follows it.

use sim::{PileConfig, Protocol, spawn_pile};

use crate::{app, live_until};

#[tokio::test]
async fn a_simulated_pile_goes_online_reports_its_ports_and_goes_offline() {
    let (app, device) = app().await;
    let (pile, _events) =
        spawn_pile(PileConfig::new(Protocol::Dny, 2, device).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    // Unassigned (`_`): the platform administrator sees it.
    let admin = app.root.admin.clone();
    let d = live_until(&app, &admin, &id, |d| {
        d["online"] == true && d["ports"].as_array().is_some_and(|p| p.len() == 2)
    })
    .await;
    assert_eq!(d["protocol"], "dny");
    assert_eq!(d["ports"][0]["state"], "idle", "{d}");
    assert!(d["firmware"].is_string(), "heartbeat info: {d}");

    // An operator does not see a device that is not theirs.
    let t = app.tenant("acme").await;
    let (status, _) = app
        .get(&format!("/api/v1/charging/live/devices/{id}"), &t.admin)
        .await;
    assert_eq!(status, 404);

    let _ = pile.shutdown().await;
    let d = live_until(&app, &admin, &id, |d| d["online"] == false).await;
    assert_eq!(d["offline_reason"], "closed");
}
