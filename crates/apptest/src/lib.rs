//! Boots services the way `pylon run` does, for one test: the services under test plus
//! identity (which issues the tokens they verify), on port 0, in a fresh database and a
//! private NATS namespace, with a bootstrapped operator whose administrator is logged
//! in. Users with roles and drivers are one call away, so a test reads as the scenario
//! it checks.
//!
//! ```ignore
//! let app = apptest::spawn(vec![Arc::new(billing::Billing)]).await;
//! let t = app.tenant("acme").await;
//! let site = app.region_and_site(&t, "North").await;
//! let (_, finance) = app.user_with_role(&t, "finance", &t.id, &t.id).await;
//! let data = app.ok(app.get("/api/v1/billing/tariffs", &finance).await);
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod users;

pub use app::{TestApp, namespace_of, spawn, spawn_with, start, wait_ready};
pub use users::{Driver, Site, Tenant};

use std::time::Duration;

/// The password of every user the harness creates.
pub const PASSWORD: &str = "Secret-pass1";

/// The next message of `sub` within 10 s.
pub async fn next_event(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("event within 10 s")
        .expect("subscription open")
}
