//! What billing consumes: identity's `org.changed` (stream PYLON_IDENTITY), to follow
//! node moves (`app::follow_move`). Durable, explicit ack after the commit, idempotent
//! through the processed-event table; other changes are acked and ignored.

use std::time::Duration;

use bus::{ConsumerSpec, Delivery, HandleError};
use proto::events::OrgChanged;
use runtime::ServiceContext;
use runtime::auth::OrgPath;
use uuid::Uuid;

use crate::app::{self, Ctx};
use crate::error::BillingError;

pub async fn follow_org_moves(svc: ServiceContext, ctx: Ctx) -> anyhow::Result<()> {
    let ns = &svc.bus.namespace;
    let spec = ConsumerSpec {
        stream: ns.name("PYLON_IDENTITY"),
        durable: app::follow_move::CONSUMER.into(),
        filter_subject: ns.subject(&["identity", "*", "org", "changed"]),
        max_deliver: svc.config.bus.max_deliver,
        ack_wait: Duration::from_secs(svc.config.bus.ack_wait_secs),
        batch: 16,
    };
    let running = svc.component("org-moves");
    bus::run_consumer(
        &svc.bus,
        spec,
        |d| {
            let ctx = ctx.clone();
            async move { handle(&ctx, d).await }
        },
        svc.shutdown.clone(),
        running,
    )
    .await?;
    Ok(())
}

async fn handle(ctx: &Ctx, d: Delivery) -> Result<(), HandleError> {
    let permanent = |e: &dyn std::fmt::Display| HandleError::Permanent(e.to_string());
    let ev: OrgChanged = d.decode().map_err(|e| permanent(&e))?;
    if ev.change != "moved" || ev.old_path.is_empty() || ev.old_path == ev.path {
        return Ok(());
    }
    let tenant: Uuid = ev.tenant_id.parse().map_err(|e| permanent(&e))?;
    let old = OrgPath::parse(&ev.old_path).map_err(|e| permanent(&e))?;
    let new = OrgPath::parse(&ev.path).map_err(|e| permanent(&e))?;
    app::follow_move::run(ctx, d.meta.id, tenant, &old, &new)
        .await
        .map_err(|e| match e {
            BillingError::Database(_) | BillingError::Bus(_) => HandleError::Retry(e.to_string()),
            other => permanent(&other),
        })
}
