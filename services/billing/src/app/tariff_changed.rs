//! The event `tariff.changed`, written in the transaction of every change that can
//! make a node resolve to another tariff version: an assignment made or removed, a
//! version added, organization paths moved. Services that keep resolutions (charging)
//! forget them when it arrives; a version scheduled for later needs no event then, the
//! resolution's `valid_until` already says when it takes over.

use chrono::{DateTime, Utc};
use proto::events::TariffChanged;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;
use crate::events;

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Assigned,
    Unassigned,
    VersionAdded { effective_from: DateTime<Utc> },
    PathsMoved,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Assigned => "assigned",
            Change::Unassigned => "unassigned",
            Change::VersionAdded { .. } => "version_added",
            Change::PathsMoved => "paths_moved",
        }
    }
}

/// Enqueues `tariff.changed` for resolutions at or below `node_path` of `tenant`.
pub async fn record(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    tenant: Uuid,
    node_path: &str,
    tariff: Option<Uuid>,
    change: Change,
) -> Result<()> {
    let now = super::now();
    let event = TariffChanged {
        tenant_id: tenant.to_string(),
        node_path: node_path.to_owned(),
        tariff_id: tariff.map(|t| t.to_string()).unwrap_or_default(),
        change: change.name().to_owned(),
        effective_from: match change {
            Change::VersionAdded { effective_from } => Some(events::timestamp(effective_from)),
            _ => None,
        },
        changed_at: Some(events::timestamp(now)),
    };
    events::enqueue(conn, ns, tenant, ("tariff", "changed"), now, &event).await
}
