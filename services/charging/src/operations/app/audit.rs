//! The audit trail: an operation is written `sent` before its command leaves and
//! completed after; the completion and its `operation.recorded` event commit together.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Actor;
use crate::error::ChargingError;
use crate::operations::store::audit::{self, Completion, OperationRow};
use proto::events::OperationRecorded;

/// What an operation is about.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub tenant: Uuid,
    pub device_id: Option<&'a str>,
    pub campaign_id: Option<Uuid>,
    pub node_path: &'a str,
    pub action: &'a str,
    pub request: Value,
}

fn row(actor: &Actor, s: Subject<'_>, at: DateTime<Utc>) -> OperationRow {
    OperationRow {
        id: Uuid::now_v7(),
        tenant_id: s.tenant,
        actor_kind: actor.kind.to_owned(),
        actor_id: actor.id.clone(),
        actor_roles: actor.roles.clone(),
        device_id: s.device_id.map(str::to_owned),
        campaign_id: s.campaign_id,
        node_path: s.node_path.to_owned(),
        action: s.action.to_owned(),
        request: s.request,
        status: "sent".into(),
        outcome: None,
        device_code: None,
        detail: String::new(),
        result: None,
        started_at: at,
        finished_at: None,
    }
}

/// Writes the `sent` row (commit it before sending the command).
pub async fn begin(
    conn: &mut PgConnection,
    actor: &Actor,
    s: Subject<'_>,
    at: DateTime<Utc>,
) -> Result<OperationRow, ChargingError> {
    let r = row(actor, s, at);
    audit::insert(conn, &r).await?;
    Ok(r)
}

/// Completes operation `id` with its event; `None` if it was completed already.
pub async fn finish(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    id: Uuid,
    c: &Completion,
    at: DateTime<Utc>,
) -> Result<Option<OperationRow>, ChargingError> {
    let Some(done) = audit::complete(conn, id, c, at).await? else {
        return Ok(None);
    };
    publish(conn, ns, &done).await?;
    Ok(Some(done))
}

/// Records a change that is done as it is written (campaign changes).
pub async fn record(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    actor: &Actor,
    s: Subject<'_>,
    outcome: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<OperationRow, ChargingError> {
    let mut r = row(actor, s, at);
    r.status = "done".into();
    r.outcome = Some(outcome.to_owned());
    r.detail = detail.to_owned();
    r.finished_at = Some(at);
    audit::insert(conn, &r).await?;
    publish(conn, ns, &r).await?;
    Ok(r)
}

async fn publish(
    conn: &mut PgConnection,
    ns: &bus::Namespace,
    r: &OperationRow,
) -> Result<(), ChargingError> {
    let at = r.finished_at.unwrap_or(r.started_at);
    let event = OperationRecorded {
        tenant_id: r.tenant_id.to_string(),
        operation_id: r.id.to_string(),
        actor_kind: r.actor_kind.clone(),
        actor_id: r.actor_id.clone(),
        device_id: r.device_id.clone().unwrap_or_default(),
        campaign_id: r.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
        action: r.action.clone(),
        outcome: r.outcome.clone().unwrap_or_default(),
        device_code: r
            .device_code
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(0),
        detail: r.detail.clone(),
        started_at: Some(bus::event::timestamp(r.started_at)),
        finished_at: Some(bus::event::timestamp(at)),
    };
    crate::events::enqueue(
        conn,
        ns,
        &r.tenant_id.to_string(),
        ("operation", "recorded"),
        at,
        &event,
    )
    .await
}
