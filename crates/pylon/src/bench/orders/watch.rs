//! Every order's transitions, from the charging service's `order.state_changed` events
//! (core NATS subscription to what the outbox relay publishes): when each state was
//! reached, and the newest state for the driver waiting on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use prost::Message as _;
use tokio::sync::watch;

/// One order as the events tell it.
pub struct Track {
    /// (state reached, when) in the order the events came.
    pub reached: Vec<(String, DateTime<Utc>)>,
    state: watch::Sender<String>,
}

impl Track {
    fn new() -> Self {
        Self {
            reached: Vec::new(),
            state: watch::channel(String::new()).0,
        }
    }

    /// When `state` was first reached.
    pub fn at(&self, state: &str) -> Option<DateTime<Utc>> {
        self.reached
            .iter()
            .find(|(s, _)| s == state)
            .map(|(_, t)| *t)
    }
}

#[derive(Clone, Default)]
pub struct Tracks(Arc<Mutex<HashMap<String, Track>>>);

impl Tracks {
    /// The newest state of `order`, updated as events come (the entry is made now if the
    /// first event has not come yet).
    pub fn follow(&self, order: &str) -> watch::Receiver<String> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(order.to_owned())
            .or_insert_with(Track::new)
            .state
            .subscribe()
    }

    fn record(&self, order: String, to: String, at: DateTime<Utc>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let t = map.entry(order).or_insert_with(Track::new);
        t.reached.push((to.clone(), at));
        t.state.send_replace(to);
    }

    /// Runs `f` over every order's track.
    pub fn with<R>(&self, f: impl FnOnce(&HashMap<String, Track>) -> R) -> R {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&map)
    }
}

/// Subscribes before any order exists; the task records until the subscription ends.
pub async fn start(bus: &bus::Bus) -> anyhow::Result<Tracks> {
    let subject = bus
        .namespace
        .subject(&["charging", "*", "order", "state_changed"]);
    let mut sub = bus.client.subscribe(subject).await?;
    let tracks = Tracks::default();
    let t = tracks.clone();
    tokio::spawn(async move {
        while let Some(msg) = sub.next().await {
            let Ok(ev) = proto::events::OrderStateChanged::decode(msg.payload.as_ref()) else {
                continue;
            };
            let at = ev
                .at
                .and_then(|a| {
                    DateTime::from_timestamp(a.seconds, u32::try_from(a.nanos).unwrap_or(0))
                })
                .unwrap_or_else(Utc::now);
            t.record(ev.order_id, ev.to_state, at);
        }
    });
    Ok(tracks)
}
